import type { DrawdownInfo } from '../control/fleet-control.ts';
import { optionalBot, percentArgument } from './arguments.ts';
import type { CliCommand } from './command.ts';
import { duration, percentOfFraction, table } from './format.ts';
import { emit } from './output.ts';

/** `supervisor drawdown`: each scope's drawdown against its threshold, or --set a new threshold. */

type ScopedDrawdown = { scope: string } & DrawdownInfo;

export function renderDrawdowns(drawdowns: readonly ScopedDrawdown[]): string {
  if (drawdowns.length === 0) return 'No drawdown readings yet.';
  return table(
    [
      { header: 'SCOPE' },
      { header: 'CURRENT', align: 'right' },
      { header: 'THRESHOLD', align: 'right' },
      { header: 'PEAK EQUITY', align: 'right' },
      { header: 'ACTION' },
      { header: 'WINDOW' },
    ],
    drawdowns.map((row) => [row.scope, percentOfFraction(row.current), percentOfFraction(row.threshold), row.peak, row.action, duration(row.windowMs)]),
  );
}

export const commands: CliCommand[] = [
  {
    name: 'drawdown',
    summary: 'show drawdown against thresholds, or --set a threshold (the fleet, or one bot with --bot)',
    configure: (command) => {
      command.option('--bot <id>', 'only this bot').option('--set <percent>', 'new threshold in percent, greater than 0 and at most 100, e.g. 7.5');
    },
    run: async (invocation) => {
      const botId = optionalBot(invocation.options);
      const setTo = invocation.options['set'];
      if (setTo === undefined) {
        const drawdowns = await invocation.supervisor().get<ScopedDrawdown[]>('/v1/drawdown', { bot: botId });
        emit(invocation, drawdowns, renderDrawdowns);
        return;
      }
      const thresholdPercent = percentArgument(setTo, '--set');
      const updated = await invocation.supervisor().post<ScopedDrawdown>('/v1/drawdown', { ...(botId === undefined ? {} : { botId }), thresholdPercent });
      emit(invocation, updated, (data) => renderDrawdowns([data]));
    },
  },
];
