import type { ResumeResult, ScopeStateInfo } from '../control/fleet-control.ts';
import { optionalBot, reasonArgument } from './arguments.ts';
import type { CliCommand } from './command.ts';
import { percentOfFraction } from './format.ts';
import { emit } from './output.ts';

/** `supervisor halt|resume`: stop or allow new orders for the fleet or one bot; cancels still go through. */

export function renderScopeState(scope: string, state: ScopeStateInfo): string {
  const reason = state.reason === null ? '' : ` (${state.reason})`;
  const detail = state.detail === '' ? '' : `: ${state.detail}`;
  return `${scope}: ${state.state}${reason}${detail}`;
}

/**
 * A resume starts the scope's drawdown afresh: the old peak would otherwise halt it again at once. Said every time,
 * because it also gives the scope a whole threshold of room below today's equity.
 */
export function renderResume(scope: string, result: ResumeResult): string {
  return [
    renderScopeState(scope, result),
    `Drawdown peak reset to the current equity ${result.drawdown.peak}: drawdown is measured afresh from here ` +
      `(${result.drawdown.action} at ${percentOfFraction(result.drawdown.threshold)} below it).`,
  ].join('\n');
}

export const commands: CliCommand[] = [
  {
    name: 'halt',
    summary: 'deny every new order (the fleet, or one bot with --bot); open orders and positions stay',
    configure: (command) => {
      command.option('--bot <id>', 'only this bot').requiredOption('--reason <text>', 'why, for the record');
    },
    run: async (invocation) => {
      const botId = optionalBot(invocation.options);
      const reason = reasonArgument(invocation.options['reason']);
      const state = await invocation.supervisor().post<ScopeStateInfo>('/v1/halt', { ...(botId === undefined ? {} : { botId }), reason });
      emit(invocation, state, (data) => renderScopeState(botId ?? 'fleet', data));
    },
  },
  {
    name: 'resume',
    summary: 'allow new orders again after a halt, kill or drawdown (the fleet, or one bot with --bot); resets its drawdown peak',
    configure: (command) => {
      command.option('--bot <id>', 'only this bot');
    },
    run: async (invocation) => {
      const botId = optionalBot(invocation.options);
      const result = await invocation.supervisor().post<ResumeResult>('/v1/resume', botId === undefined ? {} : { botId });
      emit(invocation, result, (data) => renderResume(botId ?? 'fleet', data));
    },
  },
];
