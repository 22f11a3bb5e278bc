import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { parseTimeframe } from '../../../../venues/alpaca/standin/bars.ts';
import { AlpacaStandin } from '../../../../venues/alpaca/standin/standin.ts';

/**
 * The Alpaca stand-in's synthetic market is the paper fleet's: the catalog's equities move together through their
 * factors (supervisor/market-data/equity-factors.ts), so an inverse ETF served here is its index's daily multiple,
 * as the equity-baskets bot expects of SQQQ against QQQ, and not a walk of its own.
 */

let standin: AlpacaStandin | undefined;

afterEach(async () => {
  await standin?.stop();
  standin = undefined;
});

describe('the Alpaca stand-in synthetic market', () => {
  it("serves SQQQ as -3 times QQQ from the session's open, minute by minute, as its index's daily multiple", async () => {
    // A Thursday afternoon in New York; the history starts three days before, so Wednesday's session is served whole.
    const clock = new ManualClock(Date.UTC(2025, 0, 9, 19, 0));
    standin = await AlpacaStandin.start({ market: { kind: 'synthetic', seed: 42, historyDays: 3 }, clock, accounts: 1 });
    const minute = parseTimeframe('1Min');
    const from = Date.UTC(2025, 0, 8, 14, 30);
    const to = Date.UTC(2025, 0, 8, 21, 0);
    const qqq = standin.bars.bars('QQQ', minute, from, to);
    const sqqq = standin.bars.bars('SQQQ', minute, from, to);
    expect(qqq.length).toBeGreaterThan(300);
    expect(sqqq.map((bar) => bar.t)).toEqual(qqq.map((bar) => bar.t));
    const qqqOpen = Number(qqq[0]?.o);
    const sqqqOpen = Number(sqqq[0]?.o);
    let checked = 0;
    for (const [index, bar] of qqq.entries()) {
      const indexReturn = Number(bar.c) / qqqOpen - 1;
      const etfReturn = Number(sqqq[index]?.c) / sqqqOpen - 1;
      // Both are rounded to the cent, so the multiple holds to a few ticks of SQQQ's price.
      expect(Math.abs(etfReturn - -3 * indexReturn)).toBeLessThan(0.004);
      checked++;
    }
    expect(checked).toBe(qqq.length);
  });
});
