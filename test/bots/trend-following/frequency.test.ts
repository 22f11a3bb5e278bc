import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { SyntheticCandleSource } from '../../../supervisor/market-data/synthetic-source.ts';
import { candlesFrom, createStrategy, D1, PaperAccount, QQQ, randomMarket, SPY, T0 } from './harness.ts';

const DAYS = 425;
/** The first fifty days only warm the slow daily EMA up; no entry is possible before. */
const TRADING_MONTHS = (DAYS - 50) / 30.44;

/**
 * How often the bot trades. The target on real index ETFs is about one or two entries per instrument per month;
 * these markets are synthetic and trade round the clock (six 4h candles a day), so the figures are rough.
 */
describe('trade frequency', () => {
  it('test_frequency_when_a_year_of_index_like_regimes_then_about_one_or_two_entries_a_month', () => {
    // Act: ten seeded markets of fourteen months each.
    const perMonth = Array.from({ length: 10 }, (_, index) => {
      const account = new PaperAccount(createStrategy()).feed(candlesFrom(randomMarket(index + 1, DAYS)));
      return account.ofType('ENTER').length / TRADING_MONTHS;
    });
    const mean = perMonth.reduce((sum, x) => sum + x, 0) / perMonth.length;
    console.info(`trend-following: ${mean.toFixed(2)} entries per instrument per month on index-like regimes (range ${Math.min(...perMonth).toFixed(2)}–${Math.max(...perMonth).toFixed(2)})`);
    // Assert
    expect(mean).toBeGreaterThan(0.5);
    expect(mean).toBeLessThan(3);
  });

  it('test_frequency_when_the_fleets_synthetic_market_then_a_few_entries_a_month', () => {
    // Arrange: the market the paper fleet runs on, calibrated on crypto (3 % a day, trends of a day or so).
    const source = new SyntheticCandleSource({
      seed: 20_261_121,
      startMs: T0,
      historyLimit: 10,
      instruments: [
        { id: QQQ, tickSize: Decimal.parse('0.01'), lotStep: Decimal.ONE, startPrice: Decimal.parse('480') },
        { id: SPY, tickSize: Decimal.parse('0.01'), lotStep: Decimal.ONE, startPrice: Decimal.parse('560') },
      ],
    });
    const account = new PaperAccount(createStrategy());
    for (const id of [QQQ, SPY]) for (const timeframe of ['4h', '1d'] as const) source.subscribe(id, timeframe, (c: TimeframeCandle) => account.step(c));
    // Act
    source.advanceTo(T0 + DAYS * D1);
    // Assert
    const perMonth = [QQQ, SPY].map((id) => account.ofType('ENTER').filter((e) => e.instrumentId === id).length / TRADING_MONTHS);
    console.info(`trend-following: ${perMonth.map((x) => x.toFixed(2)).join(' and ')} entries per month (QQQ, SPY) on the fleet's synthetic market`);
    for (const x of perMonth) {
      expect(x).toBeGreaterThan(0.3);
      expect(x).toBeLessThan(4);
    }
  });
});
