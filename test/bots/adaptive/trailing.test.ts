import { describe, expect, it } from 'vitest';
import type { Bar } from '../../../bots/adaptive/layers.ts';
import { openTrade, observe, phaseOf, stopToMove, targetStop } from '../../../bots/adaptive/trailing.ts';
import type { Overrides, Simulation, SimulateOptions } from './fixtures.ts';
import { DEFAULTS, notesAt, ordersOf, readingAfter, simulate, strategy } from './fixtures.ts';
import { BREAKOUT_RUN, SHORT_BREAKOUT_RUN, SIGNAL } from './scenarios.ts';

const NO_TAKE_PROFIT_FILL: SimulateOptions = { takeProfitFills: false };

function moves(simulation: Simulation): Array<{ index: number; price: number; reason: string }> {
  return simulation.steps.flatMap((step) => (step.action.type === 'MOVE_STOP' ? [{ index: step.index, price: step.action.triggerPrice.toNumber(), reason: step.action.reason }] : []));
}

/** The first candle after the entry whose close is at least `r` risk units in the trade's favour. */
function firstCloseAtR(bars: readonly Bar[], entry: number, risk: number, r: number, sign: 1 | -1 = 1): number {
  const index = bars.findIndex((b, i) => i > SIGNAL && sign * (b.close - entry) >= r * risk);
  if (index < 0) throw new Error(`the fixture never reaches ${r}R`);
  return index;
}

/** The highest high from the candle after the entry up to `index`, as the strategy tracks it. */
function extremeUpTo(bars: readonly Bar[], entry: number, index: number): number {
  return Math.max(entry, ...bars.slice(SIGNAL + 1, index + 1).map((b) => b.high));
}

function run(overrides: Overrides = {}, options: SimulateOptions = {}, bars = BREAKOUT_RUN): { simulation: Simulation; entry: number; risk: number } {
  const simulation = simulate(strategy(overrides), bars, options);
  const opened = simulation.entries[0]!;
  return { simulation, entry: opened.entry, risk: Math.abs(opened.entry - opened.stop) };
}

describe('entry protection', () => {
  it('test_entry_when_long_then_stop_one_r_below_and_take_profit_two_r_above', () => {
    // Arrange
    const atr = readingAfter(BREAKOUT_RUN.slice(0, SIGNAL + 1)).atr;
    const close = BREAKOUT_RUN[SIGNAL]!.close;
    // Act
    const { simulation } = run();
    const enter = ordersOf(simulation)[0]!.action;
    // Assert
    if (enter.type !== 'ENTER') throw new Error('expected an entry');
    expect(enter.orderType).toBe('MARKET');
    expect(enter.stopLoss.toNumber()).toBeCloseTo(close - DEFAULTS.stopAtr * atr, 9);
    expect(enter.takeProfit!.toNumber()).toBeCloseTo(close + 2 * DEFAULTS.stopAtr * atr, 9);
    expect(enter.takeProfit!.toNumber() - close).toBeCloseTo(2 * (close - enter.stopLoss.toNumber()), 9);
  });

  it('test_entry_when_short_then_stop_one_r_above_and_take_profit_two_r_below', () => {
    // Act
    const { simulation } = run({}, {}, SHORT_BREAKOUT_RUN);
    const opened = simulation.entries[0]!;
    // Assert
    expect(opened.side).toBe('SELL');
    expect(opened.stop).toBeGreaterThan(opened.entry);
    expect(opened.entry - opened.takeProfit!).toBeCloseTo(2 * (opened.stop - opened.entry), 9);
  });

  it('test_take_profit_when_reached_then_the_position_closes_at_two_r_and_entries_are_considered_again', () => {
    // Act
    const { simulation, entry, risk } = run();
    const filled = simulation.log.find((line) => line.includes('TOOK_PROFIT'))!;
    const index = Number(filled.split(':')[0]);
    // Assert
    expect(Number(filled.split(' ')[1])).toBeCloseTo(entry + 2 * risk, 9);
    expect(notesAt(simulation, index)).toEqual(['ENVIRONMENT']);
    expect(simulation.steps.filter((step) => step.index > SIGNAL && step.index < index && step.action.type === 'NOTE' && step.action.name === 'ENTRY_BLOCKED')).toEqual([]);
  });

  it('test_stop_when_hit_then_the_position_closes_at_minus_one_r', () => {
    // Arrange: straight down after the entry.
    const bars = [...BREAKOUT_RUN.slice(0, SIGNAL + 1), ...Array.from({ length: 6 }, (_, i) => {
      const open = BREAKOUT_RUN[SIGNAL]!.close - 0.2 * i;
      return { open, close: open - 0.2, high: open + 0.02, low: open - 0.22, volume: 100 };
    })];
    // Act
    const { simulation, entry, risk } = run({}, {}, bars);
    const stopped = simulation.log.find((line) => line.includes('STOPPED'))!;
    // Assert
    expect(Number(stopped.split(' ')[1])).toBeCloseTo(entry - risk, 9);
    expect(moves(simulation)).toEqual([]);
  });
});

describe('trailing phases', () => {
  it('test_phase_0_when_below_one_r_then_no_stop_move', () => {
    // Act
    const { simulation, entry, risk } = run();
    const breakEven = firstCloseAtR(BREAKOUT_RUN, entry, risk, DEFAULTS.breakEvenAtR);
    // Assert
    expect(breakEven).toBeGreaterThan(SIGNAL + 1);
    expect(moves(simulation).filter((move) => move.index < breakEven)).toEqual([]);
  });

  it.each([1, 1.3])('test_phase_1_when_the_close_reaches_%sR_then_the_stop_moves_to_break_even_on_that_candle', (breakEvenAtR) => {
    // Act
    const { simulation, entry, risk } = run({ breakEvenAtR });
    // Assert
    expect(moves(simulation)[0]).toEqual({ index: firstCloseAtR(BREAKOUT_RUN, entry, risk, breakEvenAtR), price: entry, reason: 'trailing phase 1' });
  });

  it('test_phase_1_when_the_boundary_moves_then_the_move_comes_later', () => {
    expect(moves(run({ breakEvenAtR: 1.3 }).simulation)[0]!.index).toBeGreaterThan(moves(run().simulation)[0]!.index);
  });

  it.each([1.5, 1.8])('test_phase_2_when_the_close_reaches_%sR_then_a_wide_atr_trail_off_the_high', (wideTrailFromR) => {
    // Act
    const { simulation, entry, risk } = run({ wideTrailFromR });
    const index = firstCloseAtR(BREAKOUT_RUN, entry, risk, wideTrailFromR);
    const first = moves(simulation).find((move) => move.reason === 'trailing phase 2')!;
    // Assert
    const atr = readingAfter(BREAKOUT_RUN.slice(0, index + 1)).atr;
    expect(first.index).toBe(index);
    expect(first.price).toBeCloseTo(extremeUpTo(BREAKOUT_RUN, entry, index) - DEFAULTS.wideTrailAtr * atr, 8);
    expect(first.price).toBeGreaterThan(entry);
  });

  it.each([2, 2.4])('test_phase_3_when_the_close_passes_%sR_with_the_take_profit_unfilled_then_a_tight_trail', (tightTrailFromR) => {
    // Act
    const { simulation, entry, risk } = run({ tightTrailFromR }, NO_TAKE_PROFIT_FILL);
    const index = firstCloseAtR(BREAKOUT_RUN, entry, risk, tightTrailFromR);
    const first = moves(simulation).find((move) => move.reason === 'trailing phase 3')!;
    // Assert
    const atr = readingAfter(BREAKOUT_RUN.slice(0, index + 1)).atr;
    expect(first.index).toBe(index);
    expect(first.price).toBeCloseTo(extremeUpTo(BREAKOUT_RUN, entry, index) - DEFAULTS.tightTrailAtr * atr, 8);
  });

  it('test_phase_3_when_the_boundary_moves_then_the_tight_trail_comes_later', () => {
    const at = (tightTrailFromR: number): number => moves(run({ tightTrailFromR }, NO_TAKE_PROFIT_FILL).simulation).find((move) => move.reason === 'trailing phase 3')!.index;
    expect(at(2.4)).toBeGreaterThan(at(2));
  });

  it('test_trailing_when_long_or_short_then_the_stop_only_ever_tightens_and_only_the_stop_is_touched', () => {
    for (const [bars, sign] of [[BREAKOUT_RUN, 1], [SHORT_BREAKOUT_RUN, -1]] as const) {
      // Act
      const { simulation } = run({}, NO_TAKE_PROFIT_FILL, bars);
      const prices = moves(simulation).map((move) => move.price);
      // Assert: the harness refuses a MOVE_STOP on anything but the open stop; no exit or cancel is asked for.
      expect(prices.length).toBeGreaterThan(5);
      expect(prices.every((price, i) => i === 0 || sign * (price - prices[i - 1]!) > 0)).toBe(true);
      expect(ordersOf(simulation).filter((step) => step.action.type !== 'ENTER' && step.action.type !== 'MOVE_STOP')).toEqual([]);
    }
  });

  it('test_trailing_when_short_then_the_same_candles_as_long', () => {
    const long = moves(run({}, NO_TAKE_PROFIT_FILL).simulation).map((move) => [move.index, move.reason]);
    const short = moves(run({}, NO_TAKE_PROFIT_FILL, SHORT_BREAKOUT_RUN).simulation).map((move) => [move.index, move.reason]);
    expect(short).toEqual(long);
  });

  it('test_trailing_when_the_bot_is_halted_then_no_stop_moves_and_when_reducing_then_they_go_on', () => {
    // Act
    const halted = run({}, { ...NO_TAKE_PROFIT_FILL, tradingState: (i) => (i > SIGNAL ? 'HALTED' : 'ACTIVE') }).simulation;
    const reducing = run({}, { ...NO_TAKE_PROFIT_FILL, tradingState: (i) => (i > SIGNAL ? 'REDUCING' : 'ACTIVE') }).simulation;
    // Assert
    expect(moves(halted)).toEqual([]);
    expect(moves(reducing)).toEqual(moves(run({}, NO_TAKE_PROFIT_FILL).simulation));
  });
});

describe('trailing arithmetic', () => {
  const p = DEFAULTS;

  it('test_phase_of_when_at_each_boundary_then_that_phase', () => {
    expect([0, 0.99, 1, 1.49, 1.5, 1.99, 2, 5].map((r) => phaseOf(r, p))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });

  it('test_observe_when_price_pulls_back_then_peak_and_extreme_keep_their_best', () => {
    // Arrange
    const trade = openTrade(1, 100, 2);
    // Act
    observe(trade, 104, 101, 103.5);
    observe(trade, 102, 99, 99.5);
    // Assert
    expect(trade.extreme).toBe(104);
    expect(trade.peakR).toBe(1.75);
    expect(phaseOf(trade.peakR, p)).toBe(2);
  });

  it('test_target_stop_when_the_wide_trail_is_behind_entry_then_break_even_holds', () => {
    // Arrange: +1.5R but the 2-ATR trail off the high sits below the entry.
    const trade = { ...openTrade(1, 100, 1), extreme: 101.5, peakR: 1.5 };
    // Act / Assert
    expect(targetStop(trade, 1, p)).toBe(100);
    expect(targetStop({ ...trade, peakR: 0.9 }, 1, p)).toBe(null);
  });

  it('test_stop_to_move_when_the_step_is_small_then_skipped_except_for_break_even', () => {
    // Arrange
    const trade = { ...openTrade(1, 100, 1), extreme: 104, peakR: 3.5 };
    // Act / Assert: target 104 − 1 × ATR(1) = 103.
    expect(stopToMove(trade, 102.95, 103.5, 1, p)).toBe(null);
    expect(stopToMove(trade, 102.85, 103.5, 1, p)).toBe(103);
    expect(stopToMove({ ...trade, extreme: 100.5, peakR: 1 }, 99.99, 100.5, 1, p)).toBe(100);
  });

  it('test_stop_to_move_when_the_close_is_already_past_the_target_then_skipped', () => {
    const trade = { ...openTrade(-1, 100, 1), extreme: 96, peakR: 3 };
    // Short: target 96 + 1 = 97; a close at 97.2 is already beyond it.
    expect(stopToMove(trade, 98, 97.2, 1, p)).toBe(null);
    expect(stopToMove(trade, 98, 96.5, 1, p)).toBe(97);
  });
});
