import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.ts';
import type { StrategyAction } from '../../../core/strategy.ts';
import type { AggressiveParameters } from '../../../bots/aggressive/parameters.ts';
import { classifyRegime, longConfidence } from '../../../bots/aggressive/regime.ts';
import type { Regime } from '../../../bots/aggressive/regime.ts';
import type { Segment } from './fixtures.ts';
import { BTC, CHOPPY, DEFAULTS, DOWNTREND, ETH, FIVE_MINUTES, market, QUIET, SOL, SPIKE, UPTREND, WARM_UP, XRP } from './fixtures.ts';
import aggressive from '../../../bots/aggressive/strategy.ts';
import { BOT, decide, openOrder, position, readingAfter, replay, view } from './harness.ts';

type Enter = Extract<StrategyAction, { type: 'ENTER' }>;
const enters = (actions: StrategyAction[]): Enter[] => actions.filter((action): action is Enter => action.type === 'ENTER');

/** Thirty candles into a steady uptrend: STRONG_UPTREND, long confidence around 0.9, and the bot would enter. */
const UPTREND_CANDLES = market(BTC, [WARM_UP, { ...UPTREND, candles: 30 }]);
const DOWNTREND_CANDLES = market(BTC, [WARM_UP, { ...DOWNTREND, candles: 30 }]);

describe('aggressive entries', () => {
  it('test_on_candle_when_an_uptrend_passes_the_threshold_then_a_market_long_with_stop_below_and_take_profit_above_by_their_atr_multiples', () => {
    // Arrange
    const reading = readingAfter(UPTREND_CANDLES);
    const close = UPTREND_CANDLES.at(-1)!.close.toNumber();
    // Act
    const [entry] = enters(decide(UPTREND_CANDLES));
    // Assert
    expect(entry).toMatchObject({ instrumentId: BTC, side: 'BUY', orderType: 'MARKET', size: { kind: 'RISK' } });
    expect(entry!.stopLoss.toNumber()).toBeCloseTo(close - DEFAULTS.stopAtr * reading.atr, 9);
    expect(entry!.takeProfit!.toNumber()).toBeCloseTo(close + DEFAULTS.takeProfitAtr * reading.atr, 9);
  });

  it('test_on_candle_when_a_downtrend_passes_the_threshold_then_a_short_with_stop_above_and_take_profit_below', () => {
    // Arrange
    const reading = readingAfter(DOWNTREND_CANDLES);
    const close = DOWNTREND_CANDLES.at(-1)!.close.toNumber();
    // Act
    const [entry] = enters(decide(DOWNTREND_CANDLES));
    // Assert
    expect(entry).toMatchObject({ side: 'SELL', orderType: 'MARKET' });
    expect(entry!.stopLoss.toNumber()).toBeCloseTo(close + DEFAULTS.stopAtr * reading.atr, 9);
    expect(entry!.takeProfit!.toNumber()).toBeCloseTo(close - DEFAULTS.takeProfitAtr * reading.atr, 9);
  });

  it('test_on_candle_when_stop_and_take_profit_multiples_change_then_the_bracket_moves_with_them', () => {
    // Act
    const [wide] = enters(decide(UPTREND_CANDLES, { stopAtr: 2.4, takeProfitAtr: 0.9 }));
    const [normal] = enters(decide(UPTREND_CANDLES));
    // Assert
    const close = UPTREND_CANDLES.at(-1)!.close.toNumber();
    expect(close - wide!.stopLoss.toNumber()).toBeCloseTo(2 * (close - normal!.stopLoss.toNumber()), 9);
    expect(wide!.takeProfit!.toNumber() - close).toBeCloseTo((normal!.takeProfit!.toNumber() - close) / 2, 9);
  });

  describe('the regime adjusts the threshold', () => {
    const cases: Array<[string, Segment, Regime, 'easing' | 'tightening']> = [
      ['an uptrend', { ...UPTREND, candles: 30 }, 'STRONG_UPTREND', 'easing'],
      ['a downtrend', { ...DOWNTREND, candles: 30 }, 'STRONG_DOWNTREND', 'easing'],
      ['high volatility', SPIKE, 'HIGH_VOLATILITY', 'tightening'],
      ['a quiet range', QUIET, 'SIDEWAYS_QUIET', 'tightening'],
      ['a choppy range', CHOPPY, 'SIDEWAYS_CHOPPY', 'tightening'],
    ];
    const adjustmentKey = (regime: Regime, long: boolean): keyof AggressiveParameters => {
      const prefix = { STRONG_UPTREND: 'uptrend', STRONG_DOWNTREND: 'downtrend', HIGH_VOLATILITY: 'highVolatility', SIDEWAYS_QUIET: 'quiet', SIDEWAYS_CHOPPY: 'choppy' }[regime];
      return `${prefix}${long ? 'Long' : 'Short'}Adjustment` as keyof AggressiveParameters;
    };

    it.each(cases)('test_on_candle_when_in_%s_then_its_adjustment_decides_whether_the_entry_fires', (_, segment, regime, kind) => {
      // Arrange: the base threshold is put just beside the confidence, so only the adjustment tips the outcome.
      const candles = market(BTC, [WARM_UP, segment]);
      const reading = readingAfter(candles);
      expect(classifyRegime(reading, DEFAULTS)).toBe(regime);
      const long = longConfidence(reading, DEFAULTS) > 0.5;
      const confidence = long ? longConfidence(reading, DEFAULTS) : 1 - longConfidence(reading, DEFAULTS);
      const key = adjustmentKey(regime, long);
      const adjustment = DEFAULTS[key] as number;
      const base = kind === 'easing' ? confidence - adjustment / 2 : confidence - 0.01;
      // Act
      const withAdjustment = enters(decide(candles, { baseThreshold: base }));
      const withoutAdjustment = enters(decide(candles, { baseThreshold: base, [key]: 0 }));
      // Assert
      const fired = [{ side: long ? 'BUY' : 'SELL', reason: expect.stringContaining(regime) }];
      if (kind === 'easing') {
        expect(withAdjustment).toMatchObject(fired);
        expect(withoutAdjustment).toEqual([]);
      } else {
        expect(withAdjustment).toEqual([]);
        expect(withoutAdjustment).toMatchObject(fired);
      }
    });

    it('test_on_candle_when_confidence_is_just_under_or_just_over_the_adjusted_threshold_then_no_entry_or_entry', () => {
      // Arrange: a quiet range, where the short side leads with a confidence near 0.63.
      const candles = market(BTC, [WARM_UP, QUIET]);
      const confidence = 1 - longConfidence(readingAfter(candles), DEFAULTS);
      const baseAtConfidence = confidence - DEFAULTS.quietShortAdjustment;
      // Act / Assert
      expect(enters(decide(candles, { baseThreshold: baseAtConfidence + 1e-9 }))).toEqual([]);
      expect(enters(decide(candles, { baseThreshold: baseAtConfidence - 1e-9 }))).toMatchObject([{ side: 'SELL' }]);
    });
  });

  it('test_on_candle_when_a_candle_of_another_timeframe_arrives_then_it_is_ignored', () => {
    // Act: the same uptrend, but the last candle is a 1-minute one.
    const actions = decide([...UPTREND_CANDLES.slice(0, -1), { ...UPTREND_CANDLES.at(-1)!, timeframe: '1m', durationMs: 60_000 }]);
    // Assert
    expect(actions).toEqual([]);
  });

  it('test_on_candle_when_it_enters_then_a_regime_note_on_the_same_candle_and_instrument_comes_first', () => {
    // Act
    const actions = decide(UPTREND_CANDLES);
    // Assert
    expect(actions.map((action) => action.type)).toEqual(['NOTE', 'ENTER']);
    expect(actions[0]).toEqual({ type: 'NOTE', name: 'REGIME', value: 'STRONG_UPTREND', instrumentId: BTC });
  });

  it('test_replay_when_entries_happen_then_each_has_a_declared_regime_note_on_its_candle_and_instrument', () => {
    // Arrange
    const markets = [market(BTC, [WARM_UP, UPTREND, CHOPPY, DOWNTREND, QUIET, SPIKE]), market(ETH, [WARM_UP, DOWNTREND, CHOPPY, UPTREND], { seed: 3, start: 40 })];
    // Act
    const run = replay(markets);
    // Assert
    expect(run.errors).toEqual([]);
    expect(run.entries.length).toBeGreaterThan(10);
    for (const { index, intent } of run.entries) {
      const notes = run.notes.filter((note) => note.index === index && note.instrumentId === intent.instrumentId);
      expect(notes).toHaveLength(1);
      expect(intent.reason.startsWith(`${notes[0]!.value}:`)).toBe(true);
    }
  });

  describe('what blocks an entry', () => {
    it.each([
      ['REDUCING', { tradingState: 'REDUCING' as const }],
      ['HALTED', { tradingState: 'HALTED' as const }],
      ['a_pending_entry_on_the_instrument', { pendingEntries: new Set([BTC]) }],
      ['an_open_entry_order_on_the_instrument', { openOrders: [openOrder('entry-1', BTC, 'ENTRY', 'BUY', null)] }],
      ['a_position_on_the_instrument', { positions: new Map([[BTC, position(BTC, '-0.5', '100')]]) }],
      ['max_positions_reached_by_positions_and_a_pending_entry', { positions: new Map([[ETH, position(ETH, '1', '50')], [SOL, position(SOL, '-2', '20')]]), pendingEntries: new Set([XRP]) }],
      ['max_positions_reached_by_an_open_entry_order', { positions: new Map([[ETH, position(ETH, '1', '50')], [SOL, position(SOL, '-2', '20')]]), openOrders: [openOrder('entry-2', XRP, 'ENTRY', 'SELL', null)] }],
    ])('test_on_candle_when_%s_then_no_entry', (_, state) => {
      // Act
      const actions = decide(UPTREND_CANDLES, {}, state);
      // Assert
      expect(enters(actions)).toEqual([]);
    });

    it.each([
      ['a_pending_entry_elsewhere', { pendingEntries: new Set([ETH]) }],
      ['a_flat_position_record', { positions: new Map([[BTC, position(BTC, '0', '100')]]) }],
      ['two_positions_of_three_allowed', { positions: new Map([[ETH, position(ETH, '1', '50')], [SOL, position(SOL, '0', '20')], [XRP, position(XRP, '-5', '1')]]) }],
    ])('test_on_candle_when_%s_then_it_still_enters', (_, state) => {
      // Act
      const actions = decide(UPTREND_CANDLES, {}, state);
      // Assert
      expect(enters(actions)).toHaveLength(1);
    });

    it('test_on_candle_when_max_concurrent_positions_is_raised_then_the_same_book_no_longer_blocks', () => {
      // Arrange
      const full = { positions: new Map([[ETH, position(ETH, '1', '50')], [SOL, position(SOL, '-2', '20')]]), pendingEntries: new Set([XRP]) };
      // Act / Assert
      expect(enters(decide(UPTREND_CANDLES, { maxConcurrentPositions: 3 }, full))).toEqual([]);
      expect(enters(decide(UPTREND_CANDLES, { maxConcurrentPositions: 4 }, full))).toHaveLength(1);
    });

    it('test_replay_when_four_markets_trend_together_then_never_more_open_than_max_concurrent_positions', () => {
      // Arrange
      const markets = [BTC, ETH, SOL, XRP].map((instrumentId, seed) => market(instrumentId, [WARM_UP, UPTREND, DOWNTREND], { seed: seed + 1 }));
      // Act
      const capped = replay(markets, { parameters: { maxConcurrentPositions: 2 } });
      const free = replay(markets, { parameters: { maxConcurrentPositions: 4 } });
      // Assert
      expect(capped.peakOccupied).toBe(2);
      expect(free.peakOccupied).toBe(4);
      expect(capped.entries.length).toBeLessThan(free.entries.length);
    });

    it('test_replay_when_entries_stay_pending_then_one_entry_per_instrument_and_no_more', () => {
      // Act
      const run = replay([market(BTC, [WARM_UP, UPTREND])], { fillEntries: false });
      // Assert
      expect(run.entries).toHaveLength(1);
    });
  });

  it('test_replay_when_the_scan_interval_is_three_then_entries_and_notes_only_on_every_third_candle_but_stops_trail_on_any', () => {
    // Arrange
    const markets = [market(BTC, [WARM_UP, UPTREND, DOWNTREND])];
    const onScan = (index: number) => Math.floor((markets[0]![index]!.openTime) / FIVE_MINUTES) % 3 === 0;
    // Act
    const every = replay(markets, { parameters: { scanIntervalCandles: 1 } });
    const third = replay(markets, { parameters: { scanIntervalCandles: 3 } });
    // Assert
    expect(every.entries.some(({ index }) => !onScan(index))).toBe(true);
    expect(third.entries.length).toBeGreaterThan(0);
    expect(third.entries.every(({ index }) => onScan(index))).toBe(true);
    expect(third.notes.every(({ index }) => onScan(index))).toBe(true);
    expect(third.moves.some(({ index }) => !onScan(index))).toBe(true);
  });

  it.each([
    ['no drawdown', '0', 0.25, null],
    ['half the halt threshold', '0.04', 0.25, '0.625'],
    ['half the halt threshold with a higher floor', '0.04', 0.5, '0.75'],
    ['the halt threshold', '0.08', 0.25, '0.25'],
    ['beyond the halt threshold', '0.2', 0.25, '0.25'],
  ])('test_on_candle_when_drawdown_is_%s_then_the_size_carries_the_drawdown_scale', (_, drawdown, floor, scale) => {
    // Act
    const [entry] = enters(decide(UPTREND_CANDLES, { drawdownFloor: floor }, { drawdown: Decimal.parse(drawdown), drawdownThreshold: Decimal.parse('0.08') }));
    // Assert: the full fraction, with the scale the order manager applies after its caps.
    expect(entry!.size).toEqual(scale === null ? { kind: 'RISK', riskFraction: Decimal.parse('0.0005') } : { kind: 'RISK', riskFraction: Decimal.parse('0.0005'), scale: Decimal.parse(scale) });
  });

  it('test_on_candle_when_the_drawdown_deepens_between_two_entries_then_the_second_is_smaller', () => {
    // Arrange: one strategy instance, flat on both of the last two uptrend candles.
    const strategy = aggressive.create({ botId: BOT, instruments: [BTC], timeframes: ['5m'], parameters: aggressive.parameters.parse(DEFAULTS) });
    for (const candle of UPTREND_CANDLES.slice(0, -2)) strategy.onCandle(candle, view({ tradingState: 'REDUCING' }));
    // Act
    const [first] = enters(strategy.onCandle(UPTREND_CANDLES.at(-2)!, view()));
    const [second] = enters(strategy.onCandle(UPTREND_CANDLES.at(-1)!, view({ drawdown: Decimal.parse('0.04') })));
    // Assert
    expect(first!.size).toEqual({ kind: 'RISK', riskFraction: Decimal.parse('0.0005') });
    expect(second!.size).toEqual({ kind: 'RISK', riskFraction: Decimal.parse('0.0005'), scale: Decimal.parse('0.625') });
  });

  it('test_on_candle_when_risk_fraction_changes_then_the_size_request_follows', () => {
    // Act
    const [entry] = enters(decide(UPTREND_CANDLES, { riskFraction: 0.002 }));
    // Assert
    expect(entry!.size).toEqual({ kind: 'RISK', riskFraction: Decimal.parse('0.002') });
  });
});
