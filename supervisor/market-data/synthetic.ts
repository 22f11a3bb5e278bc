import { Decimal, dec } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import { parseInstrumentId, type InstrumentId } from '../../core/ids.ts';
import { TIMEFRAMES, TIMEFRAME_MS, type Timeframe, type TimeframeCandle } from '../../core/strategy.ts';
import type { InstrumentKind } from '../../core/instrument.ts';
import { followsUsEquitySession } from '../../core/market-session.ts';
import { EquityFactorModel, type EquityFactorMember, type EquityFactorRole } from './equity-factors.ts';
import { SeededRandom } from './random.ts';
import { SessionCursor, type SessionMinute } from './session-cursor.ts';
import {
  GARCH_ALPHA,
  GARCH_BETA,
  REFERENCE_VOLATILITY_PER_MINUTE,
  REGIMES,
  drawDwellMinutes,
  drawFirstRegime,
  drawNextRegime,
  type MarketRegime,
  type RegimeParameters,
} from './regimes.ts';

const MINUTE_MS = TIMEFRAME_MS['1m'];
const DEFAULT_LOT_STEP = dec('0.001');
/** Quote-currency turnover of an ordinary 1m candle when an instrument names none. */
export const DEFAULT_TURNOVER_PER_MINUTE = dec('1000000');
/**
 * Volume is counted in whole volume units: the lot step, or a power of ten times it when an ordinary minute at the
 * start price would be more than this many lot steps (a coin at 0.00001 with a lot of 1). A day's volume, summed
 * as an integer count of units, then stays far inside 2^53 even after the price has fallen a hundredfold.
 */
const MAX_BASE_VOLUME_UNITS = 1e8;
const TEN = dec('10');
/** Standard deviation of the log-normal noise on volume. */
const VOLUME_NOISE = 0.4;
/**
 * While an equity's session is closed its price still moves (news, futures, other markets), at a sixteenth of the
 * variance rate of the session: the first candle of a session opens that far from the last close. An ordinary night
 * (17.5 h) then gaps about eight minutes' worth of volatility, a weekend about sixteen.
 */
const CLOSED_VARIANCE_SHARE = 1 / 16;

/** What the generator needs to know of an instrument; a core Instrument plus a start price fits. */
export interface SyntheticInstrument {
  id: InstrumentId;
  tickSize: Decimal;
  startPrice: Decimal;
  /** Volume is a whole number of these (or of a power of ten times it, for very cheap coins); 0.001 unless given. */
  lotStep?: Decimal;
  /**
   * Quote-currency turnover of a 1m candle in an ordinary market; 1,000,000 unless given. The base volume of each
   * minute is this divided by the price, so the participation cap binds alike on a 60,000 coin and a 0.00001 one.
   */
  turnoverPerMinute?: Decimal;
  /** Trades only in the US equity session (an instrument of kind EQUITY): no candles while it is closed, a gap at each open. */
  followsUsEquitySession?: boolean;
  /** Moves with other equities (equity-factors.ts) instead of walking alone; only for an instrument that follows the session. */
  factors?: SyntheticFactors;
}

/**
 * How an equity moves with others: a stock (market beta, and the sector it shares a factor with, if any), an index
 * ETF made of stocks (weights; the rest of it is the market), or a daily-reset multiple of a stock or an index.
 * The instruments it is made of are carried whole, so a market asked for QQQ alone can still make it of its stocks.
 */
export type SyntheticFactors =
  | { kind: 'STOCK'; sector: string | null; marketBeta: number }
  | { kind: 'INDEX'; constituents: readonly { instrument: SyntheticInstrument; weight: number }[] }
  | { kind: 'LEVERAGED'; tracks: SyntheticInstrument; multiple: number };

/** A catalog entry's `factors` as configuration spells them (see supervisor/config/fleet-config.ts). */
export interface CatalogFactors {
  sector?: string | undefined;
  marketBeta?: string | undefined;
  index?: Readonly<Record<string, string>> | undefined;
  tracks?: string | undefined;
}

/** A catalog entry as configuration spells it, decimals as text. */
export interface CatalogSyntheticInstrument {
  id: string;
  kind?: string;
  tickSize: string;
  lotStep: string;
  startPrice: string;
  turnoverPerMinute?: string | undefined;
  /** A leveraged ETF's daily multiple is its beta over its index's (both on one exposure key). */
  exposure?: { key: string; beta: string };
  factors?: CatalogFactors | undefined;
}

function plainInstrumentOf(entry: CatalogSyntheticInstrument): SyntheticInstrument {
  const instrument: SyntheticInstrument = {
    id: parseInstrumentId(entry.id),
    tickSize: Decimal.parse(entry.tickSize, `${entry.id} tickSize`),
    lotStep: Decimal.parse(entry.lotStep, `${entry.id} lotStep`),
    startPrice: Decimal.parse(entry.startPrice, `${entry.id} startPrice`),
  };
  if (entry.turnoverPerMinute !== undefined) instrument.turnoverPerMinute = Decimal.parse(entry.turnoverPerMinute, `${entry.id} turnoverPerMinute`);
  if (entry.kind !== undefined && followsUsEquitySession({ kind: entry.kind as InstrumentKind })) instrument.followsUsEquitySession = true;
  return instrument;
}

/**
 * The synthetic market's view of a catalog instrument: its steps, start price and turnover, and the factors of a
 * stock or of an index without constituents (SPY, the market itself). An entry made of other entries (an index of
 * stocks, a leveraged ETF) needs the catalog: use syntheticInstrumentsOf.
 */
export function syntheticInstrumentOf(entry: CatalogSyntheticInstrument): SyntheticInstrument {
  const factors = entry.factors;
  if (factors !== undefined && (factors.tracks !== undefined || Object.keys(factors.index ?? {}).length > 0)) {
    throw new InvalidInputError(`${entry.id} is made from other instruments of the catalog (factors); resolve it with the whole catalog (syntheticInstrumentsOf)`);
  }
  return syntheticInstrumentsOf([entry])[0] as SyntheticInstrument;
}

/** The synthetic market's view of catalog entries, each entry's factors resolved against the others. */
export function syntheticInstrumentsOf(entries: readonly CatalogSyntheticInstrument[]): SyntheticInstrument[] {
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  const resolved = new Map<string, SyntheticInstrument>();
  const resolve = (entry: CatalogSyntheticInstrument, path: readonly string[]): SyntheticInstrument => {
    const done = resolved.get(entry.id);
    if (done !== undefined) return done;
    if (path.includes(entry.id)) throw new InvalidInputError(`${[...path, entry.id].join(' → ')}: an instrument is made from itself (factors)`);
    const instrument = plainInstrumentOf(entry);
    const factors = entry.factors;
    const other = (id: string, key: string): CatalogSyntheticInstrument => {
      const found = byId.get(id);
      if (found === undefined) throw new InvalidInputError(`${entry.id} factors.${key}: ${id} is not in the synthetic market's catalog`);
      return found;
    };
    if (factors?.tracks !== undefined) {
      const tracked = other(factors.tracks, 'tracks');
      const own = entry.exposure;
      const theirs = tracked.exposure;
      if (own === undefined || theirs === undefined || own.key !== theirs.key || Decimal.parse(theirs.beta).isZero()) {
        throw new InvalidInputError(`${entry.id} factors.tracks: ${tracked.id} must share its exposure key with a beta other than 0, so that the daily multiple is the ratio of their betas`);
      }
      instrument.factors = { kind: 'LEVERAGED', tracks: resolve(tracked, [...path, entry.id]), multiple: Decimal.parse(own.beta).toNumber() / Decimal.parse(theirs.beta).toNumber() };
    } else if (factors?.index !== undefined) {
      const constituents = Object.entries(factors.index).map(([id, weight]) => ({ instrument: resolve(other(id, `index.${id}`), [...path, entry.id]), weight: Decimal.parse(weight).toNumber() }));
      instrument.factors = { kind: 'INDEX', constituents };
    } else if (factors !== undefined) {
      instrument.factors = { kind: 'STOCK', sector: factors.sector ?? null, marketBeta: factors.marketBeta === undefined ? 1 : Decimal.parse(factors.marketBeta).toNumber() };
    }
    resolved.set(entry.id, instrument);
    return instrument;
  };
  return entries.map((entry) => resolve(entry, []));
}

/**
 * The step volume is counted in: the lot step times the smallest power of ten that keeps an ordinary minute at the
 * start price within MAX_BASE_VOLUME_UNITS of them. Every volume is therefore still a multiple of the lot step.
 */
function volumeStepOf(instrument: SyntheticInstrument): Decimal {
  const lotStep = instrument.lotStep ?? DEFAULT_LOT_STEP;
  const baseVolume = (instrument.turnoverPerMinute ?? DEFAULT_TURNOVER_PER_MINUTE).div(instrument.startPrice);
  const limit = Decimal.fromInteger(MAX_BASE_VOLUME_UNITS);
  let step = lotStep;
  while (baseVolume.div(step).gt(limit)) step = step.mul(TEN);
  return step;
}

export interface SyntheticMarketOptions {
  seed: number;
  instruments: readonly SyntheticInstrument[];
  /** The first 1m candle opens here, rounded up to a whole minute. */
  startMs: number;
  /**
   * Where the instruments that follow the US equity session start instead, rounded up to a whole minute; startMs
   * unless given. An equity's warm-up needs session minutes, which calendar time outside the session does not hold,
   * while every other instrument's path stays exactly what it is from startMs.
   */
  sessionStartMs?: number;
  /** The timeframes to emit, all of them unless given; each is aggregated from the same 1m candles. */
  timeframes?: readonly Timeframe[];
}

/**
 * A candle counted in integer ticks and lot steps. Integers make aggregation exact and cheap;
 * toCandle() turns one into Decimals at the edge.
 */
export interface TickCandle {
  readonly instrumentId: InstrumentId;
  readonly timeframe: Timeframe;
  readonly openTime: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  /** Only where it differs from the timeframe's: an equity's daily candle covers its session, open to close. */
  readonly durationMs?: number;
}

type Building = { -readonly [K in keyof TickCandle]: TickCandle[K] };

/**
 * An equity's candles of every emitted timeframe, built from its session minutes: intraday buckets stay on the UTC
 * grid (as Alpaca's bars do) and hold the session minutes in them; the daily candle is the session itself, from its
 * open to its close, and closes with it.
 */
abstract class SessionCandles {
  readonly id: InstrumentId;
  readonly tickUnits: bigint;
  /** The volume step in Decimal units: volume is a whole number of these. */
  readonly volumeUnits: bigint;
  /** Per emitted timeframe above 1m: the candle being aggregated, or null before its bucket's first minute. */
  protected readonly building: (Building | null)[];
  /** Per emitted timeframe: the candle that closed with the last minute, waiting to be emitted in order. */
  readonly completed: (TickCandle | null)[];
  abstract readonly followsSession: boolean;

  constructor(instrument: SyntheticInstrument, frameCount: number) {
    this.id = instrument.id;
    this.tickUnits = instrument.tickSize.units;
    this.volumeUnits = volumeStepOf(instrument).units;
    this.building = new Array<Building | null>(frameCount).fill(null);
    this.completed = new Array<TickCandle | null>(frameCount).fill(null);
  }

  abstract get regime(): MarketRegime;
  abstract step(openTime: number, frames: readonly Frame[]): void;
  abstract stepInSession(openTime: number, frames: readonly Frame[], session: SessionMinute, marketStart: number): void;

  /** Folds a session minute into every emitted timeframe. */
  protected aggregateInSession(minute: TickCandle, openTime: number, frames: readonly Frame[], session: SessionMinute, marketStart: number): void {
    for (let index = 0; index < frames.length; index++) {
      const frame = frames[index] as Frame;
      if (frame.ms === MINUTE_MS) {
        this.completed[index] = minute;
        continue;
      }
      const daily = frame.timeframe === '1d';
      const bucketStart = daily ? session.sessionOpen : openTime - (openTime % frame.ms);
      let building = this.building[index] ?? null;
      if (building === null || building.openTime !== bucketStart) {
        // A bucket that began before the market did is never emitted: it would not hold all of its minutes.
        building = bucketStart < marketStart ? null : { ...minute, timeframe: frame.timeframe, openTime: bucketStart, ...(daily ? { durationMs: session.sessionClose - session.sessionOpen } : {}) };
        this.building[index] = building;
      } else {
        fold(building, minute);
      }
      const ends = daily ? openTime + MINUTE_MS === session.sessionClose : (openTime + MINUTE_MS) % frame.ms === 0;
      if (building !== null && ends) {
        this.completed[index] = building;
        this.building[index] = null;
      }
    }
  }

  /** A minute outside an equity's session: no candle, but an intraday bucket the close left open ends on its grid. */
  idle(openTime: number, frames: readonly Frame[]): void {
    for (let index = 0; index < frames.length; index++) {
      const frame = frames[index] as Frame;
      const building = this.building[index] ?? null;
      if (building !== null && (openTime + MINUTE_MS) % frame.ms === 0) {
        this.completed[index] = building;
        this.building[index] = null;
      }
    }
  }
}

/** One instrument's random walk: regime chain, GARCH variance, range anchor, and its candles under construction. */
class InstrumentPath extends SessionCandles {
  readonly #tick: number;
  /** Turnover per minute in volume steps × ticks: divided by the close in ticks, it is an ordinary minute's volume. */
  readonly #turnoverStepTicks: number;
  readonly #random: SeededRandom;
  #parameters: RegimeParameters;
  #dwellLeft: number;
  /** Log price the range regimes revert to: where the current regime began. */
  #anchor: number;
  #logPrice: number;
  #variance: number;
  /** The last close in ticks; the next candle opens there. */
  #closeTicks: number;
  readonly followsSession: boolean;
  /** The open time of the last minute traded in a session; null before the first. */
  #lastSessionMinute: number | null = null;

  constructor(seed: number, instrument: SyntheticInstrument, frameCount: number) {
    super(instrument, frameCount);
    const volumeStep = volumeStepOf(instrument);
    this.#tick = instrument.tickSize.toNumber();
    const turnover = instrument.turnoverPerMinute ?? DEFAULT_TURNOVER_PER_MINUTE;
    this.#turnoverStepTicks = turnover.div(volumeStep).div(instrument.tickSize).toNumber();
    this.#random = new SeededRandom(`${seed}|${instrument.id}|${instrument.startPrice.toString()}`);
    this.#parameters = REGIMES[drawFirstRegime(this.#random)];
    this.#dwellLeft = drawDwellMinutes(this.#parameters, this.#random);
    this.#logPrice = Math.log(instrument.startPrice.toNumber());
    this.#anchor = this.#logPrice;
    this.#variance = this.#parameters.volatilityPerMinute ** 2;
    this.#closeTicks = Math.max(1, Math.round(instrument.startPrice.toNumber() / this.#tick));
    this.followsSession = instrument.followsUsEquitySession === true;
  }

  get regime(): MarketRegime {
    return this.#parameters.regime;
  }

  /** Generates the 1m candle opening at `openTime` and folds it into every higher timeframe. */
  step(openTime: number, frames: readonly Frame[]): void {
    const minute = this.#walk(openTime);
    for (let index = 0; index < frames.length; index++) {
      const frame = frames[index] as Frame;
      if (frame.ms === MINUTE_MS) {
        this.completed[index] = minute;
        continue;
      }
      let building = this.building[index] ?? null;
      if (openTime % frame.ms === 0) {
        building = { ...minute, timeframe: frame.timeframe };
        this.building[index] = building;
      } else if (building !== null) {
        fold(building, minute);
      }
      // A bucket that began before the first minute is never emitted: it would not hold all of its minutes.
      if (building !== null && (openTime + MINUTE_MS) % frame.ms === 0) {
        this.completed[index] = building;
        this.building[index] = null;
      }
    }
  }

  /** A minute of the session for an equity: the first after a closure opens with the gap the closed hours made. */
  stepInSession(openTime: number, frames: readonly Frame[], session: SessionMinute, marketStart: number): void {
    const last = this.#lastSessionMinute;
    if (last !== null && openTime - last > MINUTE_MS) this.#gap((openTime - last - MINUTE_MS) / MINUTE_MS);
    this.#lastSessionMinute = openTime;
    this.aggregateInSession(this.#walk(openTime), openTime, frames, session, marketStart);
  }

  #gap(closedMinutes: number): void {
    this.#logPrice += Math.sqrt(this.#variance * closedMinutes * CLOSED_VARIANCE_SHARE) * this.#random.normal();
    this.#closeTicks = Math.max(1, Math.round(Math.exp(this.#logPrice) / this.#tick));
  }

  /** The random walk's next minute. */
  #walk(openTime: number): TickCandle {
    if (--this.#dwellLeft <= 0) this.#switchRegime();
    const parameters = this.#parameters;
    const random = this.#random;
    const variance = this.#variance;
    const shock = Math.sqrt(variance) * random.normal();
    const logOpen = this.#logPrice;
    const logReturn = parameters.driftPerMinute - parameters.reversionPerMinute * (logOpen - this.#anchor) + shock;
    // The path inside the candle is a Brownian bridge from 0 to logReturn; its maximum and minimum are drawn exactly.
    const squared = logReturn * logReturn;
    const up = 0.5 * (logReturn + Math.sqrt(squared - 2 * variance * Math.log(random.uniform())));
    const down = 0.5 * (logReturn - Math.sqrt(squared - 2 * variance * Math.log(random.uniform())));
    this.#logPrice = logOpen + logReturn;
    this.#variance = parameters.omega + GARCH_ALPHA * shock * shock + GARCH_BETA * variance;

    const tick = this.#tick;
    const open = this.#closeTicks;
    const close = Math.max(1, Math.round(Math.exp(this.#logPrice) / tick));
    const high = Math.max(open, close, Math.round(Math.exp(logOpen + up) / tick));
    const low = Math.max(1, Math.min(open, close, Math.round(Math.exp(logOpen + down) / tick)));
    this.#closeTicks = close;
    const activity = 0.3 + (0.7 * Math.abs(logReturn)) / REFERENCE_VOLATILITY_PER_MINUTE;
    const noise = Math.exp(VOLUME_NOISE * random.normal() - (VOLUME_NOISE * VOLUME_NOISE) / 2);
    // Turnover is set in quote currency, so the base volume follows the price: turnover / close, in volume steps.
    const volume = Math.round((this.#turnoverStepTicks / close) * parameters.volumeFactor * activity * noise);

    return { instrumentId: this.id, timeframe: '1m', openTime, open, high, low, close, volume };
  }

  #switchRegime(): void {
    this.#parameters = REGIMES[drawNextRegime(this.#parameters.regime, this.#random)];
    this.#dwellLeft = drawDwellMinutes(this.#parameters, this.#random);
    this.#anchor = this.#logPrice;
    // A violent spell starts with a jump in variance rather than easing into it.
    if (this.#parameters.regime === 'HIGH_VOLATILITY') this.#variance = Math.max(this.#variance, this.#parameters.volatilityPerMinute ** 2);
  }
}

/** An equity that moves with others: its minutes come from the factor model, stepped by the market before it. */
class FactorPath extends SessionCandles {
  readonly followsSession = true;
  readonly #model: EquityFactorModel;

  constructor(instrument: SyntheticInstrument, frameCount: number, model: EquityFactorModel) {
    super(instrument, frameCount);
    this.#model = model;
  }

  get regime(): MarketRegime {
    return this.#model.regime(this.id);
  }

  step(): void {
    throw new InvalidInputError(`${this.id} moves with the equity factors, which trade only in the session`);
  }

  stepInSession(openTime: number, frames: readonly Frame[], session: SessionMinute, marketStart: number): void {
    const minute = this.#model.minute(this.id);
    this.aggregateInSession({ instrumentId: this.id, timeframe: '1m', openTime, open: minute.open, high: minute.high, low: minute.low, close: minute.close, volume: minute.volume }, openTime, frames, session, marketStart);
  }
}

/** Every instrument a factor instrument is made of, itself included, each once (by id). */
function factorMembers(instruments: readonly SyntheticInstrument[]): SyntheticInstrument[] {
  const found = new Map<InstrumentId, SyntheticInstrument>();
  const visit = (instrument: SyntheticInstrument): void => {
    const factors = instrument.factors;
    if (factors === undefined) return;
    const seen = found.get(instrument.id);
    if (seen !== undefined) {
      if (seen !== instrument && !(seen.startPrice.eq(instrument.startPrice) && seen.factors?.kind === factors.kind)) {
        throw new InvalidInputError(`synthetic instrument ${instrument.id} is given twice, differently (as listed and as a part of another)`);
      }
      return;
    }
    if (instrument.followsUsEquitySession !== true) throw new InvalidInputError(`synthetic instrument ${instrument.id}: equity factors apply only to an instrument that trades in the US equity session (kind EQUITY)`);
    checkInstrument(instrument);
    found.set(instrument.id, instrument);
    if (factors.kind === 'INDEX') for (const { instrument: constituent, weight } of factors.constituents) {
      if (constituent.factors?.kind !== 'STOCK') throw new InvalidInputError(`synthetic instrument ${instrument.id}: its constituent ${constituent.id} is not a stock of the equity factors`);
      if (!(weight > 0)) throw new InvalidInputError(`synthetic instrument ${instrument.id}: the weight of ${constituent.id} must be above 0, got ${weight}`);
      visit(constituent);
    }
    if (factors.kind === 'LEVERAGED') visit(factors.tracks);
  };
  for (const instrument of instruments) visit(instrument);
  return [...found.values()];
}

function memberOf(instrument: SyntheticInstrument): EquityFactorMember {
  const factors = instrument.factors as SyntheticFactors;
  const role: EquityFactorRole =
    factors.kind === 'STOCK'
      ? factors
      : factors.kind === 'INDEX'
        ? { kind: 'INDEX', constituents: factors.constituents.map(({ instrument: constituent, weight }) => ({ id: constituent.id, weight })) }
        : { kind: 'LEVERAGED', tracks: factors.tracks.id, multiple: factors.multiple };
  const volumeStep = volumeStepOf(instrument);
  return {
    id: instrument.id,
    role,
    streamKey: `${instrument.id}|${instrument.startPrice.toString()}`,
    startPrice: instrument.startPrice.toNumber(),
    tick: instrument.tickSize.toNumber(),
    turnoverStepTicks: (instrument.turnoverPerMinute ?? DEFAULT_TURNOVER_PER_MINUTE).div(volumeStep).div(instrument.tickSize).toNumber(),
  };
}

interface Frame {
  timeframe: Timeframe;
  ms: number;
}

function fold(building: Building, minute: TickCandle): void {
  if (minute.high > building.high) building.high = minute.high;
  if (minute.low < building.low) building.low = minute.low;
  building.close = minute.close;
  building.volume += minute.volume;
}

function checkInstrument(instrument: SyntheticInstrument): void {
  const what = `synthetic instrument ${instrument.id}`;
  if (!instrument.tickSize.isPositive()) throw new InvalidInputError(`${what}: tick size must be positive, got ${instrument.tickSize.toString()}`);
  if (instrument.startPrice.lt(instrument.tickSize)) {
    throw new InvalidInputError(`${what}: start price ${instrument.startPrice.toString()} must be at least one tick (${instrument.tickSize.toString()})`);
  }
  const lotStep = instrument.lotStep ?? DEFAULT_LOT_STEP;
  const turnover = instrument.turnoverPerMinute ?? DEFAULT_TURNOVER_PER_MINUTE;
  if (!lotStep.isPositive()) throw new InvalidInputError(`${what}: lot step must be positive, got ${lotStep.toString()}`);
  if (!turnover.isPositive()) throw new InvalidInputError(`${what}: turnover per minute must be positive, got ${turnover.toString()}`);
}

/**
 * Seeded synthetic candles: 1m candles are generated and every higher timeframe is their exact aggregate.
 * Each series depends only on (seed, instrument id, start price), so adding an instrument changes no other.
 */
export class SyntheticMarket {
  readonly instrumentIds: readonly InstrumentId[];
  readonly #paths: readonly SessionCandles[];
  readonly #byId: ReadonlyMap<InstrumentId, SessionCandles>;
  /** The equities that move together, stepped once per session minute before their paths read it; null without any. */
  readonly #factors: EquityFactorModel | null;
  readonly #frames: readonly Frame[];
  #nextOpenTime: number;
  /** Where the around-the-clock paths start, and where the session paths (and the factor model) start. */
  readonly #startOpenTime: number;
  readonly #sessionStartOpenTime: number;
  /** The US equity session, asked only when some instrument follows it. */
  readonly #sessions: SessionCursor | null;

  constructor(options: SyntheticMarketOptions) {
    if (!Number.isSafeInteger(options.seed)) throw new InvalidInputError(`synthetic market seed must be an integer, got ${options.seed}`);
    if (!Number.isSafeInteger(options.startMs)) throw new InvalidInputError(`synthetic market startMs must be an integer of ms, got ${options.startMs}`);
    if (options.sessionStartMs !== undefined && !Number.isSafeInteger(options.sessionStartMs)) throw new InvalidInputError(`synthetic market sessionStartMs must be an integer of ms, got ${options.sessionStartMs}`);
    if (options.instruments.length === 0) throw new InvalidInputError('a synthetic market needs at least one instrument');
    const wanted = new Set(options.timeframes ?? TIMEFRAMES);
    if (wanted.size === 0) throw new InvalidInputError('a synthetic market needs at least one timeframe');
    for (const timeframe of wanted) {
      if (!(TIMEFRAMES as readonly string[]).includes(timeframe)) throw new InvalidInputError(`unknown timeframe ${JSON.stringify(timeframe)}`);
    }
    this.#frames = TIMEFRAMES.filter((timeframe) => wanted.has(timeframe)).map((timeframe) => ({ timeframe, ms: TIMEFRAME_MS[timeframe] }));
    // Factor members not listed (an index's stocks when only the index is asked for) are made but never emitted.
    const members = factorMembers(options.instruments);
    this.#factors = members.length === 0 ? null : new EquityFactorModel(options.seed, members.map(memberOf));
    const byId = new Map<InstrumentId, SessionCandles>();
    for (const instrument of options.instruments) {
      if (byId.has(instrument.id)) throw new InvalidInputError(`synthetic instrument ${instrument.id} is listed twice`);
      checkInstrument(instrument);
      const factors = this.#factors;
      byId.set(instrument.id, instrument.factors === undefined || factors === null ? new InstrumentPath(options.seed, instrument, this.#frames.length) : new FactorPath(instrument, this.#frames.length, factors));
    }
    this.#byId = byId;
    this.#paths = [...byId.values()];
    this.instrumentIds = [...byId.keys()];
    this.#startOpenTime = Math.ceil(options.startMs / MINUTE_MS) * MINUTE_MS;
    this.#sessionStartOpenTime = Math.ceil((options.sessionStartMs ?? options.startMs) / MINUTE_MS) * MINUTE_MS;
    this.#nextOpenTime = Math.min(this.#startOpenTime, this.#sessionStartOpenTime);
    this.#sessions = this.#paths.some((path) => path.followsSession) ? new SessionCursor() : null;
  }

  /** When the next 1m candle closes: nothing new can be emitted before then. */
  nextCloseTime(): number {
    return this.#nextOpenTime + MINUTE_MS;
  }

  /**
   * Generates every 1m candle that closes at or before `ms` and emits each closed candle of the requested
   * timeframes: by close time, then lower timeframes first, then in instrument order.
   */
  advanceTo(ms: number, emit: (candle: TickCandle) => void): void {
    const paths = this.#paths;
    const frames = this.#frames;
    while (this.#nextOpenTime + MINUTE_MS <= ms) {
      const openTime = this.#nextOpenTime;
      const around = openTime >= this.#startOpenTime;
      const session = openTime >= this.#sessionStartOpenTime ? (this.#sessions?.at(openTime) ?? null) : null;
      if (session?.open === true) this.#factors?.stepMinute(openTime);
      for (const path of paths) {
        if (!path.followsSession) {
          if (around) path.step(openTime, frames);
        } else if (session?.open === true) path.stepInSession(openTime, frames, session, this.#sessionStartOpenTime);
        else path.idle(openTime, frames);
      }
      // Time moves on before anything is emitted, so the generator stays consistent whatever a consumer does.
      this.#nextOpenTime = openTime + MINUTE_MS;
      for (let index = 0; index < frames.length; index++) {
        for (const path of paths) {
          const candle = path.completed[index] ?? null;
          if (candle === null) continue;
          path.completed[index] = null;
          emit(candle);
        }
      }
    }
  }

  /** The Decimal candle for a tick candle; prices are exact multiples of the tick size, volume of the lot step. */
  toCandle(candle: TickCandle): TimeframeCandle {
    const path = this.#path(candle.instrumentId);
    const tick = path.tickUnits;
    return {
      instrumentId: candle.instrumentId,
      timeframe: candle.timeframe,
      openTime: candle.openTime,
      durationMs: candle.durationMs ?? TIMEFRAME_MS[candle.timeframe],
      open: Decimal.fromUnits(BigInt(candle.open) * tick),
      high: Decimal.fromUnits(BigInt(candle.high) * tick),
      low: Decimal.fromUnits(BigInt(candle.low) * tick),
      close: Decimal.fromUnits(BigInt(candle.close) * tick),
      volume: Decimal.fromUnits(BigInt(candle.volume) * path.volumeUnits),
    };
  }

  /** The step an instrument's volume is a whole number of: its lot step, or a power of ten times it. */
  volumeStep(instrumentId: InstrumentId): Decimal {
    return Decimal.fromUnits(this.#path(instrumentId).volumeUnits);
  }

  /** The regime that produced the instrument's latest 1m candle. */
  regime(instrumentId: InstrumentId): MarketRegime {
    return this.#path(instrumentId).regime;
  }

  #path(instrumentId: InstrumentId): SessionCandles {
    const path = this.#byId.get(instrumentId);
    if (path === undefined) throw new InvalidInputError(`the synthetic market has no instrument ${instrumentId}`);
    return path;
  }
}
