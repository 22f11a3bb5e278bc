import type { ScopeStateInfo } from '../control/fleet-control.ts';
import { optionalBot, reasonArgument } from './arguments.ts';
import type { CliCommand } from './command.ts';
import { emit } from './output.ts';

/** `supervisor halt|resume`: stop or allow new orders for the fleet or one bot; cancels still go through. */

export function renderScopeState(scope: string, state: ScopeStateInfo): string {
  const reason = state.reason === null ? '' : ` (${state.reason})`;
  const detail = state.detail === '' ? '' : `: ${state.detail}`;
  return `${scope}: ${state.state}${reason}${detail}`;
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
    summary: 'allow new orders again after a halt, kill or drawdown (the fleet, or one bot with --bot)',
    configure: (command) => {
      command.option('--bot <id>', 'only this bot');
    },
    run: async (invocation) => {
      const botId = optionalBot(invocation.options);
      const state = await invocation.supervisor().post<ScopeStateInfo>('/v1/resume', botId === undefined ? {} : { botId });
      emit(invocation, state, (data) => renderScopeState(botId ?? 'fleet', data));
    },
  },
];
