import { describe, expect, it } from 'vitest';
import { directionOf, environmentPasses, judge, triggerOf } from '../../../bots/adaptive/layers.ts';
import type { Bar, Reading } from '../../../bots/adaptive/layers.ts';
import { BTC, DEFAULTS, breakoutBar, mirror, notesAt, ordersOf, pullbackBar, quietBar, range, readingAfter, simulate, strategy, uptrend } from './fixtures.ts';
import { BREAKOUT_RUN, PULLBACK_RUN, QUIET, SIGNAL, V_TURN, WARM_UP } from './scenarios.ts';

/** A reading that passes every layer for a long, to be spoiled one field at a time. */
const PASSING: Reading = { adx: 30, plusDi: 0.3, minusDi: 0.1, bandWidth: 0.02, volumeRatio: 2, fastEma: 101, midEma: 100, slowEma: 99, atr: 1, previousRange: 1 };
const reading = (overrides: Partial<Reading> = {}): Reading => ({ ...PASSING, ...overrides });
const BAR: Bar = { open: 101.5, high: 102.2, low: 101.4, close: 102.1, volume: 200 };

function lastNote(bars: Bar[], overrides = {}): string[] {
  return notesAt(simulate(strategy(overrides), bars), bars.length - 1);
}

describe('layer 1, environment', () => {
  it.each([
    ['adx_below_threshold', { adx: 19.99 }],
    ['band_width_below_min', { bandWidth: DEFAULTS.bandWidthMin - 0.0001 }],
    ['band_width_above_max', { bandWidth: DEFAULTS.bandWidthMax + 0.0001 }],
    ['volume_below_k_times_average', { volumeRatio: DEFAULTS.volumeK - 0.01 }],
  ])('test_environment_when_%s_then_blocked', (_, spoil) => {
    // Arrange / Act / Assert
    expect(environmentPasses(reading(spoil), DEFAULTS)).toBe(false);
    expect(judge(BAR, reading(spoil), DEFAULTS)).toEqual({ blocked: 'ENVIRONMENT' });
  });

  it.each([
    ['adx_at_threshold', { adx: DEFAULTS.adxThreshold }],
    ['band_width_at_min', { bandWidth: DEFAULTS.bandWidthMin }],
    ['band_width_at_max', { bandWidth: DEFAULTS.bandWidthMax }],
    ['volume_at_k_times_average', { volumeRatio: DEFAULTS.volumeK }],
  ])('test_environment_when_%s_then_passes', (_, edge) => {
    expect(environmentPasses(reading(edge), DEFAULTS)).toBe(true);
  });

  it('test_uptrend_when_volume_is_ordinary_then_every_ready_candle_is_blocked_by_environment_once', () => {
    // Arrange
    const simulation = simulate(strategy(), WARM_UP);
    // Act
    const blocked = simulation.steps.filter((step) => step.action.type === 'NOTE' && step.action.name === 'ENTRY_BLOCKED');
    // Assert: from the first warm candle (the 50-candle EMA) on, one note per candle, naming the instrument.
    expect(blocked.map((step) => step.index)).toEqual(Array.from({ length: WARM_UP.length - 49 }, (_, i) => 49 + i));
    expect(blocked.every((step) => step.action.type === 'NOTE' && step.action.value === 'ENVIRONMENT' && step.action.instrumentId === BTC)).toBe(true);
    expect(ordersOf(simulation)).toEqual([]);
  });

  it('test_range_when_a_breakout_comes_on_heavy_volume_then_blocked_by_environment_for_its_weak_adx', () => {
    // Arrange
    const sideways = range(90);
    const bars = [...sideways, breakoutBar(sideways, 1)];
    expect(readingAfter(bars).adx).toBeLessThan(DEFAULTS.adxThreshold);
    // Act / Assert
    expect(lastNote(bars)).toEqual(['ENVIRONMENT']);
  });

  it('test_breakout_when_the_band_width_is_outside_the_band_then_blocked_by_environment', () => {
    // Arrange: the trend's band width is ≈ 0.022.
    const bars = BREAKOUT_RUN.slice(0, SIGNAL + 1);
    // Act / Assert
    expect(lastNote(bars, { bandWidthMin: 0.025 })).toEqual(['ENVIRONMENT']);
    expect(lastNote(bars, { bandWidthMax: 0.02 })).toEqual(['ENVIRONMENT']);
    expect(lastNote(bars, { bandWidthMin: 0.02, bandWidthMax: 0.025 })).toEqual([]);
  });
});

describe('layer 2, direction', () => {
  it.each([
    ['stacked_up_and_plus_di_leads', {}, 'LONG'],
    ['stacked_down_and_minus_di_leads', { fastEma: 99, slowEma: 101, plusDi: 0.1, minusDi: 0.3 }, 'SHORT'],
    ['stacked_up_but_minus_di_leads', { plusDi: 0.1, minusDi: 0.3 }, null],
    ['stacked_down_but_plus_di_leads', { fastEma: 99, slowEma: 101 }, null],
    ['fast_above_mid_but_mid_below_slow', { slowEma: 100.5 }, null],
    ['fast_below_mid', { fastEma: 99.5 }, null],
    ['di_level', { minusDi: 0.3 }, null],
  ])('test_direction_when_%s_then_%s', (_, spoil, expected) => {
    expect(directionOf(reading(spoil))).toBe(expected);
  });

  it('test_v_turn_when_the_slow_ema_still_lags_above_then_blocked_by_direction', () => {
    // Arrange: environment passes and the DI pair says up, but the EMAs are not stacked.
    const r = readingAfter(V_TURN);
    expect(environmentPasses(r, DEFAULTS)).toBe(true);
    expect(r.plusDi).toBeGreaterThan(r.minusDi);
    expect(r.midEma).toBeLessThan(r.slowEma);
    // Act / Assert
    expect(lastNote(V_TURN)).toEqual(['DIRECTION']);
    expect(ordersOf(simulate(strategy(), V_TURN))).toEqual([]);
  });

  it('test_direction_when_it_agrees_on_every_candle_of_a_trend_then_it_never_enters_without_a_trigger', () => {
    // Arrange: a quiet heavy-volume candle after each of 31 different points of the uptrend.
    const trend = uptrend(120);
    for (let end = 90; end <= 120; end++) {
      const bars = [...trend.slice(0, end), quietBar(trend.slice(0, end), 1)];
      expect(directionOf(readingAfter(bars))).toBe('LONG');
      // Act
      const simulation = simulate(strategy(), bars);
      // Assert
      expect(ordersOf(simulation)).toEqual([]);
      expect(notesAt(simulation, end)).toEqual(['TRIGGER']);
    }
  });
});

describe('layer 3, trigger', () => {
  it('test_trigger_when_the_close_clears_open_plus_k_ranges_then_breakout', () => {
    const r = reading({ previousRange: 1 });
    expect(triggerOf({ ...BAR, open: 100, close: 100.51, low: 100, high: 100.6 }, r, 'LONG', DEFAULTS)).toBe('BREAKOUT');
    expect(triggerOf({ ...BAR, open: 100, close: 100.5, low: 100, high: 100.6 }, r, 'LONG', DEFAULTS)).toBe(null);
    expect(triggerOf({ ...BAR, open: 100, close: 99.49, low: 99.4, high: 100 }, reading({ previousRange: 1, fastEma: 99, slowEma: 101, plusDi: 0.1, minusDi: 0.3 }), 'SHORT', DEFAULTS)).toBe('BREAKOUT');
  });

  it('test_trigger_when_a_breakout_goes_against_the_direction_then_nothing', () => {
    expect(triggerOf({ ...BAR, open: 100, close: 98, low: 97.9, high: 100 }, reading(), 'LONG', DEFAULTS)).toBe(null);
  });

  it('test_trigger_when_the_low_reaches_the_fast_ema_and_the_close_holds_then_pullback', () => {
    // Arrange: fast EMA 101, ATR 1, tolerance 0.2.
    const r = reading();
    const small = { open: 101.3, close: 101.35, high: 101.4, volume: 200 };
    // Act / Assert
    expect(triggerOf({ ...small, low: 101.2 }, r, 'LONG', DEFAULTS)).toBe('PULLBACK');
    expect(triggerOf({ ...small, low: 101.21 }, r, 'LONG', DEFAULTS)).toBe(null);
    expect(triggerOf({ open: 101.3, close: 100.99, high: 101.4, low: 100.8, volume: 200 }, r, 'LONG', DEFAULTS)).toBe(null);
  });

  it('test_breakout_when_it_comes_after_the_uptrend_then_enters_long_and_short_mirrored', () => {
    // Arrange
    const long = [...WARM_UP, breakoutBar(WARM_UP, 1)];
    const short = mirror(long);
    // Act
    const longOrders = ordersOf(simulate(strategy(), long));
    const shortOrders = ordersOf(simulate(strategy(), short));
    // Assert
    expect(longOrders).toEqual([{ index: SIGNAL, action: expect.objectContaining({ type: 'ENTER', side: 'BUY', reason: 'breakout long' }) }]);
    expect(shortOrders).toEqual([{ index: SIGNAL, action: expect.objectContaining({ type: 'ENTER', side: 'SELL', reason: 'breakout short' }) }]);
    expect(notesAt(simulate(strategy(), long), SIGNAL)).toEqual([]);
  });

  it('test_breakout_when_the_body_falls_just_short_of_k_ranges_then_blocked_by_trigger', () => {
    // Arrange
    const bars = [...WARM_UP, breakoutBar(WARM_UP, 1, 0.5, -0.01)];
    // Act / Assert
    expect(lastNote(bars)).toEqual(['TRIGGER']);
  });

  it('test_pullback_when_it_touches_the_fast_ema_and_holds_then_enters_long_and_short_mirrored', () => {
    // Arrange
    const long = [...WARM_UP, pullbackBar(WARM_UP, 1, 0.3)];
    const down = mirror(WARM_UP);
    const short = [...down, pullbackBar(down, -1, 0.3)];
    // Act / Assert
    expect(ordersOf(simulate(strategy(), long))).toEqual([{ index: SIGNAL, action: expect.objectContaining({ side: 'BUY', reason: 'pullback long' }) }]);
    expect(ordersOf(simulate(strategy(), short))).toEqual([{ index: SIGNAL, action: expect.objectContaining({ side: 'SELL', reason: 'pullback short' }) }]);
    expect(ordersOf(simulate(strategy(), PULLBACK_RUN))[0]).toEqual({ index: SIGNAL, action: expect.objectContaining({ reason: 'pullback long' }) });
  });

  it('test_pullback_when_the_close_gives_way_below_the_fast_ema_then_no_entry', () => {
    // Arrange: the candle dips through the fast EMA and closes 0.1 below it.
    const r = readingAfter(WARM_UP);
    const open = WARM_UP.at(-1)!.close;
    const broken: Bar = { open, high: open + 0.02, low: r.fastEma - 0.3, close: r.fastEma - 0.1, volume: 250 };
    const bars = [...WARM_UP, broken];
    expect(directionOf(readingAfter(bars))).toBe('LONG');
    // Act / Assert
    expect(lastNote(bars)).toEqual(['TRIGGER']);
  });

  it('test_pullback_when_it_stops_short_of_the_tolerance_then_blocked_by_trigger', () => {
    // Arrange: the low stays 0.3 ATR above the fast EMA; the tolerance is 0.2 ATR.
    const bars = [...WARM_UP, pullbackBar(WARM_UP, 1, -0.3)];
    // Act / Assert
    expect(lastNote(bars)).toEqual(['TRIGGER']);
    expect(lastNote(QUIET)).toEqual(['TRIGGER']);
  });
});
