import { InvalidInputError } from '../../core/errors.ts';
import type { InstrumentId } from '../../core/ids.ts';
import { SeededRandom } from './random.ts';
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

/**
 * Equities that move together: one market factor, a factor per sector, and each stock's own (idiosyncratic) noise;
 * index ETFs made of their constituents' returns; leveraged and inverse ETFs as a daily multiple of their index.
 *
 * Every factor is drawn from its own seeded stream, keyed by the seed and the factor's name, and never from the
 * streams of the instruments that walk alone: adding equities changes no crypto candle. The model steps only in
 * session minutes (every member follows the US equity session); the closed hours move each factor once, at the
 * next open, by a gap of a sixteenth of its session variance rate.
 */

const MINUTE_MS = 60_000;
/** The share of the session variance rate the closed hours carry (as for an instrument that walks alone). */
const CLOSED_VARIANCE_SHARE = 1 / 16;
const VOLUME_NOISE = 0.4;
/**
 * The factors use the regime chain of regimes.ts (calibrated on 24-hour crypto days), scaled: with only the 390
 * minutes of a session in a day, the market's ordinary (choppy) session then moves about 0.8%, a sector's 1%.
 */
const MARKET_SCALE = { volatility: 0.5, drift: 0.5 };
const SECTOR_SCALE = { volatility: 0.6, drift: 0.5 };
/** A stock's own noise: 1% a session, GARCH-clustered like the factors, without regimes. */
const IDIOSYNCRATIC_VOLATILITY_PER_MINUTE = 0.01 / Math.sqrt(390);

/** A shock: a move of `size` (log) spread over a few minutes, down more often than up. */
interface ShockParameters {
  /** Chance per session minute that one starts. */
  perMinute: number;
  minSize: number;
  maxSize: number;
  minMinutes: number;
  maxMinutes: number;
  /** Share of shocks that fall. */
  downShare: number;
}

/** A sector sells off (or rallies) together about once every four sessions: 1.5-4% in 5-20 minutes. */
const SECTOR_SHOCKS: ShockParameters = { perMinute: 1 / 1560, minSize: 0.015, maxSize: 0.04, minMinutes: 5, maxMinutes: 20, downShare: 0.7 };
/** News on one stock about once every six sessions: 1.5-5% in 2-10 minutes, while its sector goes its own way. */
const STOCK_SHOCKS: ShockParameters = { perMinute: 1 / 2340, minSize: 0.015, maxSize: 0.05, minMinutes: 2, maxMinutes: 10, downShare: 0.65 };
/** A leveraged ETF that would lose more than this in a day is held there (real ones close first). */
const LEVERAGED_FLOOR = 0.01;

/** How an equity is made, as the generator is told (references by id). */
export type EquityFactorRole =
  | { kind: 'STOCK'; sector: string | null; marketBeta: number }
  | { kind: 'INDEX'; constituents: readonly { id: InstrumentId; weight: number }[] }
  | { kind: 'LEVERAGED'; tracks: InstrumentId; multiple: number };

export interface EquityFactorMember {
  id: InstrumentId;
  role: EquityFactorRole;
  /** Names the member's own stream beside the seed (the id and start price, as for an instrument that walks alone). */
  streamKey: string;
  startPrice: number;
  tick: number;
  /** Turnover per minute in volume steps × ticks (see synthetic.ts): divided by the close in ticks, an ordinary minute's volume. */
  turnoverStepTicks: number;
}

/** The 1m candle a member made, in ticks and volume steps. */
export interface FactorMinute {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

function scaled(scale: { volatility: number; drift: number }): Record<MarketRegime, RegimeParameters> {
  const out = {} as Record<MarketRegime, RegimeParameters>;
  for (const [name, parameters] of Object.entries(REGIMES) as [MarketRegime, RegimeParameters][]) {
    const volatilityPerMinute = parameters.volatilityPerMinute * scale.volatility;
    out[name] = {
      ...parameters,
      driftPerMinute: parameters.driftPerMinute * scale.drift,
      volatilityPerMinute,
      omega: volatilityPerMinute * volatilityPerMinute * (1 - GARCH_ALPHA - GARCH_BETA),
    };
  }
  return out;
}

const MARKET_REGIMES_SCALED = scaled(MARKET_SCALE);
const SECTOR_REGIMES_SCALED = scaled(SECTOR_SCALE);

/** A run of shocks: at most one at a time, each a fixed log move per minute while it lasts. */
class Shocks {
  readonly #parameters: ShockParameters;
  #left = 0;
  #perMinute = 0;

  constructor(parameters: ShockParameters) {
    this.#parameters = parameters;
  }

  /** This minute's part of the running shock (0 without one); one uniform a minute decides whether one starts. */
  next(random: SeededRandom): number {
    const start = random.uniform();
    if (this.#left > 0) {
      this.#left--;
      return this.#perMinute;
    }
    const p = this.#parameters;
    if (start >= p.perMinute) return 0;
    const size = p.minSize + (p.maxSize - p.minSize) * random.uniform();
    const minutes = Math.round(p.minMinutes + (p.maxMinutes - p.minMinutes) * random.uniform());
    const sign = random.uniform() < p.downShare ? -1 : 1;
    this.#perMinute = (sign * size) / minutes;
    this.#left = minutes - 1;
    return this.#perMinute;
  }
}

/** The market or a sector: a regime chain with GARCH variance, like an instrument's walk but without candles. */
class FactorWalk {
  readonly #random: SeededRandom;
  readonly #regimes: Record<MarketRegime, RegimeParameters>;
  readonly #shocks: Shocks | null;
  #parameters: RegimeParameters;
  #dwellLeft: number;
  #level = 0;
  #anchor = 0;
  variance: number;

  constructor(random: SeededRandom, regimes: Record<MarketRegime, RegimeParameters>, shocks: ShockParameters | null) {
    this.#random = random;
    this.#regimes = regimes;
    this.#shocks = shocks === null ? null : new Shocks(shocks);
    this.#parameters = regimes[drawFirstRegime(random)];
    this.#dwellLeft = drawDwellMinutes(this.#parameters, random);
    this.variance = this.#parameters.volatilityPerMinute ** 2;
  }

  get regime(): MarketRegime {
    return this.#parameters.regime;
  }

  get volumeFactor(): number {
    return this.#parameters.volumeFactor;
  }

  /** The factor's log return over the next session minute. */
  step(): number {
    if (--this.#dwellLeft <= 0) {
      this.#parameters = this.#regimes[drawNextRegime(this.#parameters.regime, this.#random)];
      this.#dwellLeft = drawDwellMinutes(this.#parameters, this.#random);
      this.#anchor = this.#level;
      if (this.#parameters.regime === 'HIGH_VOLATILITY') this.variance = Math.max(this.variance, this.#parameters.volatilityPerMinute ** 2);
    }
    const parameters = this.#parameters;
    const shock = Math.sqrt(this.variance) * this.#random.normal();
    const move = parameters.driftPerMinute - parameters.reversionPerMinute * (this.#level - this.#anchor) + shock + (this.#shocks?.next(this.#random) ?? 0);
    this.#level += move;
    this.variance = parameters.omega + GARCH_ALPHA * shock * shock + GARCH_BETA * this.variance;
    return move;
  }

  /** The move over `closedMinutes` of closed market, taken at the next open. */
  gap(closedMinutes: number): number {
    const move = Math.sqrt(this.variance * closedMinutes * CLOSED_VARIANCE_SHARE) * this.#random.normal();
    this.#level += move;
    return move;
  }
}

/** The extremes of a Brownian bridge from 0 to `logReturn` with the minute's variance, drawn exactly (as synthetic.ts does). */
function bridge(random: SeededRandom, logReturn: number, variance: number): { up: number; down: number } {
  const squared = logReturn * logReturn;
  const up = 0.5 * (logReturn + Math.sqrt(squared - 2 * variance * Math.log(random.uniform())));
  const down = 0.5 * (logReturn - Math.sqrt(squared - 2 * variance * Math.log(random.uniform())));
  return { up, down };
}

/** What every member keeps: its price, its last close in ticks, its stream and its volume scale. */
abstract class Member {
  readonly id: InstrumentId;
  readonly random: SeededRandom;
  readonly tick: number;
  readonly turnoverStepTicks: number;
  /** The price, unrounded: members are made of each other's returns, never of rounded ticks. */
  price: number;
  closeTicks: number;
  /** This minute's log return, and the variance its extremes are drawn with. */
  logReturn = 0;
  variance = 0;
  /** The minute's extremes as prices, for the leveraged ETFs made of it. */
  high = 0;
  low = 0;
  minute: FactorMinute = { open: 0, high: 0, low: 0, close: 0, volume: 0 };

  constructor(member: EquityFactorMember, seed: number) {
    this.id = member.id;
    this.random = new SeededRandom(`${seed}|${member.streamKey}|equity-factors`);
    this.tick = member.tick;
    this.turnoverStepTicks = member.turnoverStepTicks;
    this.price = member.startPrice;
    this.closeTicks = this.#ticks(member.startPrice);
  }

  #ticks(price: number): number {
    return Math.max(1, Math.round(price / this.tick));
  }

  /** The open moves to the gapped price; the candle that follows opens there. */
  setGappedPrice(price: number): void {
    this.price = price;
    this.high = price;
    this.low = price;
    this.closeTicks = this.#ticks(price);
  }

  /** Makes the minute's candle from the move (its extremes given as prices) and the volume drawn on the member's stream. */
  makeMinute(close: number, high: number, low: number, volumeFactor: number, activityReturn: number): void {
    const open = this.closeTicks;
    const closeTicks = this.#ticks(close);
    this.price = close;
    this.high = high;
    this.low = low;
    this.closeTicks = closeTicks;
    const activity = 0.3 + (0.7 * Math.abs(activityReturn)) / REFERENCE_VOLATILITY_PER_MINUTE;
    const noise = Math.exp(VOLUME_NOISE * this.random.normal() - (VOLUME_NOISE * VOLUME_NOISE) / 2);
    this.minute = {
      open,
      high: Math.max(open, closeTicks, Math.round(high / this.tick)),
      low: Math.max(1, Math.min(open, closeTicks, Math.round(low / this.tick))),
      close: closeTicks,
      volume: Math.round((this.turnoverStepTicks / closeTicks) * volumeFactor * activity * noise),
    };
  }

  abstract get regime(): MarketRegime;
}

class Stock extends Member {
  readonly sector: FactorWalk | null;
  readonly marketBeta: number;
  readonly #market: FactorWalk;
  readonly #shocks = new Shocks(STOCK_SHOCKS);
  #variance = IDIOSYNCRATIC_VOLATILITY_PER_MINUTE ** 2;
  /** The stock's own variance this minute, for the indexes made of it. */
  ownVariance = this.#variance;

  constructor(member: EquityFactorMember, seed: number, market: FactorWalk, sector: FactorWalk | null, marketBeta: number) {
    super(member, seed);
    this.#market = market;
    this.sector = sector;
    this.marketBeta = marketBeta;
  }

  get regime(): MarketRegime {
    return (this.sector ?? this.#market).regime;
  }

  gap(closedMinutes: number, marketGap: number, sectorGap: number): void {
    const own = Math.sqrt(this.#variance * closedMinutes * CLOSED_VARIANCE_SHARE) * this.random.normal();
    this.logReturn = this.marketBeta * marketGap + sectorGap + own;
    this.setGappedPrice(this.price * Math.exp(this.logReturn));
  }

  step(marketMove: number, sectorMove: number): void {
    const random = this.random;
    const shock = Math.sqrt(this.#variance) * random.normal();
    this.ownVariance = this.#variance;
    const own = shock + this.#shocks.next(random);
    this.#variance = IDIOSYNCRATIC_VOLATILITY_PER_MINUTE ** 2 * (1 - GARCH_ALPHA - GARCH_BETA) + GARCH_ALPHA * shock * shock + GARCH_BETA * this.#variance;
    const logReturn = this.marketBeta * marketMove + sectorMove + own;
    const variance = this.marketBeta * this.marketBeta * this.#market.variance + (this.sector?.variance ?? 0) + this.ownVariance;
    const open = this.price;
    const { up, down } = bridge(random, logReturn, variance);
    this.logReturn = logReturn;
    this.variance = variance;
    this.makeMinute(open * Math.exp(logReturn), open * Math.exp(up), open * Math.exp(down), this.#market.volumeFactor, logReturn);
  }
}

class Index extends Member {
  readonly constituents: readonly { stock: Stock; weight: number }[];
  /** The weight left to the market: the rest of the index, moving with it. */
  readonly restWeight: number;
  readonly #market: FactorWalk;

  constructor(member: EquityFactorMember, seed: number, market: FactorWalk, constituents: readonly { stock: Stock; weight: number }[]) {
    super(member, seed);
    this.#market = market;
    this.constituents = constituents;
    let total = 0;
    for (const { weight } of constituents) total += weight;
    this.restWeight = Math.max(0, 1 - total);
  }

  get regime(): MarketRegime {
    return this.#market.regime;
  }

  /** The index's simple return: its constituents' weighted simple returns, the rest of it the market's. */
  #simpleReturn(marketMove: number): number {
    let total = this.restWeight * Math.expm1(marketMove);
    for (const { stock, weight } of this.constituents) total += weight * Math.expm1(stock.logReturn);
    // An index cannot fall below nothing however the constituents move.
    return Math.max(total, -0.99);
  }

  gap(marketGap: number): void {
    this.setGappedPrice(this.price * (1 + this.#simpleReturn(marketGap)));
  }

  step(marketMove: number): void {
    const simple = this.#simpleReturn(marketMove);
    const logReturn = Math.log1p(simple);
    // The variance of the weighted sum under the factor structure: market, sectors, own noise.
    let marketLoading = this.restWeight;
    const sectorLoadings = new Map<FactorWalk, number>();
    let own = 0;
    for (const { stock, weight } of this.constituents) {
      marketLoading += weight * stock.marketBeta;
      if (stock.sector !== null) sectorLoadings.set(stock.sector, (sectorLoadings.get(stock.sector) ?? 0) + weight);
      own += weight * weight * stock.ownVariance;
    }
    let variance = marketLoading * marketLoading * this.#market.variance + own;
    for (const [sector, loading] of sectorLoadings) variance += loading * loading * sector.variance;
    const open = this.price;
    const { up, down } = bridge(this.random, logReturn, variance);
    this.logReturn = logReturn;
    this.variance = variance;
    this.makeMinute(open * (1 + simple), open * Math.exp(up), open * Math.exp(down), this.#market.volumeFactor, logReturn);
  }
}

/**
 * A daily-reset leveraged (or inverse) ETF: from the last close, its price moves by `multiple` times its index's
 * return since that close, so it compounds day by day and decays in a choppy market, as real ones do.
 */
class Leveraged extends Member {
  readonly #index: Stock | Index;
  readonly #multiple: number;
  readonly #market: FactorWalk;
  /** The ETF's and its index's prices at the last close: the day's reference. */
  #referencePrice: number;
  #referenceIndex: number;

  constructor(member: EquityFactorMember, seed: number, market: FactorWalk, index: Stock | Index, multiple: number) {
    super(member, seed);
    this.#market = market;
    this.#index = index;
    this.#multiple = multiple;
    this.#referencePrice = this.price;
    this.#referenceIndex = index.price;
  }

  get regime(): MarketRegime {
    return this.#market.regime;
  }

  #priceAt(indexPrice: number): number {
    const price = this.#referencePrice * (1 + this.#multiple * (indexPrice / this.#referenceIndex - 1));
    return Math.max(price, this.#referencePrice * LEVERAGED_FLOOR);
  }

  /** A new session: the day's reference resets to the last closes (`closes`: the prices before anything gapped). */
  gap(closes: ReadonlyMap<Member, number>): void {
    this.#referencePrice = this.price;
    this.#referenceIndex = closes.get(this.#index) as number;
    this.setGappedPrice(this.#priceAt(this.#index.price));
  }

  step(): void {
    const index = this.#index;
    const open = this.price;
    const close = this.#priceAt(index.price);
    // Monotone in the index: an inverse ETF's high is made at the index's low.
    const [atHigh, atLow] = this.#multiple > 0 ? [index.high, index.low] : [index.low, index.high];
    const extremeHigh = this.#priceAt(atHigh);
    const extremeLow = this.#priceAt(atLow);
    this.logReturn = Math.log(close / open);
    this.makeMinute(close, extremeHigh, extremeLow, this.#market.volumeFactor, index.logReturn);
  }
}

/**
 * The factor model over a set of members. `stepMinute(openTime)` is called for every session minute, in time order,
 * before any member's minute is read; members are stepped stocks first, then indexes, then leveraged ETFs.
 */
export class EquityFactorModel {
  readonly #market: FactorWalk;
  readonly #sectors: readonly FactorWalk[];
  readonly #stocks: Stock[] = [];
  readonly #indexes: Index[] = [];
  readonly #leveraged: Leveraged[] = [];
  readonly #byId = new Map<InstrumentId, Member>();
  readonly #sectorMoves: number[];
  readonly #sectorIndex: Map<FactorWalk, number>;
  #lastSessionMinute: number | null = null;

  constructor(seed: number, members: readonly EquityFactorMember[]) {
    this.#market = new FactorWalk(new SeededRandom(`${seed}|equity-factors|market`), MARKET_REGIMES_SCALED, null);
    const sectorNames = [...new Set(members.flatMap((member) => (member.role.kind === 'STOCK' && member.role.sector !== null ? [member.role.sector] : [])))].sort();
    const sectors = new Map(sectorNames.map((name) => [name, new FactorWalk(new SeededRandom(`${seed}|equity-factors|sector|${name}`), SECTOR_REGIMES_SCALED, SECTOR_SHOCKS)]));
    this.#sectors = [...sectors.values()];
    this.#sectorMoves = new Array<number>(this.#sectors.length).fill(0);
    const byIdInput = new Map(members.map((member) => [member.id, member]));
    const build = (id: InstrumentId, path: readonly InstrumentId[]): Member => {
      const built = this.#byId.get(id);
      if (built !== undefined) return built;
      const member = byIdInput.get(id);
      if (member === undefined) throw new InvalidInputError(`equity factors: ${path.at(-1)} is made from ${id}, which the synthetic market does not have`);
      if (path.includes(id)) throw new InvalidInputError(`equity factors: ${[...path, id].join(' → ')} is made from itself`);
      const role = member.role;
      let made: Member;
      if (role.kind === 'STOCK') {
        const stock = new Stock(member, seed, this.#market, role.sector === null ? null : (sectors.get(role.sector) as FactorWalk), role.marketBeta);
        this.#stocks.push(stock);
        made = stock;
      } else if (role.kind === 'INDEX') {
        const constituents = role.constituents.map(({ id: constituent, weight }) => {
          const stock = build(constituent, [...path, id]);
          if (!(stock instanceof Stock)) throw new InvalidInputError(`equity factors: the index ${id} lists ${constituent}, which is not a stock`);
          return { stock, weight };
        });
        const index = new Index(member, seed, this.#market, constituents);
        this.#indexes.push(index);
        made = index;
      } else {
        const index = build(role.tracks, [...path, id]);
        if (!(index instanceof Stock || index instanceof Index)) throw new InvalidInputError(`equity factors: ${id} tracks ${role.tracks}, which is itself leveraged`);
        const leveraged = new Leveraged(member, seed, this.#market, index, role.multiple);
        this.#leveraged.push(leveraged);
        made = leveraged;
      }
      this.#byId.set(id, made);
      return made;
    };
    for (const member of members) build(member.id, []);
    this.#sectorIndex = new Map(this.#sectors.map((sector, index) => [sector, index]));
  }

  has(id: InstrumentId): boolean {
    return this.#byId.has(id);
  }

  /** The candle the member made in the last session minute. */
  minute(id: InstrumentId): FactorMinute {
    return (this.#byId.get(id) as Member).minute;
  }

  /** A stock reports its sector's regime (the market's without one); an index or leveraged ETF the market's. */
  regime(id: InstrumentId): MarketRegime {
    return (this.#byId.get(id) as Member).regime;
  }

  /** Moves every factor and member by one session minute; the first minute after a closure opens with its gap. */
  stepMinute(openTime: number): void {
    const last = this.#lastSessionMinute;
    if (last !== null && openTime - last > MINUTE_MS) this.#gap((openTime - last - MINUTE_MS) / MINUTE_MS);
    this.#lastSessionMinute = openTime;
    const marketMove = this.#market.step();
    const sectorMoves = this.#sectorMoves;
    for (let index = 0; index < this.#sectors.length; index++) sectorMoves[index] = (this.#sectors[index] as FactorWalk).step();
    for (const stock of this.#stocks) stock.step(marketMove, stock.sector === null ? 0 : (sectorMoves[this.#sectorIndex.get(stock.sector) as number] as number));
    for (const index of this.#indexes) index.step(marketMove);
    for (const leveraged of this.#leveraged) leveraged.step();
  }

  #gap(closedMinutes: number): void {
    const closes = new Map<Member, number>();
    for (const member of [...this.#stocks, ...this.#indexes]) closes.set(member, member.price);
    const marketGap = this.#market.gap(closedMinutes);
    const sectorGaps = new Map(this.#sectors.map((sector) => [sector, sector.gap(closedMinutes)]));
    for (const stock of this.#stocks) stock.gap(closedMinutes, marketGap, stock.sector === null ? 0 : (sectorGaps.get(stock.sector) as number));
    for (const index of this.#indexes) index.gap(marketGap);
    for (const leveraged of this.#leveraged) leveraged.gap(closes);
  }
}
