import type { BotListing } from '../control/fleet-control.ts';
import type { CliCommand } from './command.ts';
import { orDash, table } from './format.ts';
import { emit } from './output.ts';

/** `supervisor bots`: every folder under bots/, including the ones that failed to load and why. */

export function renderBots(bots: readonly BotListing[]): string {
  if (bots.length === 0) return 'No bots found under bots/.';
  return table(
    [{ header: 'FOLDER' }, { header: 'BOT' }, { header: 'NAME' }, { header: 'STATUS' }, { header: 'VENUE' }, { header: 'INSTRUMENTS' }, { header: 'TIMEFRAMES' }, { header: 'REASON' }],
    bots.map((bot) => [
      bot.folder,
      orDash(bot.botId),
      orDash(bot.name),
      bot.status,
      orDash(bot.venue),
      orDash(bot.instruments.join(',')),
      orDash(bot.timeframes.join(',')),
      orDash(bot.reason),
    ]),
  );
}

export const commands: CliCommand[] = [
  {
    name: 'bots',
    summary: 'list the bots the supervisor found, with load failures',
    run: async (invocation) => {
      const bots = await invocation.supervisor().get<BotListing[]>('/v1/bots');
      emit(invocation, bots, renderBots);
    },
  },
];
