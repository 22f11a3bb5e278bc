import { ADX, ATR, BollingerBands, EMA, RMA, WSMA } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { InstrumentIndicators } from '../../../bots/aggressive/indicators.ts';
import { BTC, CHOPPY, DEFAULTS, market, UPTREND, WARM_UP } from './fixtures.ts';

describe('aggressive indicators', () => {
  const candles = market(BTC, [WARM_UP, UPTREND, CHOPPY]);
  const bars = candles.map((candle) => ({ high: candle.high.toNumber(), low: candle.low.toNumber(), close: candle.close.toNumber() }));

  it('test_update_when_fed_a_market_then_readings_match_the_definitions_computed_from_trading_signals_directly', () => {
    // Arrange: the same candles through the library's own indicators, kept as plain series.
    const ema = new EMA(DEFAULTS.emaPeriod);
    const atr = new ATR(DEFAULTS.atrPeriod, RMA);
    const adx = new ADX(DEFAULTS.adxPeriod, RMA);
    const bands = new BollingerBands(DEFAULTS.bollingerPeriod, DEFAULTS.bollingerDeviation);
    const emas: number[] = [];
    const atrShares: number[] = [];
    const subject = new InstrumentIndicators(DEFAULTS);
    let warmFrom = -1;
    bars.forEach((bar, index) => {
      emas.push(ema.add(bar.close) ?? Number.NaN);
      const range = atr.add(bar);
      adx.add(bar);
      const band = bands.add(bar.close);
      if (range !== null) atrShares.push(range / bar.close);
      // Act
      const warm = subject.update(bar.high, bar.low, bar.close);
      if (!warm) return;
      if (warmFrom < 0) warmFrom = index;
      // Assert: once warm (the percentile window full), every reading is the textbook one.
      const window = atrShares.slice(-DEFAULTS.atrPercentileLookback);
      const share = range! / bar.close;
      expect(subject.atr).toBe(range);
      expect(subject.adx).toBe(adx.getResult());
      expect(subject.atrPercentile).toBe(window.filter((value) => value <= share).length / window.length);
      expect(subject.bandWidth).toBeCloseTo((band!.upper - band!.lower) / band!.middle, 12);
      expect(subject.bandPosition).toBeCloseTo((bar.close - band!.lower) / (band!.upper - band!.lower), 12);
      expect(subject.slope).toBeCloseTo((emas[index]! - emas[index - DEFAULTS.slopeLookback]!) / subject.atr, 6);
    });
    // The strategy is warm as soon as the ATR has filled the percentile window, and not before.
    expect(warmFrom).toBe(DEFAULTS.atrPeriod - 1 + DEFAULTS.atrPercentileLookback - 1);
  });

  it('test_update_when_warm_then_rma_smoothing_agrees_with_the_default_wilder_smoothing_of_trading_signals', () => {
    // Arrange: ADX and ATR with trading-signals' default WSMA; the strategy uses RMA, which differs only in its seed.
    const atr = new ATR(DEFAULTS.atrPeriod, WSMA);
    const adx = new ADX(DEFAULTS.adxPeriod, WSMA);
    const subject = new InstrumentIndicators(DEFAULTS);
    // Act
    for (const bar of bars) {
      atr.add(bar);
      adx.add(bar);
      subject.update(bar.high, bar.low, bar.close);
    }
    // Assert
    expect(subject.atr / atr.getResult()!).toBeCloseTo(1, 6);
    expect(subject.adx / adx.getResult()!).toBeCloseTo(1, 6);
  });

  it('test_update_when_the_slope_lookback_changes_then_the_slope_spans_that_many_candles', () => {
    // Arrange
    const ema = new EMA(DEFAULTS.emaPeriod);
    const emas = bars.map((bar) => ema.add(bar.close)!);
    const subject = new InstrumentIndicators({ ...DEFAULTS, slopeLookback: 12 });
    // Act
    for (const bar of bars) subject.update(bar.high, bar.low, bar.close);
    // Assert
    const last = bars.length - 1;
    expect(subject.slope * subject.atr).toBeCloseTo(emas[last]! - emas[last - 12]!, 9);
  });
});
