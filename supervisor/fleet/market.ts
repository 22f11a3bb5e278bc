import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AcceleratedClock } from '../../core/clock.ts';
import type { Clock } from '../../core/clock.ts';
import { TIMEFRAME_MS } from '../../core/strategy.ts';
import { sessionHistoryStart } from '../../core/us-equity-history.ts';
import type { Timeframe } from '../../core/strategy.ts';
import type { SyntheticCatalogInstrument, FleetConfig } from '../config/fleet-config.ts';
import type { Ledger } from '../../ledger/types.ts';
import { SyntheticCandleSource } from '../market-data/synthetic-source.ts';
import { syntheticInstrumentsOf } from '../market-data/synthetic.ts';
import type { SupervisorStore } from '../store/supervisor-store.ts';

/**
 * What pins the synthetic market: where its path starts and its seed. A restart regenerates the same path from
 * the origin, so prices continue exactly where they were; delete market.json to start a new market.
 */
interface MarketState {
  originMs: number;
  /** Where the equities' path starts (earlier, so that their warm-up holds session candles); originMs when absent. */
  sessionOriginMs?: number;
  seed: number;
  marketTimeMs: number;
}

const marketStatePath = (home: string): string => join(home, 'market.json');

function readMarketState(home: string): MarketState | null {
  const path = marketStatePath(home);
  if (!existsSync(path)) return null;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<MarketState>;
  if (!Number.isSafeInteger(parsed.originMs) || !Number.isSafeInteger(parsed.seed) || !Number.isSafeInteger(parsed.marketTimeMs)) {
    throw new Error(`${path} is not a market state; delete it to start the market afresh`);
  }
  if (parsed.sessionOriginMs !== undefined && !Number.isSafeInteger(parsed.sessionOriginMs)) throw new Error(`${path} is not a market state; delete it to start the market afresh`);
  return parsed as MarketState;
}

/** Written to a temporary file and renamed, so a crash mid-write never leaves half a file. */
export function saveMarketState(home: string, state: MarketState): void {
  const path = marketStatePath(home);
  writeFileSync(`${path}.tmp`, JSON.stringify(state), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/**
 * The paper market's clock: accelerated market time that may be moved forward, never back, before the market runs
 * (see SyntheticMarketSetup.resumeNoEarlierThan).
 */
export class MarketClock implements Clock {
  readonly speed: number;
  #inner: AcceleratedClock;

  constructor(startMs: number, speed: number) {
    this.speed = speed;
    this.#inner = new AcceleratedClock({ startMs, speed });
  }

  now(): number {
    return this.#inner.now();
  }

  monotonicNs(): bigint {
    return this.#inner.monotonicNs();
  }

  /** Market time from `ms` on, if that is later than now; an earlier `ms` changes nothing. */
  moveForwardTo(ms: number): void {
    if (ms > this.now()) this.#inner = new AcceleratedClock({ startMs: ms, speed: this.speed });
  }
}

export interface SyntheticMarketSetup {
  clock: MarketClock;
  source: SyntheticCandleSource;
  originMs: number;
  sessionOriginMs: number;
  seed: number;
  /**
   * Moves the market to `recordedMs` when that is later than where market.json left it: market.json is saved every
   * few seconds of real time (minutes of market time), so after a crash the ledgers and the store may hold later
   * times. The clock then resumes there, and the candles up to it become history that the venue never matches
   * again. Call it before the market runs (before the hub subscribes); null changes nothing.
   */
  resumeNoEarlierThan(recordedMs: number | null): void;
}

/** The latest time the store or any ledger recorded, or null when nothing is recorded yet. */
export function latestRecordedAt(store: SupervisorStore, ledgers: Iterable<Ledger>): number | null {
  let latest = store.latestRecordedAt();
  for (const ledger of ledgers) {
    const at = ledger.latestRecordedAt();
    if (at !== null && (latest === null || at > latest)) latest = at;
  }
  return latest;
}

/**
 * Builds the paper fleet's market: a clock running at the configured speed from where the market last stood,
 * and a synthetic source already advanced to that moment, with the warm-up history every subscriber needs.
 */
export function syntheticMarket(config: FleetConfig, instruments: readonly SyntheticCatalogInstrument[], home: string, timeframes: readonly Timeframe[]): SyntheticMarketSetup {
  const saved = readMarketState(home);
  const configuredStart = config.clock.start === undefined ? Date.now() : Date.parse(config.clock.start);
  // The clock resumes exactly where it stood; the source stands at the last whole minute, so the first live
  // candle is the one that was still forming, and it opens at the close of the last one delivered before.
  const resumeMs = saved?.marketTimeMs ?? configuredStart;
  const liveFromMs = Math.floor(resumeMs / 60_000) * 60_000;
  const longest = Math.max(TIMEFRAME_MS['1m'], ...timeframes.map((timeframe) => TIMEFRAME_MS[timeframe]));
  const warmUpMs = Math.min((config.marketData.historyCandles + 1) * longest, config.marketData.maxHistoryDays * TIMEFRAME_MS['1d']);
  const originMs = saved?.originMs ?? Math.floor((liveFromMs - warmUpMs) / longest) * longest;
  const synthetic = syntheticInstrumentsOf(instruments);
  const anyEquity = synthetic.some((instrument) => instrument.followsUsEquitySession === true);
  const sessionOriginMs = saved === null ? (anyEquity ? sessionOrigin(config, timeframes, liveFromMs, originMs) : originMs) : (saved.sessionOriginMs ?? saved.originMs);
  const seed = saved?.seed ?? config.marketData.seed;
  const source = new SyntheticCandleSource({
    seed,
    startMs: originMs,
    sessionStartMs: sessionOriginMs,
    historyLimit: Math.max(config.marketData.historyCandles + 10, 100),
    instruments: synthetic,
  });
  source.advanceTo(liveFromMs);
  const clock = new MarketClock(resumeMs, config.clock.speed);
  const resumeNoEarlierThan = (recordedMs: number | null): void => {
    if (recordedMs === null || recordedMs <= clock.now()) return;
    clock.moveForwardTo(recordedMs);
    source.advanceTo(Math.floor(recordedMs / 60_000) * 60_000);
  };
  return { clock, source, originMs, sessionOriginMs, seed, resumeNoEarlierThan };
}

/**
 * Where the equities start: early enough that every timeframe holds historyCandles session candles by the time the
 * market goes live (nights and weekends hold none), never further back than maxHistoryDays, and never later than the
 * other instruments' origin, so an equity whose calendar span already sufficed keeps its path.
 */
function sessionOrigin(config: FleetConfig, timeframes: readonly Timeframe[], liveFromMs: number, originMs: number): number {
  const earliestMs = Math.ceil((liveFromMs - config.marketData.maxHistoryDays * TIMEFRAME_MS['1d']) / 60_000) * 60_000;
  const starts = [...new Set<Timeframe>(['1m', ...timeframes])].map((timeframe) => sessionHistoryStart(liveFromMs, config.marketData.historyCandles, timeframe, earliestMs));
  return Math.min(originMs, ...starts);
}
