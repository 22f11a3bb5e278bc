import type { PositionInfo } from '../control/fleet-control.ts';
import { optionalBot } from './arguments.ts';
import type { CliCommand } from './command.ts';
import { orDash, table } from './format.ts';
import { emit } from './output.ts';

/** `supervisor positions`: open positions as the bots' ledgers derive them from fills. */

export function renderPositions(positions: readonly PositionInfo[]): string {
  if (positions.length === 0) return 'No open positions.';
  return table(
    [
      { header: 'BOT' },
      { header: 'INSTRUMENT' },
      { header: 'QUANTITY', align: 'right' },
      { header: 'ENTRY', align: 'right' },
      { header: 'MARK', align: 'right' },
      { header: 'UNREALIZED', align: 'right' },
      { header: 'REALIZED', align: 'right' },
      { header: 'FEES', align: 'right' },
    ],
    positions.map((position) => [
      position.botId,
      position.instrumentId,
      position.quantity,
      position.averageEntryPrice,
      orDash(position.markPrice),
      position.unrealizedPnl,
      position.realizedPnl,
      position.fees,
    ]),
  );
}

export const commands: CliCommand[] = [
  {
    name: 'positions',
    summary: 'list open positions (all bots, or one with --bot)',
    configure: (command) => {
      command.option('--bot <id>', 'only this bot');
    },
    run: async (invocation) => {
      const bot = optionalBot(invocation.options);
      const positions = await invocation.supervisor().get<PositionInfo[]>('/v1/positions', { bot });
      emit(invocation, positions, renderPositions);
    },
  },
];
