import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AcceleratedClock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import type { InstrumentId } from '../../core/ids.ts';
import { parseInstrumentId } from '../../core/ids.ts';
import { TIMEFRAME_MS } from '../../core/strategy.ts';
import type { Timeframe } from '../../core/strategy.ts';
import type { CatalogInstrument, FleetConfig } from '../config/fleet-config.ts';
import { SyntheticCandleSource } from '../market-data/synthetic-source.ts';

/** Where the synthetic market stood when last saved: a restart continues from here instead of jumping. */
interface MarketState {
  marketTimeMs: number;
  lastCloses: Record<string, string>;
}

const marketStatePath = (home: string): string => join(home, 'market.json');

function readMarketState(home: string): MarketState | null {
  const path = marketStatePath(home);
  if (!existsSync(path)) return null;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as MarketState;
  if (!Number.isSafeInteger(parsed.marketTimeMs) || typeof parsed.lastCloses !== 'object') throw new Error(`${path} is not a market state; delete it to start the market afresh`);
  return parsed;
}

/** Written to a temporary file and renamed, so a crash mid-write never leaves half a file. */
export function saveMarketState(home: string, state: MarketState): void {
  const path = marketStatePath(home);
  writeFileSync(`${path}.tmp`, JSON.stringify(state));
  renameSync(`${path}.tmp`, path);
}

export interface SyntheticMarketSetup {
  clock: AcceleratedClock;
  source: SyntheticCandleSource;
  /** Market time at which live candles begin; history before it is warm-up. */
  liveFromMs: number;
}

/**
 * Builds the paper fleet's market: a clock running at the configured speed from where the market last stood,
 * and a synthetic source that has already generated enough history for every subscriber's warm-up.
 */
export function syntheticMarket(config: FleetConfig, instruments: readonly CatalogInstrument[], home: string, timeframes: readonly Timeframe[]): SyntheticMarketSetup {
  const saved = readMarketState(home);
  const configuredStart = config.clock.start === undefined ? Date.now() : Date.parse(config.clock.start);
  const liveFromMs = Math.ceil((saved?.marketTimeMs ?? configuredStart) / 60_000) * 60_000;
  const longest = Math.max(TIMEFRAME_MS['1m'], ...timeframes.map((timeframe) => TIMEFRAME_MS[timeframe]));
  const warmUpMs = (config.marketData.historyCandles + 1) * longest;
  const startMs = Math.floor((liveFromMs - warmUpMs) / longest) * longest;
  // A restarted market takes a new but reproducible path, continuing from the prices it last showed.
  const seed = (config.marketData.seed + (saved === null ? 0 : Math.floor(liveFromMs / 60_000))) | 0;
  const source = new SyntheticCandleSource({
    seed,
    startMs,
    historyLimit: Math.max(config.marketData.historyCandles + 10, 100),
    instruments: instruments.map((instrument) => ({
      id: parseInstrumentId(instrument.id),
      tickSize: Decimal.parse(instrument.tickSize),
      lotStep: Decimal.parse(instrument.lotStep),
      startPrice: Decimal.parse(saved?.lastCloses[instrument.id] ?? instrument.startPrice),
    })),
  });
  source.advanceTo(liveFromMs);
  const clock = new AcceleratedClock({ startMs: liveFromMs, speed: config.clock.speed });
  return { clock, source, liveFromMs };
}

export function lastCloses(source: SyntheticCandleSource, instruments: readonly InstrumentId[], now: number): Record<string, string> {
  const closes: Record<string, string> = {};
  for (const instrumentId of instruments) {
    const last = source.history(instrumentId, '1m', 1, now)[0];
    if (last !== undefined) closes[instrumentId] = last.close.toString();
  }
  return closes;
}
