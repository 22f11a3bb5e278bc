/**
 * Strategy sources for the confinement tests: a bot that, one attempt per live candle, reaches for what is not
 * its own, and a well-behaved bot that keeps trading beside it. Each attempt's outcome is thrown, so it arrives
 * at the supervisor as a BotCodeError whose message says which attempt it was and how it ended.
 */

export const HOSTILE_ATTEMPTS = ['READ_TOKEN', 'READ_LEDGER', 'SPAWN', 'SPAWN_BINDING', 'WRITE', 'SIGNAL', 'CONNECT', 'READ_PM2_HOME'] as const;

/**
 * `victim` is the other bot's id; its token and ledger sit beside this bot's own under FLOTILLA_HOME. With
 * `reportEnvironment`, one more call after the attempts throws the names of the variables the bot was given.
 */
export function hostileStrategy(victim: string, options: { reportEnvironment?: boolean } = {}): string {
  return `import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineStrategy } from 'flotilla/strategy';

// A bot knows the path of its own token file; the home, and every other bot's files, are guessable from it.
const home = dirname(dirname(process.env.FLOTILLA_BOT_TOKEN_FILE ?? '/nowhere/tokens/x'));
const here = dirname(fileURLToPath(import.meta.url));
const attempts = [
  ['READ_TOKEN', () => readFileSync(join(home, 'tokens', '${victim}.token'), 'utf8')],
  ['READ_LEDGER', () => readFileSync(join(home, 'ledgers', '${victim}.sqlite'))],
  ['SPAWN', () => process.getBuiltinModule('node:child_process').execFileSync('/bin/sh', ['-c', 'echo escaped'])],
  ['SPAWN_BINDING', () => process.binding('spawn_sync')],
  ['WRITE', () => writeFileSync(join(here, 'written-by-the-bot.txt'), 'escaped')],
  ['SIGNAL', () => process.kill(process.ppid, 0)],
  ['CONNECT', () => process.getBuiltinModule('node:net').connect(join(home, 'run', 'bots.sock'))],
  ['READ_PM2_HOME', () => readFileSync(join(process.env.PM2_HOME ?? home, 'pm2.pid'), 'utf8')],
];
${options.reportEnvironment === true ? "attempts.push(['ENVIRONMENT', () => { throw Object.assign(new Error(Object.keys(process.env).sort().join(',')), { code: 'LISTED' }); }]);" : ''}
let calls = 0;

export default defineStrategy({
  interfaceVersion: 1,
  parameters: z.strictObject({}),
  create() {
    return {
      onCandle() {
        const attempt = attempts[calls++];
        if (attempt === undefined) return [];
        const [name, act] = attempt;
        let outcome;
        try {
          act();
          outcome = 'SUCCEEDED';
        } catch (error) {
          outcome = 'FAILED ' + String(error?.code) + ' ' + String(error?.message);
        }
        throw new Error('ATTEMPT ' + name + ' ' + outcome);
      },
    };
  },
});
`;
}

/** Enters when flat with nothing pending, exits when holding: a decision every few candles, for as long as it runs. */
export const FLIP_STRATEGY = `import { z } from 'zod';
import { Decimal, defineStrategy } from 'flotilla/strategy';

export default defineStrategy({
  interfaceVersion: 1,
  parameters: z.strictObject({}),
  create() {
    return {
      onCandle(candle, state) {
        if (state.pendingEntries.size > 0 || state.openOrders.some((order) => order.role === 'ENTRY')) return [];
        if (state.positions.size > 0) return [{ type: 'EXIT', instrumentId: candle.instrumentId, reason: 'flip' }];
        return [{
          type: 'ENTER',
          instrumentId: candle.instrumentId,
          side: 'BUY',
          size: { kind: 'QUANTITY', quantity: Decimal.parse('0.01') },
          orderType: 'MARKET',
          stopLoss: candle.close.mul(Decimal.parse('0.9')),
          reason: 'flip',
        }];
      },
    };
  },
});
`;
