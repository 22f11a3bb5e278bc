import type { ReconcileResult } from '../control/fleet-control.ts';
import { optionalBot } from './arguments.ts';
import type { CliCommand } from './command.ts';
import { CliFailure, EXIT_CODES } from './exit-codes.ts';
import { emit } from './output.ts';

/** `supervisor reconcile`: asks each bot's venue now what the ledger should hold, and says what it found. */

function listed(heading: string, items: readonly string[]): string[] {
  return items.length === 0 ? [] : [`  ${heading}:`, ...items.map((item) => `    ${item}`)];
}

export function renderReconcile(results: readonly ReconcileResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    lines.push(`${result.botId}: ${result.state}, ${result.detail}`);
    if (result.ledgerBalance !== null && result.venueBalance !== null) lines.push(`  balance: ledger ${result.ledgerBalance}, venue ${result.venueBalance}`);
    lines.push(...listed('orders adopted (the venue had them)', result.adopted));
    lines.push(...listed('orders the venue never received', result.neverReceived));
    lines.push(...listed('orders not answered yet (their keys stay locked)', result.unsettled));
    lines.push(...listed('orders brought up to date', result.settled));
    lines.push(...listed('bracket children handed to the venue again for their open entry', result.handedOver));
    lines.push(...listed('orders on the sub-account that are not Flotilla\'s (never touched)', result.foreignOrders.map((order) => `${order.clientOrderId} ${order.instrumentId}`)));
    lines.push(...listed('POSITION MISMATCHES (the bot is halted; nothing is traded to hide them)', result.positionMismatches.map((gap) => `${gap.instrumentId}: ledger ${gap.ledger}, venue ${gap.venue}`)));
  }
  return lines.join('\n');
}

export const commands: CliCommand[] = [
  {
    name: 'reconcile',
    summary: 'reconcile each bot (or one, with --bot) with its venue now: fills, orders, positions, balance',
    configure: (command) => {
      command.option('--bot <id>', 'only this bot');
    },
    run: async (invocation) => {
      const botId = optionalBot(invocation.options);
      const results = await invocation.supervisor().post<ReconcileResult[]>('/v1/reconcile', botId === undefined ? {} : { botId });
      emit(invocation, results, renderReconcile);
      // A mismatch or a run that could not complete is what the operator must act on: exit 1, after the findings.
      const troubled = results.filter((result) => result.state !== 'RECONCILED' || result.positionMismatches.length > 0).map((result) => result.botId);
      if (troubled.length > 0) throw new CliFailure(EXIT_CODES.FAILED, `reconciliation found problems for ${troubled.join(', ')}: see above; halted bots stay halted until "supervisor resume"`);
    },
  },
];
