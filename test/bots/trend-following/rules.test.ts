import { describe, expect, it } from 'vitest';
import { DailyTrend } from '../../../bots/trend-following/daily-trend.ts';
import type { DailyReading } from '../../../bots/trend-following/daily-trend.ts';
import { isBreakout, isPullbackResumption } from '../../../bots/trend-following/entry-rules.ts';
import type { Bar } from '../../../bots/trend-following/entry-rules.ts';
import { entryQuantity, heldNotional, shouldMoveStop, trailingStop } from '../../../bots/trend-following/position-rules.ts';
import { Decimal } from '../../../core/decimal.ts';
import { candlesFrom, DEFAULTS, DOWNTREND, FLAT, path, UPTREND } from './harness.ts';
import type { Segment } from './harness.ts';

function dailyReadings(segments: Segment[], settings = DEFAULTS): DailyReading[] {
  const trend = new DailyTrend(settings);
  return candlesFrom(path(segments))
    .filter((c) => c.timeframe === '1d')
    .map((c) => trend.update({ high: c.high.toNumber(), low: c.low.toNumber(), close: c.close.toNumber() }));
}

const bar = (low: number, high: number, close = (low + high) / 2): Bar => ({ high, low, close });

describe('daily trend confirmation', () => {
  it('test_daily_trend_when_steady_uptrend_then_up_once_warm', () => {
    // Act
    const readings = dailyReadings([UPTREND]);
    // Assert: nothing before the slow EMA is warm, UP from then on.
    expect(readings.slice(0, DEFAULTS.dailySlowEmaPeriod - 1).every((r) => r.trend === 'NONE')).toBe(true);
    expect(readings.slice(DEFAULTS.dailySlowEmaPeriod).every((r) => r.trend === 'UP' && r.alignment === 'UP')).toBe(true);
    expect(readings.at(-1)?.adx).toBeGreaterThan(DEFAULTS.adxThreshold);
  });

  it('test_daily_trend_when_steady_downtrend_then_down', () => {
    // Act
    const readings = dailyReadings([DOWNTREND]);
    // Assert
    expect(readings.slice(DEFAULTS.dailySlowEmaPeriod).every((r) => r.trend === 'DOWN')).toBe(true);
  });

  it('test_daily_trend_when_flat_market_then_none_although_the_emas_point_somewhere', () => {
    // Act
    const readings = dailyReadings([FLAT]);
    // Assert: the EMAs wobble both ways, ADX stays far under the threshold, so no trend is confirmed.
    const late = readings.slice(DEFAULTS.dailySlowEmaPeriod);
    expect(late.every((r) => r.trend === 'NONE')).toBe(true);
    expect(new Set(late.map((r) => r.alignment))).toEqual(new Set(['UP', 'DOWN']));
    expect(Math.max(...late.map((r) => r.adx ?? 0))).toBeLessThan(DEFAULTS.adxThreshold);
  });

  it('test_daily_trend_when_adx_is_under_the_threshold_then_none_with_the_emas_aligned', () => {
    // Arrange: the same uptrend, its ADX (about 68) against a threshold above it.
    const adx = dailyReadings([UPTREND]).at(-1)?.adx ?? 0;
    // Act
    const strict = dailyReadings([UPTREND], { ...DEFAULTS, adxThreshold: Math.ceil(adx) + 1 });
    // Assert
    expect(strict.at(-1)).toMatchObject({ alignment: 'UP', trend: 'NONE' });
  });

  it('test_daily_trend_when_the_fast_ema_crosses_below_the_slow_then_alignment_flips_to_down', () => {
    // Act: eighty days up, then a decline.
    const readings = dailyReadings([{ ...UPTREND, days: 80 }, { ...DOWNTREND, days: 40, dailyDrift: -0.015 }]);
    // Assert
    const flip = readings.findIndex((r, day) => day >= 80 && r.alignment === 'DOWN');
    expect(flip).toBeGreaterThan(80);
    expect(readings[flip - 1]?.alignment).toBe('UP');
    expect(readings.at(-1)?.trend).toBe('DOWN');
  });
});

describe('4h entry rules', () => {
  const rising = [bar(99, 100), bar(100, 101), bar(101, 102)];

  it('test_breakout_when_close_beyond_the_lookback_extreme_then_fires_in_that_direction_only', () => {
    // Act / Assert
    expect(isBreakout(rising, bar(101, 103, 102.5), 1, 3)).toBe(true);
    expect(isBreakout(rising, bar(101, 103, 101.9), 1, 3)).toBe(false);
    expect(isBreakout(rising, bar(101, 103, 102.5), -1, 3)).toBe(false);
    expect(isBreakout(rising, bar(97, 99, 98.5), -1, 3)).toBe(true);
  });

  it('test_breakout_when_history_is_shorter_than_the_lookback_then_does_not_fire', () => {
    // Act / Assert
    expect(isBreakout(rising, bar(101, 110, 109), 1, 4)).toBe(false);
  });

  it('test_pullback_when_deep_enough_and_price_resumes_then_fires', () => {
    // Arrange: a swing high of 110, lows down to 105, then a close above the last candle's high.
    const window = [bar(100, 108), bar(104, 110), bar(106, 109), bar(105, 107)];
    // Act / Assert
    expect(isPullbackResumption(window, bar(106, 108, 107.5), 1, 4, 5)).toBe(true);
    // Too shallow for a depth of 6.
    expect(isPullbackResumption(window, bar(106, 108, 107.5), 1, 4, 6)).toBe(false);
    // Deep enough, but the candle does not close above the previous high: the pullback is still going.
    expect(isPullbackResumption(window, bar(104, 107, 106), 1, 4, 5)).toBe(false);
    // The swing high is outside a two-candle window.
    expect(isPullbackResumption(window, bar(106, 108, 107.5), 1, 2, 5)).toBe(false);
  });

  it('test_pullback_when_the_last_candle_is_the_swing_then_no_pullback_yet', () => {
    // Act / Assert
    expect(isPullbackResumption(rising, bar(101, 103, 102.5), 1, 3, 0.1)).toBe(false);
  });

  it('test_pullback_when_short_then_mirrored', () => {
    // Arrange: a swing low of 90, a bounce to 95, then a close below the last candle's low.
    const window = [bar(92, 100), bar(90, 96), bar(91, 94), bar(93, 95)];
    // Act / Assert
    expect(isPullbackResumption(window, bar(91, 94, 92.5), -1, 4, 5)).toBe(true);
    expect(isPullbackResumption(window, bar(91, 94, 92.5), 1, 4, 5)).toBe(false);
  });
});

describe('sizing and trailing', () => {
  const equity = Decimal.parse('100000');

  it('test_entry_quantity_when_leverage_does_not_bind_then_risk_over_stop_distance', () => {
    // Act
    const quantity = entryQuantity({ equity, price: Decimal.parse('100'), stopDistance: 4, riskFraction: 0.005, leverage: 2, heldNotional: Decimal.ZERO });
    // Assert: 500 at risk over 4 per share; notional 12,500 is far below 200,000.
    expect(quantity.toString()).toBe('125');
  });

  it('test_entry_quantity_when_leverage_binds_then_notional_is_equity_times_leverage', () => {
    // Act
    const quantities = [1, 2, 3].map((leverage) => entryQuantity({ equity, price: Decimal.parse('400'), stopDistance: 0.5, riskFraction: 0.01, leverage, heldNotional: Decimal.ZERO }));
    // Assert: risk alone would ask for 2,000 shares (800,000 notional).
    expect(quantities.map((q) => q.toString())).toEqual(['250', '500', '750']);
  });

  it('test_entry_quantity_when_other_positions_hold_notional_then_leverage_caps_the_whole_book', () => {
    // Act: 150,000 already held at 2× leverage on 100,000 of equity leaves room for 50,000 more.
    const quantity = entryQuantity({ equity, price: Decimal.parse('400'), stopDistance: 0.5, riskFraction: 0.01, leverage: 2, heldNotional: Decimal.parse('150000') });
    const full = entryQuantity({ equity, price: Decimal.parse('400'), stopDistance: 0.5, riskFraction: 0.01, leverage: 2, heldNotional: Decimal.parse('200000') });
    // Assert
    expect(quantity.toString()).toBe('125');
    expect(full.isZero()).toBe(true);
  });

  it('test_held_notional_when_long_and_short_then_each_at_its_mark_in_absolute_value', () => {
    // Arrange: 10 long bought at 100 now worth 110; 5 short sold at 200 now at 190.
    const positions = new Map([
      ['A', { quantity: Decimal.parse('10'), averageEntryPrice: Decimal.parse('100'), unrealizedPnl: Decimal.parse('100') }],
      ['B', { quantity: Decimal.parse('-5'), averageEntryPrice: Decimal.parse('200'), unrealizedPnl: Decimal.parse('50') }],
    ]);
    // Act / Assert: 1,100 + 950.
    expect(heldNotional(positions).toString()).toBe('2050');
  });

  it('test_entry_quantity_when_no_equity_then_zero', () => {
    // Act / Assert
    expect(entryQuantity({ equity: Decimal.ZERO, price: Decimal.parse('100'), stopDistance: 4, riskFraction: 0.005, leverage: 2, heldNotional: Decimal.ZERO }).isZero()).toBe(true);
  });

  it('test_trailing_stop_when_long_or_short_then_k_atrs_behind_the_best_price', () => {
    // Act / Assert
    expect(trailingStop({ direction: 1, extreme: 120 }, 2, 3)).toBe(114);
    expect(trailingStop({ direction: -1, extreme: 80 }, 2, 3)).toBe(86);
  });

  it('test_should_move_stop_when_looser_too_small_or_beyond_price_then_no', () => {
    // Act / Assert
    expect(shouldMoveStop(1, 105, 100, 110, 1)).toBe(true);
    expect(shouldMoveStop(1, 99, 100, 110, 0)).toBe(false);
    expect(shouldMoveStop(1, 100.5, 100, 110, 1)).toBe(false);
    expect(shouldMoveStop(1, 111, 100, 110, 1)).toBe(false);
    expect(shouldMoveStop(-1, 95, 100, 90, 1)).toBe(true);
    expect(shouldMoveStop(-1, 101, 100, 90, 0)).toBe(false);
  });
});
