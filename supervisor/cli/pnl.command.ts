import type { PnlInfo } from '../control/fleet-control.ts';
import { optionalBot } from './arguments.ts';
import type { CliCommand } from './command.ts';
import { table } from './format.ts';
import { emit } from './output.ts';

/** `supervisor pnl`: each bot's capital, balance, equity and profit and loss. */

export function renderPnl(rows: readonly PnlInfo[]): string {
  if (rows.length === 0) return 'No bots to report.';
  return table(
    [
      { header: 'BOT' },
      { header: 'CAPITAL', align: 'right' },
      { header: 'BALANCE', align: 'right' },
      { header: 'EQUITY', align: 'right' },
      { header: 'REALIZED', align: 'right' },
      { header: 'UNREALIZED', align: 'right' },
      { header: 'FEES', align: 'right' },
    ],
    rows.map((row) => [row.botId, row.capital, row.balance, row.equity, row.realizedPnl, row.unrealizedPnl, row.fees]),
  );
}

export const commands: CliCommand[] = [
  {
    name: 'pnl',
    summary: 'show profit and loss per bot (all bots, or one with --bot)',
    configure: (command) => {
      command.option('--bot <id>', 'only this bot');
    },
    run: async (invocation) => {
      const bot = optionalBot(invocation.options);
      const rows = await invocation.supervisor().get<PnlInfo[]>('/v1/pnl', { bot });
      emit(invocation, rows, renderPnl);
    },
  },
];
