import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseInstrumentId } from '../../../core/ids.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { isOpen, sessionsBetween } from '../../../core/us-equity-calendar.ts';
import { loadFleetConfig, syntheticCatalog, type FleetConfig } from '../../../supervisor/config/fleet-config.ts';
import { saveMarketState, syntheticMarket } from '../../../supervisor/fleet/market.ts';
import { MarketDataHub } from '../../../supervisor/market-data/hub.ts';
import { SyntheticCandleSource } from '../../../supervisor/market-data/synthetic-source.ts';
import { syntheticInstrumentsOf } from '../../../supervisor/market-data/synthetic.ts';
import { PROJECT_ROOT } from './fleet-harness.ts';

/**
 * The paper market's warm-up for equities counts session candles, not calendar time: a fleet started on a weekend,
 * before the open or after the close still hands the equity bot (1m) its historyCandles session minutes through the
 * hub, and the crypto streams keep the candles they always had.
 */

const MINUTE = 60_000;
const DAY = 86_400_000;
const HISTORY = 300;
const BTC = parseInstrumentId('BTCUSDT.BYBIT');
const equityBot = JSON.parse(readFileSync(join(PROJECT_ROOT, 'bots/equity-baskets/manifest.json'), 'utf8')) as { instruments: string[]; timeframes: ('1m' | '1d')[] };

describe('the paper market warm-up of equities', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-warm-up-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function load(start: string, marketData: Record<string, unknown> = {}): FleetConfig {
    const path = join(dir, 'flotilla.config.json');
    writeFileSync(path, JSON.stringify({ clock: { start }, marketData: { historyCandles: HISTORY, ...marketData } }));
    return loadFleetConfig(path);
  }

  it.each([
    ['a Saturday', '2025-06-07T12:00:00Z'],
    ['08:00 UTC on a Tuesday', '2025-06-10T08:00:00Z'],
    ['08:00 UTC on a Monday', '2025-06-09T08:00:00Z'],
    ['three hours after the close', '2025-06-10T23:00:00Z'],
    ['the day after a holiday, before the open', '2025-06-20T08:00:00Z'],
  ])('test_equity_bot_warm_up_when_the_market_starts_on_%s_then_every_stream_has_its_full_session_candles', (_, start) => {
    const config = load(start);
    const { source, clock } = syntheticMarket(config, syntheticCatalog(config), dir, equityBot.timeframes);
    const errors: unknown[] = [];
    const hub = new MarketDataHub({ clock, source, historyCandles: HISTORY, onError: (error) => errors.push(error) });
    const streams = equityBot.instruments.flatMap((id) => equityBot.timeframes.map((timeframe) => ({ instrumentId: parseInstrumentId(id), timeframe })));
    // What the equity bot is fed with state.warmingUp when it connects.
    const backfill = hub.subscribe('equity-baskets', streams, () => undefined);
    expect(errors).toEqual([]);
    for (const id of equityBot.instruments) {
      const candles = backfill.filter((candle) => candle.instrumentId === id);
      expect(candles, id).toHaveLength(HISTORY);
      expect(candles.every((candle) => isOpen(candle.openTime))).toBe(true);
      // Consecutive within a session; only a closure separates two sessions.
      for (let index = 1; index < candles.length; index++) {
        const before = (candles[index - 1] as TimeframeCandle).openTime;
        if ((candles[index] as TimeframeCandle).openTime - before !== MINUTE) expect(isOpen(before + MINUTE)).toBe(false);
      }
    }
  });

  it('test_crypto_candles_when_the_equities_reach_further_back_then_those_of_the_calendar_warm_up_unchanged', () => {
    const start = '2025-06-07T12:00:00Z';
    const config = load(start);
    const { source, originMs, sessionOriginMs } = syntheticMarket(config, syntheticCatalog(config), dir, ['1m']);
    const now = Date.parse(start);
    // The calendar warm-up: (historyCandles + 1) minutes before the start.
    expect(originMs).toBe(now - (HISTORY + 1) * MINUTE);
    // Friday's last 300 session minutes, 15:00 to 20:00 UTC.
    expect(sessionOriginMs).toBe(Date.UTC(2025, 5, 6, 15));
    const cryptoOnly = new SyntheticCandleSource({
      seed: config.marketData.seed,
      startMs: now - (HISTORY + 1) * MINUTE,
      historyLimit: HISTORY + 10,
      instruments: syntheticInstrumentsOf(syntheticCatalog(config).filter((instrument) => instrument.kind !== 'EQUITY')),
    });
    cryptoOnly.advanceTo(now);
    for (const instrument of syntheticCatalog(config).filter((entry) => entry.kind !== 'EQUITY')) {
      const id = parseInstrumentId(instrument.id);
      const candles = source.history(id, '1m', HISTORY, now);
      expect(candles).toHaveLength(HISTORY);
      expect(candles).toEqual(cryptoOnly.history(id, '1m', HISTORY, now));
    }
    expect(source.history(BTC, '1m', 1, now)[0]?.openTime).toBe(now - MINUTE);
  });

  it('test_warm_up_when_the_sessions_need_more_than_max_history_days_then_the_equities_get_what_those_days_hold', () => {
    const start = '2025-06-09T08:00:00Z';
    const config = load(start, { maxHistoryDays: 10 });
    const { source, originMs, sessionOriginMs } = syntheticMarket(config, syntheticCatalog(config), dir, ['1m', '1d']);
    const now = Date.parse(start);
    // 300 sessions need more than 10 days: the equities start where the others do, at the day before the bound.
    expect(originMs).toBe(Date.UTC(2025, 4, 30));
    expect(sessionOriginMs).toBe(originMs);
    // 2025-05-30 00:00 UTC to 2025-06-09 08:00: the sessions of May 30 and of June 2 to 6.
    const days = source.history(parseInstrumentId('AAPL.ALPACA'), '1d', HISTORY, now);
    expect(days.map((candle) => new Date(candle.openTime).toISOString().slice(0, 10))).toEqual(sessionsBetween('2025-05-30', '2025-06-08').map((session) => session.date));
    expect(source.history(parseInstrumentId('AAPL.ALPACA'), '1m', HISTORY, now)).toHaveLength(HISTORY);
  });

  it('test_warm_up_when_the_minutes_need_more_than_max_history_days_then_the_equities_start_at_the_bound_with_the_sessions_it_holds', () => {
    const start = '2025-06-10T08:00:00Z';
    const config = load(start, { historyCandles: 500, maxHistoryDays: 3 });
    const { source, originMs, sessionOriginMs } = syntheticMarket(config, syntheticCatalog(config), dir, ['1m']);
    const now = Date.parse(start);
    expect(originMs).toBe(now - 501 * MINUTE);
    expect(sessionOriginMs).toBe(now - 3 * DAY);
    // Saturday 08:00 to Tuesday 08:00 holds one session, Monday's: 390 of the 500 minutes asked for.
    expect(source.history(parseInstrumentId('AAPL.ALPACA'), '1m', 500, now)).toHaveLength(390);
    expect(source.history(BTC, '1m', 500, now)).toHaveLength(500);
  });

  it('test_restart_when_market_json_holds_the_equity_origin_then_the_same_equity_candles', () => {
    const start = '2025-06-07T12:00:00Z';
    const config = load(start);
    const first = syntheticMarket(config, syntheticCatalog(config), dir, ['1m']);
    const now = Date.parse(start);
    saveMarketState(dir, { originMs: first.originMs, sessionOriginMs: first.sessionOriginMs, seed: first.seed, marketTimeMs: now });
    const again = syntheticMarket(config, syntheticCatalog(config), dir, ['1m']);
    expect(again.sessionOriginMs).toBe(first.sessionOriginMs);
    const aapl = parseInstrumentId('AAPL.ALPACA');
    expect(again.source.history(aapl, '1m', HISTORY, now)).toEqual(first.source.history(aapl, '1m', HISTORY, now));
  });

  it('test_restart_when_market_json_predates_the_equity_origin_then_the_equities_start_at_the_shared_origin', () => {
    const start = '2025-06-07T12:00:00Z';
    const config = load(start);
    const now = Date.parse(start);
    saveMarketState(dir, { originMs: now - (HISTORY + 1) * MINUTE, seed: config.marketData.seed, marketTimeMs: now });
    const { sessionOriginMs, originMs } = syntheticMarket(config, syntheticCatalog(config), dir, ['1m']);
    expect(sessionOriginMs).toBe(originMs);
  });
});
