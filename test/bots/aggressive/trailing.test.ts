import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.ts';
import type { BotStateView, StrategyAction, TimeframeCandle } from '../../../core/strategy.ts';
import { trailingStop } from '../../../bots/aggressive/exits.ts';
import type { AggressiveParameters } from '../../../bots/aggressive/parameters.ts';
import { BTC, CHOPPY, DEFAULTS, DOWNTREND, ETH, market, QUIET, SPIKE, UPTREND, WARM_UP } from './fixtures.ts';
import { decide, openOrder, position, readingAfter, replay } from './harness.ts';

type MoveStop = Extract<StrategyAction, { type: 'MOVE_STOP' }>;
const moves = (actions: StrategyAction[]): MoveStop[] => actions.filter((action): action is MoveStop => action.type === 'MOVE_STOP');
const text = (value: number): string => Decimal.fromNumber(value, 6).toString();

/**
 * A bot that went long (or short) ten candles ago, at that candle's close, with its bracket at the entry's
 * stop and take-profit distances: the state the order manager would report on the last candle.
 */
function heldSince(candles: readonly TimeframeCandle[], long: boolean, stopOffsetAtr = DEFAULTS.stopAtr): { state: Partial<BotStateView>; entry: number; atr: number; close: number } {
  const entry = candles.at(-11)!.close.toNumber();
  const { atr } = readingAfter(candles);
  const stop = long ? entry - stopOffsetAtr * atr : entry + stopOffsetAtr * atr;
  const target = long ? entry + 50 * atr : entry - 50 * atr;
  const exitSide = long ? 'SELL' : 'BUY';
  return {
    state: {
      positions: new Map([[BTC, position(BTC, long ? '0.5' : '-0.5', text(entry))]]),
      openOrders: [openOrder('tp-1', BTC, 'TAKE_PROFIT', exitSide, text(target)), openOrder('stop-1', BTC, 'STOP', exitSide, text(stop))],
    },
    entry,
    atr,
    close: candles.at(-1)!.close.toNumber(),
  };
}

const UP = market(BTC, [WARM_UP, { ...UPTREND, candles: 30 }]);
const DOWN = market(BTC, [WARM_UP, { ...DOWNTREND, candles: 30 }]);

describe('aggressive trailing stop on one candle', () => {
  it('test_on_candle_when_a_long_is_in_profit_then_move_stop_on_the_stop_order_to_trailing_atr_behind_the_close', () => {
    // Arrange
    const { state, atr, close } = heldSince(UP, true);
    // Act
    const actions = decide(UP, {}, state);
    // Assert
    expect(moves(actions)).toHaveLength(1);
    expect(moves(actions)[0]!.clientOrderId).toBe('stop-1');
    expect(moves(actions)[0]!.triggerPrice.toNumber()).toBeCloseTo(close - DEFAULTS.trailingAtr * atr, 9);
    expect(actions.some((action) => action.type === 'ENTER' || action.type === 'CANCEL' || action.type === 'EXIT')).toBe(false);
  });

  it('test_on_candle_when_trailing_atr_changes_then_the_move_stop_trigger_changes_with_it', () => {
    // Arrange
    const { state, atr, close } = heldSince(UP, true);
    // Act
    const [near] = moves(decide(UP, { trailingAtr: 0.4 }, state));
    const [far] = moves(decide(UP, { trailingAtr: 1.6 }, state));
    // Assert: the configured distance is really read, in ATRs behind the close.
    expect(near!.triggerPrice.toNumber()).toBeCloseTo(close - 0.4 * atr, 9);
    expect(far!.triggerPrice.toNumber()).toBeCloseTo(close - 1.6 * atr, 9);
  });

  it('test_on_candle_when_a_short_is_in_profit_then_the_stop_comes_down_to_trailing_atr_above_the_close', () => {
    // Arrange
    const { state, atr, close } = heldSince(DOWN, false);
    // Act
    const [move] = moves(decide(DOWN, {}, state));
    // Assert
    expect(move!.clientOrderId).toBe('stop-1');
    expect(move!.triggerPrice.toNumber()).toBeCloseTo(close + DEFAULTS.trailingAtr * atr, 9);
  });

  it.each([
    ['a_long_is_losing', DOWN, true, {}],
    ['a_short_is_losing', UP, false, {}],
    ['the_gain_is_below_the_activation_distance', UP, true, { trailingActivationAtr: 50 }],
    ['the_improvement_is_below_the_step', UP, true, { trailingStepAtr: 50 }],
  ] as const)('test_on_candle_when_%s_then_the_stop_stays', (_, candles, long, parameters: Partial<AggressiveParameters>) => {
    // Arrange
    const { state } = heldSince(candles, long);
    // Act / Assert
    expect(moves(decide(candles, parameters, state))).toEqual([]);
  });

  it('test_on_candle_when_the_stop_is_already_tighter_than_the_trail_then_it_is_never_moved_back', () => {
    // Arrange: the stop sits a quarter ATR below the close, tighter than the 0.8 ATR trail.
    const { atr, close } = heldSince(UP, true);
    const { state } = heldSince(UP, true, (UP.at(-11)!.close.toNumber() - (close - 0.25 * atr)) / atr);
    // Act / Assert
    expect(moves(decide(UP, {}, state))).toEqual([]);
  });

  it('test_on_candle_when_halted_then_no_move_but_when_reducing_the_stop_still_trails', () => {
    // Arrange
    const { state } = heldSince(UP, true);
    // Act / Assert
    expect(moves(decide(UP, {}, { ...state, tradingState: 'HALTED' }))).toEqual([]);
    expect(moves(decide(UP, {}, { ...state, tradingState: 'REDUCING' }))).toHaveLength(1);
  });

  it('test_on_candle_when_a_moved_stop_awaits_its_cancel_then_the_tighter_new_stop_is_the_one_moved', () => {
    // Arrange: stop-1 is the old stop, not yet cancelled; stop-2 replaced it a little higher.
    const { state, entry, atr } = heldSince(UP, true);
    const replaced = openOrder('stop-2', BTC, 'STOP', 'SELL', text(entry - 0.5 * atr));
    // Act
    const [move] = moves(decide(UP, {}, { ...state, openOrders: [...state.openOrders!, replaced] }));
    const none = moves(decide(UP, {}, { ...state, openOrders: [...state.openOrders!, openOrder('stop-3', BTC, 'STOP', 'SELL', text(UP.at(-1)!.close.toNumber() - 0.1 * atr))] }));
    // Assert
    expect(move!.clientOrderId).toBe('stop-2');
    expect(none).toEqual([]);
  });

  it('test_on_candle_when_the_position_has_no_stop_order_then_nothing_is_moved', () => {
    // Arrange
    const { state } = heldSince(UP, true);
    // Act
    const actions = decide(UP, {}, { ...state, openOrders: state.openOrders!.filter((order) => order.role !== 'STOP') });
    // Assert
    expect(moves(actions)).toEqual([]);
  });
});

describe('aggressive trailing stop over whole markets', () => {
  const markets = [market(BTC, [WARM_UP, UPTREND, CHOPPY, DOWNTREND, QUIET, SPIKE]), market(ETH, [WARM_UP, DOWNTREND, SPIKE, UPTREND, CHOPPY], { seed: 9, start: 30 })];

  it('test_replay_when_stops_trail_then_every_move_is_in_the_trades_favour_and_only_on_stop_orders', () => {
    // Act: the harness throws if a MOVE_STOP ever names anything but the open STOP order.
    const run = replay(markets);
    // Assert
    expect(run.errors).toEqual([]);
    expect(run.moves.filter((move) => move.long).length).toBeGreaterThan(5);
    expect(run.moves.filter((move) => !move.long).length).toBeGreaterThan(5);
    for (const move of run.moves) {
      expect(move.clientOrderId.startsWith('stop-')).toBe(true);
      expect(move.long ? move.triggerPrice.gt(move.from) : move.triggerPrice.lt(move.from)).toBe(true);
    }
  });

  it('test_replay_when_stops_trail_then_the_take_profit_set_at_entry_is_the_one_that_fills', () => {
    // Act
    const run = replay(markets);
    // Assert: each take-profit fill is at the price its entry asked for, however often the stop moved before it.
    const takeProfits = run.events.filter((event) => event.includes('TAKE_PROFIT_FILLED'));
    expect(takeProfits.length).toBeGreaterThan(5);
    const asked = new Set(run.entries.map(({ intent }) => intent.bracket!.takeProfit!.toFixed(4)));
    for (const event of takeProfits) expect(asked.has(event.split(' ').at(-1)!)).toBe(true);
  });

  it('test_replay_when_trailing_atr_changes_then_the_moves_change', () => {
    // Act
    const near = replay(markets, { parameters: { trailingAtr: 0.5 } });
    const far = replay(markets, { parameters: { trailingAtr: 1.1 } });
    // Assert
    const triggers = (run: typeof near) => run.moves.map((move) => `${move.index}:${move.triggerPrice.toFixed(4)}`);
    expect(triggers(near)).not.toEqual(triggers(far));
  });
});

describe('trailingStop', () => {
  const p = { ...DEFAULTS, trailingAtr: 1, trailingActivationAtr: 0.5, trailingStepAtr: 0.1 };

  it('test_trailing_stop_when_long_then_close_minus_trailing_atr_once_activated_and_only_upwards', () => {
    expect(trailingStop(true, 100.4, 100, 1, 98, p)).toBeNull();
    expect(trailingStop(true, 100.5, 100, 1, 98, p)).toBe(99.5);
    expect(trailingStop(true, 101, 100, 1, 99.85, p)).toBe(100);
    expect(trailingStop(true, 101, 100, 1, 99.95, p)).toBeNull();
    expect(trailingStop(true, 101, 100, 1, 99.85, { ...p, trailingStepAtr: 0.2 })).toBeNull();
    expect(trailingStop(true, 101, 100, 1, 100.5, p)).toBeNull();
  });

  it('test_trailing_stop_when_short_then_close_plus_trailing_atr_once_activated_and_only_downwards', () => {
    expect(trailingStop(false, 99.6, 100, 1, 102, p)).toBeNull();
    expect(trailingStop(false, 99.5, 100, 1, 102, p)).toBe(100.5);
    expect(trailingStop(false, 99, 100, 1, 99.5, p)).toBeNull();
  });

  it('test_trailing_stop_when_the_step_is_zero_then_any_improvement_moves_but_no_standstill', () => {
    const free = { ...p, trailingStepAtr: 0 };
    expect(trailingStop(true, 101, 100, 1, 99.999, free)).toBe(100);
    expect(trailingStop(true, 101, 100, 1, 100, free)).toBeNull();
  });
});
