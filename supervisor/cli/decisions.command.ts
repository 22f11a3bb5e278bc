import type { DecisionInfo } from '../control/fleet-control.ts';
import { flag, optionalBot, optionalLimit } from './arguments.ts';
import type { CliCommand } from './command.ts';
import { orDash, table, time } from './format.ts';
import { emit } from './output.ts';

/** `supervisor decisions`: the order manager's recent decisions, with denial reasons. */

export function renderDecisions(decisions: readonly DecisionInfo[], deniedOnly: boolean): string {
  if (decisions.length === 0) return deniedOnly ? 'No denied intents.' : 'No decisions.';
  return table(
    [
      { header: 'DECIDED (MARKET TIME)' },
      { header: 'BOT' },
      { header: 'INTENT' },
      { header: 'INSTRUMENT' },
      { header: 'OUTCOME' },
      { header: 'REASON' },
      { header: 'REQUESTED', align: 'right' },
      { header: 'APPROVED', align: 'right' },
      { header: 'CLIENT ORDER ID' },
      { header: 'LATENCY', align: 'right' },
      { header: 'DETAIL' },
    ],
    decisions.map((decision) => [
      time(decision.decidedAt),
      decision.botId,
      decision.intentId,
      decision.instrumentId,
      decision.outcome,
      orDash(decision.reason),
      orDash(decision.requestedQuantity),
      orDash(decision.approvedQuantity),
      orDash(decision.clientOrderId),
      `${decision.latencyUs}us`,
      orDash(decision.detail),
    ]),
  );
}

export const commands: CliCommand[] = [
  {
    name: 'decisions',
    summary: "list the order manager's recent decisions (all bots, or one with --bot)",
    configure: (command) => {
      command
        .option('--bot <id>', 'only this bot')
        .option('--denied', 'only denied intents')
        .option('--limit <n>', 'at most this many, newest first (default 50)');
    },
    run: async (invocation) => {
      const bot = optionalBot(invocation.options);
      const deniedOnly = flag(invocation.options, 'denied');
      const limit = optionalLimit(invocation.options);
      const decisions = await invocation.supervisor().get<DecisionInfo[]>('/v1/decisions', { bot, denied: deniedOnly ? '1' : undefined, limit });
      emit(invocation, decisions, (data) => renderDecisions(data, deniedOnly));
    },
  },
];
