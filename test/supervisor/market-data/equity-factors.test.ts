import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadFleetConfig, syntheticCatalog } from '../../../supervisor/config/fleet-config.ts';
import { SyntheticMarket, syntheticInstrumentsOf, type SyntheticInstrument, type TickCandle } from '../../../supervisor/market-data/synthetic.ts';

/**
 * The built-in equities move together: a market factor, a factor per basket (MEGATECH, SEMIS) and each stock's own
 * noise; QQQ, SOXX and SPY are made of them, and the leveraged and inverse ETFs are a daily multiple of their index.
 * Pinned moments are for seed 42 from 2025-01-01 with the built-in catalog.
 */

const SEED = 42;
const START = Date.UTC(2025, 0, 1);
const catalog = syntheticInstrumentsOf(syntheticCatalog(loadFleetConfig(null)));
const equities = catalog.filter((instrument) => instrument.followsUsEquitySession === true);
const MEGATECH = ['AAPL', 'MSFT', 'AMZN', 'META', 'GOOGL', 'TSLA'].map((symbol) => `${symbol}.ALPACA`);
const SEMIS = ['NVDA', 'AMD', 'AVGO'].map((symbol) => `${symbol}.ALPACA`);
const QQQ_WEIGHTS: Record<string, number> = { 'AAPL.ALPACA': 0.12, 'MSFT.ALPACA': 0.12, 'AMZN.ALPACA': 0.08, 'META.ALPACA': 0.07, 'GOOGL.ALPACA': 0.07, 'TSLA.ALPACA': 0.04 };

type Series = Map<string, TickCandle[]>;

function generate(instruments: readonly SyntheticInstrument[], untilMs: number, timeframes: ('1m' | '1d')[] = ['1m', '1d'], seed = SEED): { minutes: Series; days: Series } {
  const market = new SyntheticMarket({ seed, instruments, startMs: START, timeframes });
  const minutes: Series = new Map();
  const days: Series = new Map();
  market.advanceTo(untilMs, (candle) => {
    const into = candle.timeframe === '1m' ? minutes : days;
    const list = into.get(candle.instrumentId) ?? [];
    list.push(candle);
    into.set(candle.instrumentId, list);
  });
  return { minutes, days };
}

const of = (series: Series, id: string): TickCandle[] => series.get(id) ?? [];
const simple = (candle: TickCandle): number => candle.close / candle.open - 1;

function correlation(a: readonly number[], b: readonly number[]): number {
  const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
  const meanA = mean(a);
  const meanB = mean(b);
  let product = 0;
  let squaresA = 0;
  let squaresB = 0;
  for (let i = 0; i < a.length; i++) {
    product += ((a[i] as number) - meanA) * ((b[i] as number) - meanB);
    squaresA += ((a[i] as number) - meanA) ** 2;
    squaresB += ((b[i] as number) - meanB) ** 2;
  }
  return product / Math.sqrt(squaresA * squaresB);
}

/** The close of the minute opening at `openTime`, in ticks. */
function closeAt(series: Series, id: string, openTime: number): number {
  const candle = of(series, id).find((c) => c.openTime === openTime);
  if (candle === undefined) throw new Error(`no ${id} minute at ${new Date(openTime).toISOString()}`);
  return candle.close;
}

describe('equities that move together', () => {
  const month = generate(equities, Date.UTC(2025, 1, 1));

  it('test_minute_returns_when_two_stocks_share_a_basket_then_they_correlate_clearly_more_than_across_baskets', () => {
    const returns = (id: string): number[] => of(month.minutes, id).map(simple);
    const pairs = (left: readonly string[], right: readonly string[]): number[] =>
      left.flatMap((a, i) => right.filter((b, j) => left !== right || j > i).map((b) => correlation(returns(a), returns(b))));
    const within = [...pairs(MEGATECH, MEGATECH), ...pairs(SEMIS, SEMIS)];
    const across = pairs(MEGATECH, SEMIS);
    const average = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(Math.min(...within)).toBeGreaterThan(Math.max(...across) - 0.05);
    expect(average(within) - average(across)).toBeGreaterThan(0.1);
    // Every stock still moves with the market.
    expect(Math.min(...across)).toBeGreaterThan(0.3);
  });

  it('test_qqq_when_its_stocks_move_then_its_minute_return_is_their_weighted_return_and_the_market_for_the_rest', () => {
    const qqq = of(month.minutes, 'QQQ.ALPACA');
    const spy = of(month.minutes, 'SPY.ALPACA');
    const stocks = MEGATECH.map((id) => of(month.minutes, id));
    expect(qqq.length).toBe(20 * 390);
    let worst = 0;
    for (let i = 0; i < qqq.length; i++) {
      let expected = 0.5 * simple(spy[i] as TickCandle);
      MEGATECH.forEach((id, k) => (expected += (QQQ_WEIGHTS[id] as number) * simple((stocks[k] as TickCandle[])[i] as TickCandle)));
      worst = Math.max(worst, Math.abs(simple(qqq[i] as TickCandle) - expected));
    }
    // Within the rounding of seven prices to the cent (about 2e-5 each at these prices), a typical minute moving 8e-4.
    expect(worst).toBeLessThan(1.5e-4);
  });

  it('test_sqqq_when_qqq_moves_within_a_session_then_its_return_since_the_last_close_is_minus_three_times_qqqs', () => {
    const qqqDays = of(month.days, 'QQQ.ALPACA');
    const sqqqDays = of(month.days, 'SQQQ.ALPACA');
    expect(sqqqDays.length).toBe(qqqDays.length);
    for (let d = 1; d < qqqDays.length; d++) {
      const day = qqqDays[d] as TickCandle;
      const qqqBase = (qqqDays[d - 1] as TickCandle).close;
      const sqqqBase = (sqqqDays[d - 1] as TickCandle).close;
      // Every minute of the session, not only its close: the multiple holds from the last close on.
      for (const minute of of(month.minutes, 'QQQ.ALPACA').filter((m) => m.openTime >= day.openTime && m.openTime < day.openTime + (day.durationMs as number))) {
        const expected = -3 * (minute.close / qqqBase - 1);
        const actual = closeAt(month.minutes, 'SQQQ.ALPACA', minute.openTime) / sqqqBase - 1;
        // SQQQ near 9 rounds to the cent: 0.06% each price.
        expect(Math.abs(actual - expected)).toBeLessThan(2.5e-3);
      }
    }
  });

  it('test_leveraged_etfs_when_qqq_chops_back_to_where_it_was_then_tqqq_and_sqqq_both_lose', () => {
    // 2025-01-29 to 2025-02-18: QQQ ends 0.2% higher after three choppy weeks.
    const { days } = generate(equities, Date.UTC(2025, 1, 19), ['1d']);
    const window = (id: string): TickCandle[] => of(days, id).filter((c) => c.openTime >= Date.UTC(2025, 0, 29) && c.openTime < Date.UTC(2025, 1, 19));
    const [qqq, tqqq, sqqq] = ['QQQ.ALPACA', 'TQQQ.ALPACA', 'SQQQ.ALPACA'].map(window) as [TickCandle[], TickCandle[], TickCandle[]];
    const change = (series: TickCandle[]): number => (series.at(-1) as TickCandle).close / (series[0] as TickCandle).close - 1;
    expect(Math.abs(change(qqq))).toBeLessThan(0.005);
    expect(change(tqqq)).toBeLessThan(-0.02);
    expect(change(sqqq)).toBeLessThan(-0.05);
    // The decay is the daily compounding: the product of (1 − 3 × each day's QQQ return).
    let compounded = 1;
    for (let d = 1; d < qqq.length; d++) compounded *= 1 - 3 * ((qqq[d] as TickCandle).close / (qqq[d - 1] as TickCandle).close - 1);
    expect(Math.abs(compounded - 1 - change(sqqq))).toBeLessThan(0.01);
  });

  it('test_megatech_when_its_sector_sells_off_then_the_basket_falls_together', () => {
    // 2025-01-02 17:59 to 18:09 UTC: every MEGATECH stock falls more than 1.5% in ten minutes.
    const from = Date.UTC(2025, 0, 2, 17, 59);
    const moves = MEGATECH.map((id) => closeAt(month.minutes, id, from + 10 * 60_000) / closeAt(month.minutes, id, from) - 1);
    expect(moves.every((move) => move < -0.015)).toBe(true);
  });

  it('test_one_stock_when_news_hits_it_then_it_falls_alone', () => {
    // 2025-01-03 16:52 to 17:02 UTC: TSLA falls 2.9% while the other five MEGATECH stocks hold within 0.3%.
    const from = Date.UTC(2025, 0, 3, 16, 52);
    const move = (id: string): number => closeAt(month.minutes, id, from + 10 * 60_000) / closeAt(month.minutes, id, from) - 1;
    expect(move('TSLA.ALPACA')).toBeLessThan(-0.025);
    for (const id of MEGATECH.filter((id) => id !== 'TSLA.ALPACA')) expect(move(id)).toBeGreaterThan(-0.003);
  });

  it('test_market_when_generated_twice_or_for_qqq_alone_then_the_same_candles_and_another_seed_others', () => {
    const until = Date.UTC(2025, 0, 8);
    const text = (series: Series, id: string): string => JSON.stringify(of(series, id));
    const again = generate(equities, until);
    const first = generate(equities, until);
    for (const id of ['QQQ.ALPACA', 'SQQQ.ALPACA', 'NVDA.ALPACA']) expect(text(again.minutes, id)).toBe(text(first.minutes, id));
    // QQQ asked for alone is still made of its stocks (made, not emitted): the same candles.
    const alone = generate(catalog.filter((instrument) => instrument.id === 'QQQ.ALPACA'), until);
    expect([...alone.minutes.keys()]).toEqual(['QQQ.ALPACA']);
    expect(text(alone.minutes, 'QQQ.ALPACA')).toBe(text(first.minutes, 'QQQ.ALPACA'));
    expect(text(generate(equities, until, ['1m', '1d'], SEED + 1).minutes, 'QQQ.ALPACA')).not.toBe(text(first.minutes, 'QQQ.ALPACA'));
  });

  it('test_equities_when_they_open_after_a_night_then_the_basket_gaps_together_and_sqqq_follows_qqqs_gap', () => {
    const days = of(month.days, 'QQQ.ALPACA');
    const second = days[1] as TickCandle;
    const firstMinute = (id: string): TickCandle => of(month.minutes, id).find((c) => c.openTime === second.openTime) as TickCandle;
    const gap = (id: string): number => firstMinute(id).open / (of(month.days, id)[0] as TickCandle).close - 1;
    expect(gap('QQQ.ALPACA')).not.toBe(0);
    expect(Math.abs(gap('SQQQ.ALPACA') + 3 * gap('QQQ.ALPACA'))).toBeLessThan(2.5e-3);
  });
});

describe('the crypto perpetuals beside the equity factors', () => {
  it('test_crypto_candles_when_equities_move_together_then_unchanged_to_the_last_digit', () => {
    // Hashes of three days of every timeframe of the seven perpetuals, computed before equity factors existed.
    const crypto = catalog.filter((instrument) => instrument.followsUsEquitySession !== true);
    const pinned: Record<number, string> = { 42: 'b950618c9df53ddb0d7c41cb59e6ee388cf7ffddd1da03bf8f4ffc995d1b9d86', 20_261_121: '566d3e36b5eb88dd8ea95aa7881dfad7b12b944f0a961cd80731da8d15f88b6f' };
    for (const [seed, expected] of Object.entries(pinned)) {
      for (const instruments of [crypto, catalog]) {
        const market = new SyntheticMarket({ seed: Number(seed), instruments, startMs: START });
        const hash = createHash('sha256');
        let count = 0;
        market.advanceTo(Date.UTC(2025, 0, 4), (candle) => {
          if (!crypto.some((instrument) => instrument.id === candle.instrumentId)) return;
          count++;
          hash.update(JSON.stringify(market.toCandle(candle)));
        });
        expect(count).toBe(38_955);
        expect(hash.digest('hex')).toBe(expected);
      }
    }
  });
});
