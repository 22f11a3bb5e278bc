import { Decimal } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { InstrumentId } from '../../core/ids.ts';
import { TIMEFRAME_MS } from '../../core/strategy.ts';
import type { Timeframe, TimeframeCandle } from '../../core/strategy.ts';
import { SyntheticMarket } from '../market-data/synthetic.ts';
import type { SyntheticInstrument, TickCandle } from '../market-data/synthetic.ts';
import { ArrayFeed } from './candle-feed.ts';
import type { CandleFeed } from './candle-feed.ts';

const DAY_MS = TIMEFRAME_MS['1d'];
/** Generated a day at a time, so a year of 1m candles never sits in memory at once. */
const CHUNK_MS = DAY_MS;

export interface SyntheticFeedOptions {
  seed: number;
  instruments: readonly SyntheticInstrument[];
  /** Only these timeframes are emitted; every one is an exact aggregate of the same 1m path. */
  timeframes: readonly Timeframe[];
  startMs: number;
  endMs: number;
}

/**
 * The synthetic market as a backtest feed. SyntheticMarket already emits in delivery order (close time, lower
 * timeframe first, instrument order); candles are kept as integer ticks and turned into Decimals one at a time.
 */
export class SyntheticFeed implements CandleFeed {
  readonly total: number;
  readonly #market: SyntheticMarket;
  readonly #endMs: number;
  /** Per instrument: the tick and the volume step in Decimal units, and the last close, reused as the next open. */
  readonly #units = new Map<InstrumentId, { tick: bigint; volume: bigint; lastCloseTicks: number; lastClose: Decimal | null }>();
  #buffer: TickCandle[] = [];
  #prepared: TimeframeCandle[] | null = null;
  #preparedIndex = 0;
  #index = 0;
  #generatedTo: number;

  constructor(options: SyntheticFeedOptions) {
    if (!(options.endMs > options.startMs)) throw new InvalidInputError('the synthetic period is empty: --to must be after --from');
    this.#market = new SyntheticMarket({ seed: options.seed, instruments: options.instruments, startMs: options.startMs, timeframes: options.timeframes });
    this.#endMs = options.endMs;
    for (const instrument of options.instruments) {
      this.#units.set(instrument.id, { tick: instrument.tickSize.units, volume: this.#market.volumeStep(instrument.id).units, lastCloseTicks: -1, lastClose: null });
    }
    this.#generatedTo = options.startMs;
    const start = Math.ceil(options.startMs / TIMEFRAME_MS['1m']) * TIMEFRAME_MS['1m'];
    let perInstrument = 0;
    for (const timeframe of new Set(options.timeframes)) {
      const ms = TIMEFRAME_MS[timeframe];
      const firstBucket = Math.ceil(start / ms) * ms;
      perInstrument += Math.max(0, Math.floor((options.endMs - firstBucket) / ms));
    }
    this.total = perInstrument * options.instruments.length;
  }

  /**
   * Generates every candle up front, as Decimals, so that a benchmark times the backtest loop over candles that are
   * ready, as a backtest over files does (ArrayFeed). It holds the whole period in memory, which the lazy default avoids.
   */
  generateAll(): void {
    this.#fill(this.#endMs);
    const ticks = this.#buffer.slice(this.#index);
    this.#buffer = [];
    this.#index = 0;
    this.#prepared = ticks.map((candle) => this.#toCandle(candle));
  }

  /** Every candle of the period as a feed that can be replayed: for runs over the same market, one after another. */
  toArrayFeed(): ArrayFeed {
    if (this.#prepared === null) this.generateAll();
    return new ArrayFeed((this.#prepared as TimeframeCandle[]).slice(this.#preparedIndex));
  }

  next(): TimeframeCandle | undefined {
    if (this.#prepared !== null) return this.#prepared[this.#preparedIndex++];
    if (this.#index >= this.#buffer.length) {
      if (this.#generatedTo >= this.#endMs) return undefined;
      this.#buffer = [];
      this.#index = 0;
      while (this.#buffer.length === 0 && this.#generatedTo < this.#endMs) this.#fill(Math.min(this.#endMs, this.#generatedTo + CHUNK_MS));
      if (this.#buffer.length === 0) return undefined;
    }
    return this.#toCandle(this.#buffer[this.#index++] as TickCandle);
  }

  /** SyntheticMarket.toCandle's arithmetic, reusing the previous close for the open it always equals on the base timeframe. */
  #toCandle(candle: TickCandle): TimeframeCandle {
    const units = this.#units.get(candle.instrumentId);
    if (units === undefined) return this.#market.toCandle(candle);
    const tick = units.tick;
    const open = candle.open === units.lastCloseTicks && units.lastClose !== null ? units.lastClose : Decimal.fromUnits(BigInt(candle.open) * tick);
    const close = candle.close === candle.open ? open : Decimal.fromUnits(BigInt(candle.close) * tick);
    units.lastCloseTicks = candle.close;
    units.lastClose = close;
    return {
      instrumentId: candle.instrumentId,
      timeframe: candle.timeframe,
      openTime: candle.openTime,
      durationMs: candle.durationMs ?? TIMEFRAME_MS[candle.timeframe],
      open,
      high: candle.high === candle.open ? open : candle.high === candle.close ? close : Decimal.fromUnits(BigInt(candle.high) * tick),
      low: candle.low === candle.open ? open : candle.low === candle.close ? close : Decimal.fromUnits(BigInt(candle.low) * tick),
      close,
      volume: Decimal.fromUnits(BigInt(candle.volume) * units.volume),
    };
  }

  #fill(to: number): void {
    const buffer = this.#buffer;
    this.#market.advanceTo(to, (candle) => buffer.push(candle));
    this.#generatedTo = to;
  }
}
