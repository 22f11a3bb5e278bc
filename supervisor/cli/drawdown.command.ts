import type { DrawdownInfo } from '../control/fleet-control.ts';
import { parseWindowLength, WINDOW_LENGTH_RULE } from '../order-manager/drawdown-window.ts';
import { optionalBot, percentArgument } from './arguments.ts';
import type { CliCommand } from './command.ts';
import { percentOfFraction, table } from './format.ts';
import { UsageError } from './exit-codes.ts';
import { emit } from './output.ts';

/**
 * `supervisor drawdown`: each scope's drawdown in every window against that window's threshold, or --set a new
 * threshold for one window (named with --window by its length, as the WINDOW column shows it).
 */

type ScopedDrawdown = { scope: string } & DrawdownInfo;

function windowArgument(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || parseWindowLength(value) === null) throw new UsageError(`--window ${WINDOW_LENGTH_RULE}; got ${JSON.stringify(value)}`);
  return value.trim();
}

export function renderDrawdowns(drawdowns: readonly ScopedDrawdown[]): string {
  if (drawdowns.length === 0) return 'No drawdown readings yet.';
  return table(
    [
      { header: 'SCOPE' },
      { header: 'WINDOW' },
      { header: 'CURRENT', align: 'right' },
      { header: 'THRESHOLD', align: 'right' },
      { header: 'PEAK EQUITY', align: 'right' },
      { header: 'ACTION' },
    ],
    drawdowns.flatMap((row) => row.windows.map((window) => [row.scope, window.window, percentOfFraction(window.current), percentOfFraction(window.threshold), window.peak, window.action])),
  );
}

export const commands: CliCommand[] = [
  {
    name: 'drawdown',
    summary: 'show drawdown in every window against its threshold, or --set a window\'s threshold (the fleet, or one bot with --bot)',
    configure: (command) => {
      command
        .option('--bot <id>', 'only this bot')
        .option('--set <percent>', 'new threshold in percent, greater than 0 and at most 100, e.g. 7.5')
        .option('--window <length>', 'with --set: the window to change, by its length as the WINDOW column shows it, e.g. 30d (needed when the scope has several)');
    },
    run: async (invocation) => {
      const botId = optionalBot(invocation.options);
      const setTo = invocation.options['set'];
      const window = windowArgument(invocation.options['window']);
      if (setTo === undefined) {
        if (window !== undefined) throw new UsageError('--window names the window --set changes; give --set <percent> with it');
        const drawdowns = await invocation.supervisor().get<ScopedDrawdown[]>('/v1/drawdown', { bot: botId });
        emit(invocation, drawdowns, renderDrawdowns);
        return;
      }
      const thresholdPercent = percentArgument(setTo, '--set');
      const updated = await invocation.supervisor().post<ScopedDrawdown>('/v1/drawdown', { ...(botId === undefined ? {} : { botId }), ...(window === undefined ? {} : { window }), thresholdPercent });
      emit(invocation, updated, (data) => renderDrawdowns([data]));
    },
  },
];
