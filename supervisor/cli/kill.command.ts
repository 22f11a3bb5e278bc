import type { KillResult } from '../control/fleet-control.ts';
import { flag, optionalBot } from './arguments.ts';
import type { CliCommand } from './command.ts';
import { plural } from './format.ts';
import { emit } from './output.ts';

/** `supervisor kill`: engage the kill switch for the fleet or one bot, optionally closing positions. */

function listed(heading: string, items: readonly string[]): string[] {
  return [`${heading}:`, ...items.map((item) => `  ${item}`)];
}

export function renderKill(result: KillResult, flatten: boolean): string {
  const lines = [`Kill switch engaged for ${result.scope}.`];
  lines.push(...(result.canceled.length > 0 ? listed(`Canceled ${plural(result.canceled.length, 'order')}`, result.canceled) : ['No open orders to cancel.']));
  if (result.protectiveCanceled.length > 0) {
    lines.push(...listed(`Canceled ${plural(result.protectiveCanceled.length, 'protective order')}`, result.protectiveCanceled));
  }
  if (result.closing.length > 0) lines.push(...listed(`Closing ${plural(result.closing.length, 'position')}`, result.closing));
  else if (flatten) lines.push('No positions to close.');
  else lines.push('Positions are left open with their protective orders; add --flatten to close them.');
  return lines.join('\n');
}

export const commands: CliCommand[] = [
  {
    name: 'kill',
    summary: 'engage the kill switch: cancel open orders and halt (the fleet, or one bot with --bot)',
    configure: (command) => {
      command.option('--bot <id>', 'only this bot').option('--flatten', 'also close open positions at market');
    },
    run: async (invocation) => {
      const botId = optionalBot(invocation.options);
      const flatten = flag(invocation.options, 'flatten');
      const result = await invocation.supervisor().post<KillResult>('/v1/kill', { ...(botId === undefined ? {} : { botId }), flatten });
      emit(invocation, result, (data) => renderKill(data, flatten));
    },
  },
];
