import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import type { ClientOrderId, IntentId } from '../../../core/ids.ts';
import { parseInstrumentId, parseTradeId } from '../../../core/ids.ts';
import type { Side } from '../../../core/intent.ts';
import type { Fill } from '../../../core/order.ts';
import { downsample } from '../../../supervisor/backtest/report.ts';
import { dailyEquity, drawdownStatistics, returnStatistics, timeInMarket, tradeStatistics } from '../../../supervisor/backtest/statistics.ts';
import { roundTrips } from '../../../supervisor/backtest/trades.ts';
import type { Trade } from '../../../supervisor/backtest/trades.ts';

const BTC = parseInstrumentId('BTCUSDT.BYBIT');
const HOUR = 3_600_000;
const DAY = 86_400_000;
let trade = 0;

function fill(side: Side, quantity: string, price: string, fee: string, at: number, order = 'E'): Fill {
  trade++;
  return { tradeId: parseTradeId(`t${trade}`), clientOrderId: `bot_00000000_${order}1` as ClientOrderId, instrumentId: BTC, side, quantity: dec(quantity), price: dec(price), fee: dec(fee), liquidity: 'TAKER', at };
}

const lookup = { intentOf: (id: ClientOrderId) => (id.endsWith('E1') ? ('intent-e' as IntentId) : undefined), regimeOf: (id: IntentId) => (id === 'intent-e' ? 'TRENDING' : undefined) };

describe('round trips', () => {
  it('test_round_trips_when_adds_and_partial_closes_then_one_trade_until_flat', () => {
    const trades = roundTrips(
      [fill('BUY', '1', '100', '0.1', 0), fill('BUY', '1', '110', '0.1', HOUR, 'X'), fill('SELL', '0.5', '120', '0.05', 2 * HOUR, 'X'), fill('SELL', '1.5', '90', '0.15', 3 * HOUR, 'X')],
      lookup,
    );
    expect(trades).toHaveLength(1);
    const [only] = trades as [Trade];
    expect(only.side).toBe('LONG');
    expect(only.averageEntryPrice.toString()).toBe('105');
    expect(only.averageExitPrice.toString()).toBe('97.5');
    // 0.5 × (120 − 105) + 1.5 × (90 − 105) = 7.5 − 22.5
    expect(only.grossPnl.toString()).toBe('-15');
    expect(only.fees.toString()).toBe('0.4');
    expect(only.netPnl.toString()).toBe('-15.4');
    expect(only.closedAt).toBe(3 * HOUR);
    expect(only.regime).toBe('TRENDING');
    expect(only.fills).toBe(4);
  });

  it('test_round_trips_when_a_fill_crosses_zero_then_it_closes_one_trade_and_opens_the_next_with_a_split_fee', () => {
    const trades = roundTrips([fill('SELL', '2', '100', '0.2', 0), fill('BUY', '3', '90', '0.3', HOUR, 'X'), fill('SELL', '1', '95', '0.1', 2 * HOUR, 'X')], lookup);
    expect(trades).toHaveLength(2);
    const [short, long] = trades as [Trade, Trade];
    expect(short.side).toBe('SHORT');
    expect(short.grossPnl.toString()).toBe('20');
    expect(short.fees.toString()).toBe('0.4');
    expect(long.side).toBe('LONG');
    expect(long.entryQuantity.toString()).toBe('1');
    expect(long.openedAt).toBe(HOUR);
    expect(long.grossPnl.toString()).toBe('5');
    expect(long.fees.toString()).toBe('0.2');
    expect(long.regime).toBeNull();
  });

  it('test_round_trips_when_still_open_at_the_end_then_the_trade_has_no_close', () => {
    const trades = roundTrips([fill('BUY', '1', '100', '0.1', 0)], lookup);
    expect(trades[0]?.closedAt).toBeNull();
    expect(tradeStatistics(trades).trades).toBe(0);
  });
});

describe('statistics', () => {
  const closed = (net: string): Trade => ({ instrumentId: BTC, side: 'LONG', openedAt: 0, closedAt: 1, entryQuantity: dec('1'), averageEntryPrice: dec('1'), exitQuantity: dec('1'), averageExitPrice: dec('1'), grossPnl: dec(net), fees: dec('0'), funding: dec('0'), netPnl: dec(net), regime: null, fills: 2 });

  it('test_trade_statistics_when_wins_and_losses_then_ratios_follow_their_definitions', () => {
    const stats = tradeStatistics(['300', '100', '-100', '-50', '0'].map(closed));
    expect(stats.trades).toBe(5);
    expect(stats.wins).toBe(2);
    expect(stats.losses).toBe(2);
    expect(stats.winRate).toBe(0.4);
    expect(stats.profitFactor).toBeCloseTo(400 / 150, 6);
    expect(stats.averageWin?.toString()).toBe('200');
    expect(stats.averageLoss?.toString()).toBe('-75');
    expect(stats.expectancy?.toString()).toBe('50');
    expect(stats.rewardToRisk).toBeCloseTo(200 / 75, 6);
    expect(stats.breakEvenWinRate).toBeCloseTo(1 / (1 + 200 / 75), 6);
  });

  it('test_trade_statistics_when_no_losers_then_profit_factor_and_reward_to_risk_are_null', () => {
    const stats = tradeStatistics(['10'].map(closed));
    expect(stats.profitFactor).toBeNull();
    expect(stats.rewardToRisk).toBeNull();
    expect(stats.breakEvenWinRate).toBeNull();
  });

  it('test_drawdown_when_equity_falls_from_a_peak_then_the_largest_fall_is_kept', () => {
    const curve = { times: [1, 2, 3, 4, 5, 6], equity: [100, 120, 90, 130, 117, 125] };
    expect(drawdownStatistics(curve, 100)).toEqual({ maxDrawdown: 0.25, maxDrawdownAmount: 30, peakAt: 2, troughAt: 3 });
  });

  it('test_daily_returns_when_sampled_every_hour_then_the_last_value_of_each_day_counts', () => {
    const times = Array.from({ length: 72 }, (_, index) => (index + 1) * HOUR);
    const equity = times.map((at) => (at <= DAY ? 100 : at <= 2 * DAY ? 110 : 99));
    expect(dailyEquity({ times, equity }, 100)).toEqual([100, 100, 110, 99]);
    // Returns 0, +10%, -10%: a zero mean, so both ratios are zero.
    const stats = returnStatistics({ times, equity }, 100, 365);
    expect(stats.days).toBe(3);
    expect(stats.sharpe).toBe(0);
    expect(stats.sortino).toBe(0);
    const rising = returnStatistics({ times, equity: times.map((at) => 100 + Math.ceil(at / DAY)) }, 100, 365);
    expect(rising.sharpe).toBeGreaterThan(0);
    expect(rising.sortino).toBeNull();
  });

  it('test_time_in_market_when_trades_overlap_then_their_union_counts_once', () => {
    const trades = [
      { ...closed('1'), openedAt: 0, closedAt: 4 * HOUR },
      { ...closed('1'), openedAt: 2 * HOUR, closedAt: 6 * HOUR },
      { ...closed('1'), openedAt: 10 * HOUR, closedAt: null },
    ];
    expect(timeInMarket(trades, 0, 12 * HOUR)).toBeCloseTo(8 / 12, 6);
  });

  it('test_downsample_when_curve_is_long_then_extremes_survive', () => {
    const times = Array.from({ length: 10_000 }, (_, index) => index);
    const equity = times.map((index) => (index === 4321 ? 1 : index === 777 ? 1000 : 100));
    const points = downsample({ times, equity }, 200);
    expect(points.length).toBeLessThanOrEqual(200);
    expect(points).toContainEqual([4321, 1]);
    expect(points).toContainEqual([777, 1000]);
  });
});
