import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decimal } from '../../../core/decimal.ts';
import type { BotId, InstrumentId } from '../../../core/ids.ts';
import { makeClientOrderId, parseBotId, parseInstrumentId } from '../../../core/ids.ts';
import type { BotStateView, OrderView, PositionView, Strategy, StrategyAction, Timeframe, TimeframeCandle } from '../../../core/strategy.ts';
import { TIMEFRAME_MS } from '../../../core/strategy.ts';
import type { TradingState } from '../../../core/trading-state.ts';
import { DailyTrend } from '../../../bots/trend-following/daily-trend.ts';
import strategyModule from '../../../bots/trend-following/strategy.ts';
import type { TrendFollowingParameters } from '../../../bots/trend-following/parameters.ts';

export const BOT: BotId = parseBotId('trend-following');
export const QQQ: InstrumentId = parseInstrumentId('QQQ.ALPACA');
export const SPY: InstrumentId = parseInstrumentId('SPY.ALPACA');
/** Midnight UTC on a Monday; every fixture starts here. */
export const T0 = Date.UTC(2025, 0, 6);
export const H4 = TIMEFRAME_MS['4h'];
export const D1 = TIMEFRAME_MS['1d'];
export const BARS_PER_DAY = D1 / H4;

export const BOT_FOLDER = join(import.meta.dirname, '..', '..', '..', 'bots', 'trend-following');
export const MANIFEST_JSON: Record<string, unknown> & { parameters: Record<string, unknown> } = JSON.parse(readFileSync(join(BOT_FOLDER, 'manifest.json'), 'utf8'));
export const DEFAULTS: TrendFollowingParameters = strategyModule.parameters.parse(MANIFEST_JSON.parameters);

export function createStrategy(overrides: Partial<TrendFollowingParameters> = {}, instruments: InstrumentId[] = [QQQ, SPY]): Strategy {
  const parameters = strategyModule.parameters.parse({ ...DEFAULTS, ...overrides });
  return strategyModule.create({ botId: BOT, instruments, timeframes: ['4h', '1d'], parameters });
}

// ---------------------------------------------------------------------------------------------------------
// Price paths: 4h closes, six to a day.

export interface Segment {
  days: number;
  /** Drift of the underlying level per day, as a fraction (0.006 is +0.6 % a day). */
  dailyDrift: number;
  /** A sine wave on top of the level, as a fraction of it, and its period in 4h candles. */
  wave?: number;
  wavePeriod?: number;
}

/** A deterministic path of 4h closes made of trend segments; the wave's phase runs on across segments. */
export function path(segments: readonly Segment[], start = 100): number[] {
  const closes: number[] = [];
  let level = start;
  let k = 0;
  for (const segment of segments) {
    const growth = Math.exp(segment.dailyDrift / BARS_PER_DAY);
    for (let i = 0; i < segment.days * BARS_PER_DAY; i++, k++) {
      level *= growth;
      const wave = (segment.wave ?? 0) * Math.sin((2 * Math.PI * k) / (segment.wavePeriod ?? 36));
      closes.push(level * (1 + wave));
    }
  }
  return closes;
}

export const UPTREND: Segment = { days: 120, dailyDrift: 0.006, wave: 0.015, wavePeriod: 36 };
export const DOWNTREND: Segment = { days: 120, dailyDrift: -0.006, wave: 0.015, wavePeriod: 36 };
export const FLAT: Segment = { days: 120, dailyDrift: 0, wave: 0.015, wavePeriod: 36 };

/** A seeded generator (mulberry32), so a "random" market is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * An index-like random market: regimes of two to eight weeks drifting up, down or nowhere, with about 1 %
 * daily volatility (a 4h step of 0.4 %). Used for the trade-frequency estimate, not for rule checks.
 */
export function randomMarket(seed: number, days: number, start = 100): number[] {
  const random = seeded(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const closes: number[] = [];
  let price = start;
  let regimeLeft = 0;
  let drift = 0;
  for (let i = 0; i < days * BARS_PER_DAY; i++) {
    if (regimeLeft <= 0) {
      regimeLeft = Math.round((14 + random() * 42) * BARS_PER_DAY);
      const pick = random();
      drift = (pick < 0.4 ? 0.003 : pick < 0.7 ? -0.003 : 0) / BARS_PER_DAY;
    }
    regimeLeft--;
    price *= Math.exp(drift + 0.004 * normal());
    closes.push(price);
  }
  return closes;
}

// ---------------------------------------------------------------------------------------------------------
// Candles.

const price = (value: number): Decimal => Decimal.fromNumber(value, 4);

function candle(instrumentId: InstrumentId, timeframe: Timeframe, openTime: number, open: number, high: number, low: number, close: number): TimeframeCandle {
  return { instrumentId, timeframe, openTime, durationMs: TIMEFRAME_MS[timeframe], open: price(open), high: price(high), low: price(low), close: price(close), volume: Decimal.parse('1000') };
}

/**
 * 4h candles from closes (each opens at the previous close, with wicks of `wick` beyond the body), and after
 * every sixth one the day's candle made of them — the order the fleet delivers equal close times in.
 */
export function candlesFrom(closes: readonly number[], options: { instrumentId?: InstrumentId; start?: number; wick?: number } = {}): TimeframeCandle[] {
  const instrumentId = options.instrumentId ?? QQQ;
  const start = options.start ?? T0;
  const wick = options.wick ?? 0.002;
  const out: TimeframeCandle[] = [];
  let day: TimeframeCandle[] = [];
  let open = closes[0] ?? 100;
  closes.forEach((close, index) => {
    const high = Math.max(open, close) * (1 + wick);
    const low = Math.min(open, close) * (1 - wick);
    const bar = candle(instrumentId, '4h', start + index * H4, open, high, low, close);
    out.push(bar);
    day.push(bar);
    open = close;
    if (day.length === BARS_PER_DAY) {
      const first = day[0] as TimeframeCandle;
      const highs = day.map((c) => c.high.toNumber());
      const lows = day.map((c) => c.low.toNumber());
      out.push(candle(instrumentId, '1d', first.openTime, first.open.toNumber(), Math.max(...highs), Math.min(...lows), close));
      day = [];
    }
  });
  return out;
}

export interface BarSpec {
  close: number;
  high?: number;
  low?: number;
}

/** Hand-made 4h candles without wicks unless given: each opens at the previous close. */
export function bars4h(start: number, open: number, specs: readonly BarSpec[], instrumentId: InstrumentId = QQQ): TimeframeCandle[] {
  let previous = open;
  return specs.map((spec, index) => {
    const bar = candle(instrumentId, '4h', start + index * H4, previous, spec.high ?? Math.max(previous, spec.close), spec.low ?? Math.min(previous, spec.close), spec.close);
    previous = spec.close;
    return bar;
  });
}

/** Candles of several instruments merged in delivery order (by close time, 4h before 1d at equal times). */
export function merge(...streams: TimeframeCandle[][]): TimeframeCandle[] {
  const rank = (c: TimeframeCandle): number => (c.timeframe === '4h' ? 0 : 1);
  return streams.flat().sort((a, b) => a.openTime + a.durationMs - (b.openTime + b.durationMs) || rank(a) - rank(b));
}

// ---------------------------------------------------------------------------------------------------------
// A paper account: just enough of the order manager and venue to let the strategy see the results of its actions.

export interface Step {
  candle: TimeframeCandle;
  actions: StrategyAction[];
}

export interface AccountOptions {
  equity?: string;
  drawdown?: string;
  drawdownThreshold?: string;
  tradingState?: TradingState;
}

/**
 * Fills market orders at the candle's close, fires stops when a 4h candle trades through them, moves and
 * cancels on request. The state view's `now` is the candle's close, as it is live.
 */
export class PaperAccount {
  readonly steps: Step[] = [];
  readonly stopsHit: { instrumentId: InstrumentId; at: number; price: number }[] = [];
  readonly positions = new Map<InstrumentId, PositionView>();
  orders: OrderView[] = [];
  equity: Decimal;
  drawdown: Decimal;
  drawdownThreshold: Decimal;
  tradingState: TradingState;
  pendingEntries = new Set<InstrumentId>();
  readonly #strategy: Strategy;
  #sequence = 0;

  constructor(strategy: Strategy, options: AccountOptions = {}) {
    this.#strategy = strategy;
    this.equity = Decimal.parse(options.equity ?? '100000');
    this.drawdown = Decimal.parse(options.drawdown ?? '0');
    this.drawdownThreshold = Decimal.parse(options.drawdownThreshold ?? '0.15');
    this.tradingState = options.tradingState ?? 'ACTIVE';
  }

  view(now: number): BotStateView {
    return {
      botId: BOT,
      now,
      equity: this.equity,
      tradingState: this.tradingState,
      positions: new Map(this.positions),
      openOrders: this.orders.map((order) => ({ ...order })),
      pendingEntries: new Set(this.pendingEntries),
      drawdown: this.drawdown,
      drawdownThreshold: this.drawdownThreshold,
    };
  }

  /**
   * History as the bot runtime replays it at start: today's state on every old candle. `now` lies past the
   * last candle, so the strategy treats them as history; whatever it returns is dropped, as the host does.
   */
  warmUp(candles: readonly TimeframeCandle[]): this {
    const last = candles.at(-1);
    const now = last === undefined ? T0 : last.openTime + 2 * D1;
    for (const c of candles) this.#strategy.onCandle(c, this.view(now));
    return this;
  }

  feed(candles: readonly TimeframeCandle[]): this {
    for (const c of candles) this.step(c);
    return this;
  }

  step(c: TimeframeCandle): StrategyAction[] {
    if (c.timeframe === '4h') this.#fireStops(c);
    const actions = this.#strategy.onCandle(c, this.view(c.openTime + c.durationMs));
    this.steps.push({ candle: c, actions });
    for (const action of actions) this.#apply(action, c);
    return actions;
  }

  /** Every non-note action, flattened, for counting and comparing. */
  get actions(): (StrategyAction & { at: number; instrumentId?: InstrumentId })[] {
    return this.steps.flatMap((s) => s.actions.map((a) => ({ ...a, at: s.candle.openTime + s.candle.durationMs })));
  }

  ofType<T extends StrategyAction['type']>(type: T): (Extract<StrategyAction, { type: T }> & { at: number })[] {
    return this.actions.filter((a) => a.type === type) as (Extract<StrategyAction, { type: T }> & { at: number })[];
  }

  stopOf(instrumentId: InstrumentId): OrderView | undefined {
    return this.orders.find((o) => o.instrumentId === instrumentId && o.role === 'STOP');
  }

  #id(role: 'STOP'): OrderView['clientOrderId'] {
    this.#sequence += 1;
    return makeClientOrderId(BOT, '00000000', role, this.#sequence);
  }

  #fireStops(c: TimeframeCandle): void {
    const position = this.positions.get(c.instrumentId);
    const stop = this.stopOf(c.instrumentId);
    if (position === undefined || stop?.triggerPrice == null) return;
    const long = position.quantity.isPositive();
    const hit = long ? c.low.lte(stop.triggerPrice) : c.high.gte(stop.triggerPrice);
    if (!hit) return;
    // A gap through the stop fills at the open.
    const fill = long ? Decimal.min(c.open, stop.triggerPrice) : Decimal.max(c.open, stop.triggerPrice);
    this.#close(c.instrumentId, position.quantity.abs(), fill);
    this.orders = this.orders.filter((o) => o !== stop);
    this.stopsHit.push({ instrumentId: c.instrumentId, at: c.openTime, price: fill.toNumber() });
  }

  #close(instrumentId: InstrumentId, quantity: Decimal, at: Decimal): void {
    const position = this.positions.get(instrumentId);
    if (position === undefined) return;
    const closing = Decimal.min(quantity, position.quantity.abs());
    const signed = position.quantity.isPositive() ? closing : closing.neg();
    this.equity = this.equity.add(signed.mul(at.sub(position.averageEntryPrice)));
    const left = position.quantity.sub(signed);
    if (left.isZero()) this.positions.delete(instrumentId);
    else this.positions.set(instrumentId, { ...position, quantity: left });
  }

  #apply(action: StrategyAction, c: TimeframeCandle): void {
    switch (action.type) {
      case 'ENTER': {
        if (action.size.kind !== 'QUANTITY') throw new Error('the trend follower sends quantities');
        const long = action.side === 'BUY';
        // As the order manager would, absent its caps: the drawdown scale shrinks the quantity asked for.
        const quantity = action.size.quantity.mul(action.size.scale ?? Decimal.ONE);
        this.positions.set(action.instrumentId, { instrumentId: action.instrumentId, quantity: long ? quantity : quantity.neg(), averageEntryPrice: c.close, realizedPnl: Decimal.ZERO, unrealizedPnl: Decimal.ZERO });
        this.orders.push({ clientOrderId: this.#id('STOP'), instrumentId: action.instrumentId, role: 'STOP', side: long ? 'SELL' : 'BUY', type: 'STOP_MARKET', quantity, filledQuantity: Decimal.ZERO, limitPrice: null, triggerPrice: action.stopLoss, status: 'NEW' });
        return;
      }
      case 'MOVE_STOP': {
        const index = this.orders.findIndex((o) => o.clientOrderId === action.clientOrderId);
        const order = this.orders[index];
        if (order === undefined) throw new Error(`MOVE_STOP of unknown order ${action.clientOrderId}`);
        // The order manager replaces a moved stop under a new client order ID.
        this.orders[index] = { ...order, clientOrderId: this.#id('STOP'), triggerPrice: action.triggerPrice };
        return;
      }
      case 'EXIT': {
        const position = this.positions.get(action.instrumentId);
        if (position !== undefined) this.#close(action.instrumentId, action.quantity ?? position.quantity.abs(), c.close);
        return;
      }
      case 'CANCEL':
        this.orders = this.orders.filter((o) => o.clientOrderId !== action.clientOrderId);
        return;
      case 'NOTE':
        return;
    }
  }
}

/** Actions as text, for comparing two runs. */
export function transcript(account: PaperAccount): string {
  return JSON.stringify(account.actions);
}

// ---------------------------------------------------------------------------------------------------------
// Steady markets to warm up on, then hand-made live candles.

export const SMOOTH_UP: Segment = { days: 80, dailyDrift: 0.006 };
export const SMOOTH_DOWN: Segment = { days: 80, dailyDrift: -0.006 };
export const STILL: Segment = { days: 80, dailyDrift: 0 };

export interface Warmed {
  account: PaperAccount;
  /** The last warm-up close and the daily ATR the strategy holds after warm-up. */
  close: number;
  atr: number;
  /** The highest high and lowest low of the last warm-up 4h candle. */
  high: number;
  low: number;
  /** Appends hand-made live 4h candles after the warm-up and feeds them. */
  live(specs: readonly BarSpec[]): PaperAccount;
}

/** A strategy warmed up on a steady market (history only, so no trades), ready for hand-made live candles. */
export function warmed(segment: Segment, overrides: Partial<TrendFollowingParameters> = {}, options: AccountOptions = {}): Warmed {
  const candles = candlesFrom(path([segment]));
  const account = new PaperAccount(createStrategy(overrides), options).warmUp(candles);
  const daily = new DailyTrend({ ...DEFAULTS, ...overrides });
  for (const c of candles) if (c.timeframe === '1d') daily.update({ high: c.high.toNumber(), low: c.low.toNumber(), close: c.close.toNumber() });
  const last = candles.filter((c) => c.timeframe === '4h').at(-1) as TimeframeCandle;
  let next = last.openTime + H4;
  let open = last.close.toNumber();
  return {
    account,
    close: open,
    atr: daily.reading.atr ?? Number.NaN,
    high: last.high.toNumber(),
    low: last.low.toNumber(),
    live(specs) {
      const tail = bars4h(next, open, specs);
      next += specs.length * H4;
      open = specs.at(-1)?.close ?? open;
      return account.feed(tail);
    },
  };
}
