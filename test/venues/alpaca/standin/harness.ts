import { Alpaca } from '@alpacahq/alpaca-trade-api';
import { Decimal } from '../../../../core/decimal.ts';
import { ManualClock } from '../../../../core/clock.ts';
import { AlpacaStandin, type AccountKeys } from '../../../../venues/alpaca/standin/standin.ts';

/** A stand-in on a manual market (QQQ at 480, and a fractional test asset at 60000) with two accounts, and the SDK pointed at it. */

export const CATALOG = [
  { id: 'QQQ.ALPACA', kind: 'EQUITY', tickSize: '0.01', lotStep: '1', minQuantity: '1', minNotional: '1', exposure: { key: 'NDX', beta: '1' }, startPrice: '480' },
  { id: 'FRAC.ALPACA', kind: 'EQUITY', tickSize: '0.1', lotStep: '0.001', minQuantity: '0.001', minNotional: '1', exposure: { key: 'FRAC', beta: '1' }, startPrice: '60000' },
];

export interface StandinSetup {
  standin: AlpacaStandin;
  clock: ManualClock;
  alpha: AccountKeys;
  beta: AccountKeys;
}

/** Tuesday 2024-11-26 15:00 UTC: the session is open. */
export const SESSION_TIME = Date.UTC(2024, 10, 26, 15, 0);

export async function startStandin(): Promise<StandinSetup> {
  const clock = new ManualClock(SESSION_TIME);
  const standin = await AlpacaStandin.start({ instruments: CATALOG, market: { kind: 'manual' }, clock, startingCash: Decimal.fromInteger(100_000) });
  const alpha = standin.createAccount();
  const beta = standin.createAccount();
  standin.pushBar('QQQ', { open: '480', high: '480', low: '480', close: '480' });
  standin.pushBar('FRAC', { open: '60000', high: '60000', low: '60000', close: '60000' });
  return { standin, clock, alpha, beta };
}

/** The SDK's facade with both hosts (trading and data) rewritten to the stand-in, as venues/alpaca does. */
export function sdkFor(url: string, keys: AccountKeys): Alpaca {
  return new Alpaca({
    keyId: keys.key,
    secret: keys.secret,
    paper: true,
    retry: false,
    rateLimit: false,
    middleware: [{ pre: async (context) => ({ url: context.url.replace(/^https:\/\/(paper-api|api|data)\.alpaca\.markets/, url), init: context.init }) }],
  });
}
