import { describe, expect, it } from 'vitest';
import { DailyTrend } from '../../../bots/trend-following/daily-trend.ts';
import strategyModule from '../../../bots/trend-following/strategy.ts';
import { Decimal } from '../../../core/decimal.ts';
import type { BotCodeError } from '../../../core/errors.ts';
import { makeClientOrderId } from '../../../core/ids.ts';
import type { BotStateView, StrategyModule, StrategyNote, TimeframeCandle } from '../../../core/strategy.ts';
import { StrategyHost } from '../../../runtime/strategy-host.ts';
import { BOT, bars4h, candlesFrom, createStrategy, DEFAULTS, DOWNTREND, FLAT, H4, merge, PaperAccount, path, QQQ, SMOOTH_DOWN, SMOOTH_UP, SPY, STILL, UPTREND, warmed } from './harness.ts';

describe('entries in the daily direction', () => {
  it('test_breakout_when_daily_uptrend_and_4h_close_above_the_lookback_high_then_buy_with_stop_two_atrs_below', () => {
    // Arrange
    const w = warmed(SMOOTH_UP);
    // Act
    const account = w.live([{ close: w.close + w.atr }]);
    // Assert
    const [enter] = account.ofType('ENTER');
    const entry = w.close + w.atr;
    expect(enter).toMatchObject({ instrumentId: QQQ, side: 'BUY', orderType: 'MARKET', reason: 'breakout in a daily uptrend', size: { kind: 'QUANTITY' } });
    expect(enter?.stopLoss.toNumber()).toBeCloseTo(entry - DEFAULTS.initialStopAtr * w.atr, 3);
    expect(enter?.size.kind === 'QUANTITY' ? enter.size.quantity.toNumber() : 0).toBeCloseTo((100_000 * DEFAULTS.riskFraction) / (DEFAULTS.initialStopAtr * w.atr), 2);
    expect(account.ofType('NOTE')).toEqual([expect.objectContaining({ name: 'TREND', value: 'UP', instrumentId: QQQ })]);
  });

  it('test_steady_drift_when_no_breakout_and_no_pullback_then_no_entry', () => {
    // Arrange
    const w = warmed(SMOOTH_UP);
    const step = w.close * 0.001;
    // Act: five more candles of the same drift, each closing under the wicks of the last ones.
    const account = w.live([1, 2, 3, 4, 5].map((i) => ({ close: w.close + i * step, high: w.close + i * step + 2 * step })));
    // Assert
    expect(account.actions).toEqual([]);
  });

  it('test_pullback_when_deep_enough_then_resumes_then_buy_on_the_resumption_candle', () => {
    // Arrange: from the swing high, down 1.5 daily ATRs, then a close above the last candle's high.
    const w = warmed(SMOOTH_UP);
    const trough = w.high - 1.5 * w.atr;
    // Act: the third candle turns up but stays under the second's high; the fourth closes above the third's.
    const account = w.live([{ close: w.close - 0.8 * w.atr }, { close: trough }, { close: trough + 0.1 * w.atr }, { close: trough + 0.3 * w.atr }]);
    // Assert
    const resumption = account.steps.at(-1)?.candle;
    expect(account.ofType('ENTER')).toEqual([expect.objectContaining({ side: 'BUY', reason: 'pullback in a daily uptrend', at: (resumption?.openTime ?? 0) + H4 })]);
  });

  it('test_pullback_when_shallower_than_the_depth_then_no_entry', () => {
    // Arrange: only 0.5 daily ATRs under the swing high (the depth is 1).
    const w = warmed(SMOOTH_UP);
    const trough = w.high - 0.5 * w.atr;
    // Act
    const tail = [{ close: w.high - 0.3 * w.atr }, { close: trough }, { close: trough + 0.1 * w.atr }, { close: trough + 0.3 * w.atr }];
    const account = w.live(tail);
    const lenient = warmed(SMOOTH_UP, { pullbackDepthAtr: 0.4 });
    lenient.live(tail);
    // Assert: the same candles are a pullback to a bot that asks for less depth.
    expect(account.ofType('ENTER')).toEqual([]);
    expect(lenient.account.ofType('ENTER')).toEqual([expect.objectContaining({ reason: 'pullback in a daily uptrend' })]);
  });

  it('test_pullback_when_price_keeps_falling_then_no_entry_until_it_resumes', () => {
    // Arrange
    const w = warmed(SMOOTH_UP);
    const trough = w.high - 1.5 * w.atr;
    // Act: deep enough, but every candle closes below the one before.
    const account = w.live([{ close: w.close - 0.5 * w.atr }, { close: trough }, { close: trough - 0.1 * w.atr }]);
    // Assert
    expect(account.ofType('ENTER')).toEqual([]);
  });

  it('test_breakout_when_daily_downtrend_then_sell_with_stop_above', () => {
    // Arrange
    const w = warmed(SMOOTH_DOWN);
    // Act
    const account = w.live([{ close: w.close - w.atr }]);
    // Assert
    const [enter] = account.ofType('ENTER');
    expect(enter).toMatchObject({ side: 'SELL', reason: 'breakout in a daily downtrend' });
    expect(enter?.stopLoss.toNumber()).toBeCloseTo(w.close - w.atr + DEFAULTS.initialStopAtr * w.atr, 3);
  });

  it('test_pullback_when_daily_downtrend_then_sell_after_the_bounce', () => {
    // Arrange
    const w = warmed(SMOOTH_DOWN);
    const peak = w.low + 1.5 * w.atr;
    // Act
    const account = w.live([{ close: w.close + 0.8 * w.atr }, { close: peak }, { close: peak - 0.1 * w.atr }, { close: peak - 0.3 * w.atr }]);
    // Assert
    expect(account.ofType('ENTER')).toEqual([expect.objectContaining({ side: 'SELL', reason: 'pullback in a daily downtrend' })]);
  });

  it('test_breakout_when_against_the_daily_trend_then_no_entry', () => {
    // Arrange
    const up = warmed(SMOOTH_UP);
    const down = warmed(SMOOTH_DOWN);
    // Act: a downside break in an uptrend, an upside break in a downtrend.
    const inUptrend = up.live([{ close: up.close - 3 * up.atr }]);
    const inDowntrend = down.live([{ close: down.close + 3 * down.atr }]);
    // Assert
    expect(inUptrend.ofType('ENTER')).toEqual([]);
    expect(inDowntrend.ofType('ENTER')).toEqual([]);
  });

  it('test_breakout_when_no_confirmed_trend_then_no_entry', () => {
    // Arrange: a market that has not moved for eighty days (ADX 0, EMAs equal).
    const w = warmed(STILL);
    // Act
    const account = w.live([{ close: w.close * 1.05 }, { close: w.close * 1.1 }]);
    // Assert
    expect(account.ofType('ENTER')).toEqual([]);
  });

  it('test_fixture_when_flat_market_then_no_entry_at_all', () => {
    // Act: 120 days of waves around 100: pullbacks and new highs aplenty, but no trend.
    const account = new PaperAccount(createStrategy()).feed(candlesFrom(path([FLAT])));
    // Assert
    expect(account.actions).toEqual([]);
  });

  it('test_fixture_when_adx_threshold_is_above_the_trends_adx_then_no_entry_and_no_trend_note', () => {
    // Arrange
    const candles = candlesFrom(path([UPTREND]));
    // Act
    const confirmed = new PaperAccount(createStrategy()).feed(candles);
    const unconfirmed = new PaperAccount(createStrategy({ adxThreshold: 75 })).feed(candles);
    // Assert
    expect(confirmed.ofType('ENTER').length).toBeGreaterThan(0);
    expect(unconfirmed.actions).toEqual([]);
  });

  it('test_entry_when_already_holding_pending_or_resting_or_reducing_then_no_entry', () => {
    // Arrange: four accounts in the same market, each with a reason not to enter.
    const holding = warmed(SMOOTH_UP);
    holding.account.positions.set(QQQ, { instrumentId: QQQ, quantity: Decimal.parse('10'), averageEntryPrice: Decimal.fromNumber(holding.close, 4), realizedPnl: Decimal.ZERO, unrealizedPnl: Decimal.ZERO });
    const pending = warmed(SMOOTH_UP);
    pending.account.pendingEntries.add(QQQ);
    const resting = warmed(SMOOTH_UP);
    resting.account.orders.push({ clientOrderId: makeClientOrderId(BOT, '00000000', 'ENTRY', 1), instrumentId: QQQ, role: 'ENTRY', side: 'BUY', type: 'LIMIT', quantity: Decimal.ONE, filledQuantity: Decimal.ZERO, limitPrice: Decimal.ONE, triggerPrice: null, status: 'NEW' });
    const reducing = warmed(SMOOTH_UP, {}, { tradingState: 'REDUCING' });
    // Act
    const accounts = [holding, pending, resting, reducing].map((w) => w.live([{ close: w.close + w.atr }]));
    // Assert
    expect(accounts.map((a) => a.ofType('ENTER').length)).toEqual([0, 0, 0, 0]);
  });

  it('test_two_instruments_when_one_rises_and_one_falls_then_each_trades_its_own_trend', () => {
    // Act
    const candles = merge(candlesFrom(path([UPTREND])), candlesFrom(path([DOWNTREND], 500), { instrumentId: SPY }));
    const account = new PaperAccount(createStrategy()).feed(candles);
    // Assert
    const entries = account.ofType('ENTER');
    expect(new Set(entries.filter((e) => e.instrumentId === QQQ).map((e) => e.side))).toEqual(new Set(['BUY']));
    expect(new Set(entries.filter((e) => e.instrumentId === SPY).map((e) => e.side))).toEqual(new Set(['SELL']));
  });
});

describe('trailing stop', () => {
  it('test_trail_when_price_rises_then_stop_moves_to_best_high_minus_k_atrs_only_forward_and_in_steps', () => {
    // Arrange: a breakout entry at E with its stop at E − 2 ATR.
    const w = warmed(SMOOTH_UP);
    const a = w.atr;
    const entry = w.close + a;
    w.live([{ close: entry }]);
    const initialStop = w.account.stopOf(QQQ)?.triggerPrice?.toNumber();
    // Act
    const stepped = [
      // E + 0.5 ATR: E − 2.5 ATR would loosen the stop.
      w.live([{ close: entry + 0.5 * a }]).steps.at(-1)!.actions,
      // E + 1.5 ATR: the stop goes to E − 1.5 ATR.
      w.live([{ close: entry + 1.5 * a }]).steps.at(-1)!.actions,
      // A dip: the best price is unchanged, so the stop stays.
      w.live([{ close: entry + 0.5 * a }]).steps.at(-1)!.actions,
      // E + 1.6 ATR: 0.1 ATR better, under the 0.25-ATR step.
      w.live([{ close: entry + 1.6 * a }]).steps.at(-1)!.actions,
      // E + 2 ATR: 0.5 ATR better than the stop, so it moves.
      w.live([{ close: entry + 2 * a }]).steps.at(-1)!.actions,
    ];
    // Assert
    expect(initialStop).toBeCloseTo(entry - 2 * a, 3);
    const moves = stepped.map((actions) => actions.filter((x) => x.type === 'MOVE_STOP').map((x) => (x.type === 'MOVE_STOP' ? x.triggerPrice.toNumber() : 0)));
    expect(moves.map((m) => m.length)).toEqual([0, 1, 0, 0, 1]);
    expect(moves[1]?.[0]).toBeCloseTo(entry + 1.5 * a - DEFAULTS.trailAtr * a, 3);
    expect(moves[4]?.[0]).toBeCloseTo(entry + 2 * a - DEFAULTS.trailAtr * a, 3);
    expect(w.account.stopOf(QQQ)?.triggerPrice?.toNumber()).toBeCloseTo(entry - a, 3);
  });

  it.each([
    ['uptrend', UPTREND, 1],
    ['downtrend', DOWNTREND, -1],
  ] as const)('test_trail_when_%s_fixture_then_every_move_tightens_and_stays_behind_the_close', (_, segment, direction) => {
    // Act
    const account = new PaperAccount(createStrategy()).feed(candlesFrom(path([segment])));
    // Assert
    let previous = account.ofType('ENTER')[0]?.stopLoss.toNumber() ?? Number.NaN;
    const moves = account.steps.filter((s) => s.actions.some((x) => x.type === 'MOVE_STOP'));
    expect(moves.length).toBeGreaterThan(5);
    for (const step of moves) {
      for (const action of step.actions) {
        if (action.type !== 'MOVE_STOP') continue;
        const trigger = action.triggerPrice.toNumber();
        expect(direction * (trigger - previous)).toBeGreaterThan(0);
        expect(direction * (step.candle.close.toNumber() - trigger)).toBeGreaterThan(0);
        previous = trigger;
      }
    }
  });

  it('test_trail_when_halted_then_no_move', () => {
    // Arrange
    const w = warmed(SMOOTH_UP);
    const entry = w.close + w.atr;
    w.live([{ close: entry }]);
    w.account.tradingState = 'HALTED';
    // Act
    const account = w.live([{ close: entry + 3 * w.atr }]);
    // Assert
    expect(account.steps.at(-1)?.actions).toEqual([]);
  });
});

describe('exits', () => {
  it('test_daily_candle_when_emas_turn_against_a_long_then_exit_all_on_that_candle', () => {
    // Arrange: eighty days up, then a steep fall. The EMAs cross only once price is well under the entry, so the
    // stops are set so wide that the reversal is what ends the trade.
    const wide = { initialStopAtr: 10, trailAtr: 50, partialExitAtR: 50 };
    const candles = candlesFrom(path([{ ...UPTREND, days: 80 }, { ...DOWNTREND, days: 40, dailyDrift: -0.015 }]));
    const daily = new DailyTrend(DEFAULTS);
    const flip = candles.filter((c) => c.timeframe === '1d').find((c, day) => daily.update({ high: c.high.toNumber(), low: c.low.toNumber(), close: c.close.toNumber() }).alignment === 'DOWN' && day > 50);
    // Act
    const exiting = new PaperAccount(createStrategy(wide)).feed(candles);
    const holding = new PaperAccount(createStrategy({ ...wide, exitOnTrendReversal: false })).feed(candles);
    // Assert
    expect(exiting.ofType('EXIT')).toEqual([expect.objectContaining({ instrumentId: QQQ, reason: 'daily EMAs turned DOWN against the position', at: (flip?.openTime ?? 0) + (flip?.durationMs ?? 0) })]);
    expect(exiting.ofType('EXIT')[0]).not.toHaveProperty('quantity');
    expect(holding.ofType('EXIT')).toEqual([]);
  });

  it('test_partial_exit_when_gain_reaches_the_r_multiple_then_closes_the_fraction_once', () => {
    // Arrange: a breakout entry; R is 2 daily ATRs, so 3R is 6 ATRs.
    const w = warmed(SMOOTH_UP);
    const a = w.atr;
    const entry = Decimal.fromNumber(w.close + a, 4).toNumber();
    w.live([{ close: entry }]);
    const held = w.account.positions.get(QQQ)?.quantity;
    // Act
    const short = w.live([{ close: entry + 5.9 * a }]).ofType('EXIT').length;
    const reached = w.live([{ close: entry + 6.05 * a }]).ofType('EXIT');
    const later = w.live([{ close: entry + 8 * a }]).ofType('EXIT');
    // Assert
    expect(short).toBe(0);
    expect(reached).toEqual([expect.objectContaining({ reason: 'partial profit at 3R' })]);
    expect(reached[0]?.quantity?.toString()).toBe(held?.mul(Decimal.parse('0.5')).round(6, 'floor').toString());
    expect(later).toHaveLength(1);
    expect(w.account.positions.get(QQQ)?.quantity.isPositive()).toBe(true);
  });

  it('test_flat_after_own_exit_when_a_stop_is_left_then_cancel_it', () => {
    // Arrange: a position closed by the strategy's EXIT leaves its stop behind, as the order manager does.
    const w = warmed(SMOOTH_UP);
    w.live([{ close: w.close + w.atr }]);
    const stop = w.account.stopOf(QQQ);
    w.account.positions.delete(QQQ);
    // Act: a candle that is neither a breakout nor a pullback, so the cancel is all there is.
    const account = w.live([{ close: w.close + 0.9 * w.atr }]);
    // Assert
    expect(account.steps.at(-1)?.actions).toEqual([expect.objectContaining({ type: 'CANCEL', clientOrderId: stop?.clientOrderId })]);
  });
});

describe('size', () => {
  /** A tight stop and a large risk fraction, so that equity × leverage ÷ price is the binding limit. */
  const aggressive = { riskFraction: 0.05, initialStopAtr: 0.5 };

  it('test_leverage_when_it_binds_then_caps_notional_at_equity_times_leverage_and_raising_it_raises_the_cap', () => {
    // Arrange
    const runs = [1, 2, 3].map((leverage) => {
      const w = warmed(SMOOTH_UP, { ...aggressive, leverage });
      w.live([{ close: w.close + w.atr }]);
      return { leverage, w, enter: w.account.ofType('ENTER')[0] };
    });
    // Act
    const notionals = runs.map(({ enter }) => (enter?.size.kind === 'QUANTITY' ? enter.size.quantity.toNumber() * (runs[0]!.w.close + runs[0]!.w.atr) : 0));
    // Assert
    for (const [index, { leverage }] of runs.entries()) expect(notionals[index]).toBeCloseTo(100_000 * leverage, -1);
    // Everything but the size is the same decision.
    const withoutSize = runs.map(({ enter }) => JSON.stringify({ ...enter, size: null }));
    expect(new Set(withoutSize).size).toBe(1);
  });

  it('test_leverage_when_two_instruments_enter_on_the_same_close_then_the_entry_in_flight_counts_against_the_book', () => {
    // Arrange: both instruments on the same rising path, leverage binding; QQQ's entry is sent, not yet filled.
    const strategy = createStrategy({ ...aggressive, leverage: 1 });
    const history = merge(candlesFrom(path([SMOOTH_UP]), { instrumentId: QQQ }), candlesFrom(path([SMOOTH_UP]), { instrumentId: SPY }));
    const lastBar = history.filter((c) => c.timeframe === '4h').at(-1) as TimeframeCandle;
    const state = (now: number, pending: (typeof QQQ)[] = []): BotStateView => ({
      botId: BOT, now, equity: Decimal.parse('100000'), tradingState: 'ACTIVE', positions: new Map(), openOrders: [], pendingEntries: new Set(pending),
      drawdown: Decimal.ZERO, drawdownThreshold: Decimal.parse('0.15'),
    });
    for (const c of history) strategy.onCandle(c, state(lastBar.openTime + 100 * H4));
    const { close, atr } = warmed(SMOOTH_UP, { ...aggressive, leverage: 1 });
    const [qqq, spy] = [QQQ, SPY].map((id) => bars4h(lastBar.openTime + H4, close, [{ close: close + atr }], id)[0] as TimeframeCandle);
    const now = qqq!.openTime + H4;
    const entered = (actions: readonly { type: string }[]): boolean => actions.some((action) => action.type === 'ENTER');
    // Act
    const first = strategy.onCandle(qqq!, state(now));
    const second = strategy.onCandle(spy!, state(now, [QQQ]));
    // Assert: QQQ took the whole of equity × 1; SPY, seeing QQQ on its way, has no room left.
    expect(entered(first)).toBe(true);
    expect(entered(second)).toBe(false);
  });

  it('test_leverage_when_stop_is_hit_then_pnl_per_share_is_the_same_and_loss_scales_only_with_quantity', () => {
    // Arrange
    const results = [1, 2, 3].map((leverage) => {
      const w = warmed(SMOOTH_UP, { ...aggressive, leverage });
      const entry = w.close + w.atr;
      w.live([{ close: entry }]);
      const enter = w.account.ofType('ENTER')[0];
      const quantity = enter?.size.kind === 'QUANTITY' ? enter.size.quantity : Decimal.ZERO;
      // Act: a fall through the stop.
      w.live([{ close: entry - w.atr }]);
      const pnl = w.account.equity.sub(Decimal.parse('100000'));
      return { quantity, pnl, fill: w.account.stopsHit[0]?.price ?? Number.NaN, entry: Decimal.fromNumber(entry, 4).toNumber() };
    });
    // Assert: profit and loss is quantity × price move; leverage only chose the quantity.
    for (const r of results) expect(r.pnl.toNumber()).toBeCloseTo(r.quantity.toNumber() * (r.fill - r.entry), 6);
    expect(new Set(results.map((r) => r.fill - r.entry)).size).toBe(1);
    expect(results[2]!.pnl.div(results[0]!.pnl).toNumber()).toBeCloseTo(results[2]!.quantity.div(results[0]!.quantity).toNumber(), 9);
  });

  it('test_leverage_when_it_does_not_bind_then_raising_it_changes_nothing', () => {
    // Arrange / Act
    const quantities = [2, 10].map((leverage) => {
      const w = warmed(SMOOTH_UP, { leverage });
      w.live([{ close: w.close + w.atr }]);
      const enter = w.account.ofType('ENTER')[0];
      return enter?.size.kind === 'QUANTITY' ? enter.size.quantity.toString() : '';
    });
    // Assert
    expect(quantities[0]).not.toBe('');
    expect(quantities[1]).toBe(quantities[0]);
  });

  it('test_drawdown_when_it_deepens_then_size_falls_linearly_to_the_floor_at_the_threshold', () => {
    // Arrange / Act: drawdowns of 0, half the threshold, the threshold and twice it (threshold 0.15, floor 0.25).
    const quantities = ['0', '0.075', '0.15', '0.3'].map((drawdown) => {
      const w = warmed(SMOOTH_UP, {}, { drawdown, drawdownThreshold: '0.15' });
      w.live([{ close: w.close + w.atr }]);
      const enter = w.account.ofType('ENTER')[0];
      // What the order manager enters, absent its caps: the quantity asked for times the drawdown scale.
      return enter?.size.kind === 'QUANTITY' ? enter.size.quantity.mul(enter.size.scale ?? Decimal.ONE).toNumber() : Number.NaN;
    });
    // Assert
    const full = quantities[0] as number;
    expect(quantities.map((q) => q / full).map((r) => Number(r.toFixed(4)))).toEqual([1, 0.625, 0.25, 0.25]);
  });
});

describe('notes, warm-up and the host', () => {
  it('test_trend_note_when_the_daily_trend_changes_then_one_note_per_change_on_that_daily_candle', () => {
    // Arrange: flat, up, then down.
    const candles = candlesFrom(path([{ ...FLAT, days: 60 }, { ...UPTREND, days: 60 }, { ...DOWNTREND, days: 90, dailyDrift: -0.01 }]));
    const daily = new DailyTrend(DEFAULTS);
    let last = 'NONE';
    const expected: { at: number; value: string }[] = [];
    for (const c of candles) {
      if (c.timeframe !== '1d') continue;
      const { trend } = daily.update({ high: c.high.toNumber(), low: c.low.toNumber(), close: c.close.toNumber() });
      if (trend !== last) expected.push({ at: c.openTime + c.durationMs, value: trend });
      last = trend;
    }
    // Act
    const account = new PaperAccount(createStrategy()).feed(candles);
    // Assert
    const notes = account.steps.filter((s) => s.candle.timeframe === '1d').flatMap((s) => s.actions.filter((x) => x.type === 'NOTE').map((x) => ({ at: s.candle.openTime + s.candle.durationMs, value: x.type === 'NOTE' ? x.value : '' })));
    expect(notes).toEqual(expected);
    expect(expected.map((e) => e.value)).toEqual(expect.arrayContaining(['UP', 'DOWN']));
  });

  it('test_warm_up_when_a_position_is_held_then_no_action_on_history_and_trailing_starts_from_live_prices', () => {
    // Arrange: eighty days up then five down; a long from below with a stop far away, as at a restart.
    const candles = candlesFrom(path([SMOOTH_UP, { days: 5, dailyDrift: -0.01 }]));
    const strategy = createStrategy();
    const last = candles.filter((c) => c.timeframe === '4h').at(-1) as TimeframeCandle;
    const close = last.close.toNumber();
    const stop = { clientOrderId: makeClientOrderId(BOT, '00000000', 'STOP', 1), instrumentId: QQQ, role: 'STOP' as const, side: 'SELL' as const, type: 'STOP_MARKET' as const, quantity: Decimal.parse('10'), filledQuantity: Decimal.ZERO, limitPrice: null, triggerPrice: Decimal.fromNumber(close * 0.8, 2), status: 'NEW' };
    const state = (now: number): BotStateView => ({
      botId: BOT, now, equity: Decimal.parse('100000'), tradingState: 'ACTIVE', drawdown: Decimal.ZERO, drawdownThreshold: Decimal.parse('0.15'), pendingEntries: new Set(), openOrders: [stop],
      positions: new Map([[QQQ, { instrumentId: QQQ, quantity: Decimal.parse('10'), averageEntryPrice: Decimal.fromNumber(close * 0.9, 2), realizedPnl: Decimal.ZERO, unrealizedPnl: Decimal.ZERO }]]),
    });
    const daily = new DailyTrend(DEFAULTS);
    for (const c of candles) if (c.timeframe === '1d') daily.update({ high: c.high.toNumber(), low: c.low.toNumber(), close: c.close.toNumber() });
    const atr = daily.reading.atr ?? Number.NaN;
    const now = last.openTime + 10 * H4;
    // Act
    const onHistory = candles.flatMap((c) => strategy.onCandle(c, state(now)));
    const liveBar = bars4h(last.openTime + H4, close, [{ close }])[0] as TimeframeCandle;
    const onLive = strategy.onCandle(liveBar, state(liveBar.openTime + H4));
    // Assert: the old highs (about 5 % above) would have put the stop above the price; only the live high counts.
    expect(onHistory.filter((x) => x.type !== 'NOTE')).toEqual([]);
    expect(onLive).toEqual([expect.objectContaining({ type: 'MOVE_STOP', clientOrderId: stop.clientOrderId })]);
    expect(onLive[0]?.type === 'MOVE_STOP' ? onLive[0].triggerPrice.toNumber() : 0).toBeCloseTo(close - DEFAULTS.trailAtr * atr, 3);
  });

  it('test_host_when_the_real_module_runs_a_trend_then_commands_and_declared_notes_without_bot_code_errors', () => {
    // Arrange
    const errors: BotCodeError[] = [];
    const notes: StrategyNote[] = [];
    const host = new StrategyHost({ botId: BOT, module: strategyModule as StrategyModule, parameters: DEFAULTS, instruments: [QQQ, SPY], timeframes: ['4h', '1d'], onBotCodeError: (e) => errors.push(e), onNote: (n) => notes.push(n) });
    const account = new PaperAccount(createStrategy());
    // Act
    const commands = candlesFrom(path([UPTREND])).flatMap((c) => host.onCandle(c, account.view(c.openTime + c.durationMs)));
    // Assert
    expect(errors).toEqual([]);
    expect(commands[0]).toMatchObject({ type: 'SUBMIT_ORDER', intent: { instrumentId: QQQ, side: 'BUY', size: { kind: 'QUANTITY' }, reduceOnly: false } });
    expect(notes).toContainEqual(expect.objectContaining({ name: 'TREND', value: 'UP', instrumentId: QQQ }));
  });
});
