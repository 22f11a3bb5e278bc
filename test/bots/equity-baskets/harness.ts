import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Candle } from '../../../core/candle.ts';
import { ManualClock } from '../../../core/clock.ts';
import { Decimal, dec } from '../../../core/decimal.ts';
import type { Decision } from '../../../core/decision.ts';
import type { BotCodeError } from '../../../core/errors.ts';
import type { BotId, InstrumentId } from '../../../core/ids.ts';
import { instrumentSymbol, parseBotId, parseInstrumentId } from '../../../core/ids.ts';
import type { BotCommand } from '../../../core/intent.ts';
import type { StrategyModule, TimeframeCandle } from '../../../core/strategy.ts';
import { StrategyHost } from '../../../runtime/strategy-host.ts';
import { StateViews } from '../../../supervisor/backtest/state-view.ts';
import { DEFAULT_EXPOSURE_KEYS, DEFAULT_INSTRUMENTS } from '../../../supervisor/config/fleet-config.ts';
import { parseManifest } from '../../../supervisor/discovery/manifest.ts';
import type { ManifestRisk } from '../../../supervisor/discovery/manifest.ts';
import type { OrderManagerConfigInput } from '../../../supervisor/order-manager/config.ts';
import type { OrderRecord } from '../../../ledger/types.ts';
import strategyModule from '../../../bots/equity-baskets/strategy.ts';
import type { BasketParameters } from '../../../bots/equity-baskets/parameters.ts';
import { Scorer, signalOf } from '../../../bots/equity-baskets/scoring.ts';
import type { Harness as OmHarness } from '../../supervisor/order-manager/fixture.ts';
import { makeHarness } from '../../supervisor/order-manager/fixture.ts';

export const BOT_FOLDER = join(import.meta.dirname, '..', '..', '..', 'bots', 'equity-baskets');
export const MANIFEST_JSON: Record<string, unknown> & { risk: Record<string, unknown>; parameters: Record<string, unknown> } = JSON.parse(readFileSync(join(BOT_FOLDER, 'manifest.json'), 'utf8'));
export const MANIFEST = parseManifest(MANIFEST_JSON);
export const DEFAULTS: BasketParameters = strategyModule.parameters.parse(MANIFEST_JSON.parameters);
export const BOT: BotId = MANIFEST.id;
/** Another bot of the fleet, on its own sub-account, trading whatever a scenario needs it to. */
export const OTHER: BotId = parseBotId('other');

const id = (symbol: string): InstrumentId => parseInstrumentId(`${symbol}.ALPACA`);
export const AAPL = id('AAPL');
export const MSFT = id('MSFT');
export const AMZN = id('AMZN');
export const META = id('META');
export const GOOGL = id('GOOGL');
export const TSLA = id('TSLA');
export const NVDA = id('NVDA');
export const AMD = id('AMD');
export const AVGO = id('AVGO');
export const SQQQ = id('SQQQ');
export const SOXS = id('SOXS');
export const QQQ = id('QQQ');
export const MEGATECH = [AAPL, MSFT, AMZN, META, GOOGL, TSLA];

/** Monday 2 November 2026, 14:30 UTC: 09:30 in New York, the session's open. */
export const SESSION_OPEN = Date.UTC(2026, 10, 2, 14, 30);
const MINUTE = 60_000;
export const WARM_UP_MINUTES = 40;

/** The catalog's Alpaca instruments (stocks, index and inverse ETFs) with their real exposure keys and betas. */
const EQUITIES = DEFAULT_INSTRUMENTS.filter((instrument) => instrument.id.endsWith('.ALPACA'));

export interface ScenarioOptions {
  /** When the warm-up starts (default the open); the scenario's first minute follows WARM_UP_MINUTES later. */
  start?: number;
  parameters?: Partial<BasketParameters>;
  risk?: Partial<ManifestRisk>;
  /** Exposure of an instrument other than the catalog's, e.g. AAPL on NDX with beta 1.2. */
  exposure?: Record<string, { key: string; beta: string }>;
  /** What the supervisor says of the venue's session with each live candle; unsaid unless given, as in a backtest. */
  sessionOpen?: boolean;
}

export interface NoteRecord {
  minute: number;
  name: string;
  value: string;
  instrumentId: InstrumentId | null;
}

/** Price moves for one minute, as fractions per symbol (−0.01: down 1%); unnamed instruments only wiggle. */
export type Moves = Partial<Record<string, number>>;

/**
 * The bot's real strategy module in the real StrategyHost, on the real order manager with a paper venue and SQLite
 * ledgers (test/supervisor/order-manager/fixture.ts), fed 1-minute candles built from per-minute moves. Every command
 * the strategy returns goes to the order manager as the bot's runtime sends it, and every entry it denies goes back
 * to the strategy as the runtime tells it (onEntryDenied).
 */
export class Scenario {
  readonly om: OmHarness;
  readonly notes: NoteRecord[] = [];
  readonly decisions: Decision[] = [];
  readonly commands: BotCommand[] = [];
  readonly errors: BotCodeError[] = [];
  /** Every signal the bot's scoring gives a stock, as the bot computes it (its own Scorer on the same candles). */
  readonly signals: Array<{ minute: number; instrumentId: InstrumentId; sign: -1 | 1; deliveredAt: number }> = [];
  readonly #host: StrategyHost;
  readonly #views: StateViews;
  readonly #levels = new Map<InstrumentId, number>();
  readonly #shadow = new Map<InstrumentId, Scorer>();
  readonly #parameters: BasketParameters;
  readonly #sessionOpen: boolean | undefined;
  #minute: number;
  #step = 0;

  constructor(options: ScenarioOptions = {}) {
    const start = options.start ?? SESSION_OPEN;
    this.#sessionOpen = options.sessionOpen;
    this.#parameters = strategyModule.parameters.parse({ ...MANIFEST_JSON.parameters, ...options.parameters });
    const risk = { ...MANIFEST.risk, ...options.risk };
    const used = new Set<string>();
    const instruments = EQUITIES.map(({ startPrice: _price, turnoverPerMinute: _turnover, factors: _factors, ...instrument }) => {
      const exposure = options.exposure?.[instrument.id] ?? instrument.exposure;
      used.add(exposure.key);
      return { ...instrument, exposure };
    });
    const input: OrderManagerConfigInput = {
      instruments,
      exposureKeys: Object.fromEntries(Object.entries(DEFAULT_EXPOSURE_KEYS).filter(([key]) => used.has(key))),
      bots: [
        { id: BOT, subAccountId: MANIFEST.subAccount, instruments: MANIFEST.instruments, ...risk },
        { id: OTHER, subAccountId: 'other', maxNotionalPerOrder: '100000', orderRateLimit: { maxRequests: 50, windowMs: 1000 }, drawdown: { threshold: '0.5', windowMs: 86_400_000, action: 'HALTED' } },
      ],
      fleetDrawdown: { threshold: '0.5', windowMs: 86_400_000, action: 'HALTED' },
    };
    this.om = makeHarness(input, { clock: new ManualClock(start) });
    this.#minute = start;
    for (const instrument of EQUITIES) this.#levels.set(parseInstrumentId(instrument.id), Number(instrument.startPrice));
    const ledger = this.om.ledgers.get(BOT);
    if (ledger === undefined) throw new Error('no ledger for the bot');
    this.#views = new StateViews(BOT, this.om.om, ledger);
    this.#host = new StrategyHost({
      botId: BOT,
      module: strategyModule as StrategyModule,
      parameters: this.#parameters,
      instruments: MANIFEST.instruments,
      timeframes: MANIFEST.timeframes,
      onBotCodeError: (error) => this.errors.push(error),
      onNote: (note) => this.notes.push({ minute: this.#step, name: note.name, value: note.value, instrumentId: note.instrumentId }),
    });
    for (let i = 0; i < WARM_UP_MINUTES; i++) this.minute({}, { warmingUp: true });
    this.#step = 0;
  }

  /** The scenario's minutes so far (warm-up not counted). */
  get step(): number {
    return this.#step;
  }

  /**
   * One minute: every instrument's candle, moved by `moves` (each also wiggles ±0.02% around its level, so ATR and RSI
   * stay alive), is pushed to the venue and the marks, and the bot's then delivered to it one by one, 1 ms apart, in
   * the manifest's order (stocks, then the ETFs).
   */
  minute(moves: Moves, options: { warmingUp?: boolean; volume?: Partial<Record<string, number>> } = {}): void {
    this.minutes([moves], options);
  }

  /**
   * Several minutes whose candles all reach the bot in one burst (a backlog after a reconnect), within one second of
   * market time after the last minute's close.
   */
  minutes(batch: readonly Moves[], options: { warmingUp?: boolean; volume?: Partial<Record<string, number>> } = {}): void {
    const candles: TimeframeCandle[][] = [];
    for (const moves of batch) {
      const openTime = this.#minute;
      this.#minute += MINUTE;
      const wiggle = this.#step % 2 === 0 ? 1.0002 : 0.9998;
      const minute: TimeframeCandle[] = [];
      for (const [instrumentId, level] of this.#levels) {
        const symbol = instrumentSymbol(instrumentId);
        const next = level * (1 + (moves[symbol] ?? 0));
        this.#levels.set(instrumentId, next);
        const open = level * (this.#step % 2 === 0 ? 0.9998 : 1.0002);
        const close = next * wiggle;
        const candle: TimeframeCandle = {
          instrumentId,
          timeframe: '1m',
          openTime,
          durationMs: MINUTE,
          open: priceOf(open),
          high: priceOf(Math.max(open, close) * 1.0005),
          low: priceOf(Math.min(open, close) * 0.9995),
          close: priceOf(close),
          volume: Decimal.fromInteger(options.volume?.[symbol] ?? 10_000),
        };
        minute.push(candle);
      }
      candles.push(minute);
      this.#step++;
    }
    this.om.clock.set(this.#minute);
    let step = this.#step - batch.length;
    for (const minute of candles) {
      step++;
      // The venue and the marks move minute by minute, as the bot hears of each: a backlog is old candles, not a jump.
      for (const candle of minute) {
        this.om.venue.pushCandle(candle as Candle);
        this.om.om.updateMark(candle.instrumentId, candle.close);
      }
      for (const instrumentId of MANIFEST.instruments) {
        const candle = minute.find((each) => each.instrumentId === instrumentId);
        if (candle === undefined) continue;
        this.om.clock.advance(1);
        this.#deliver(candle, step, options.warmingUp === true);
      }
    }
  }

  #deliver(candle: TimeframeCandle, step: number, warmingUp: boolean): void {
    const shadow = this.#shadow.get(candle.instrumentId) ?? new Scorer(this.#parameters, this.#parameters.trendMinutes);
    this.#shadow.set(candle.instrumentId, shadow);
    const sign = signalOf(shadow.update(candle.openTime, candle.high.toNumber(), candle.low.toNumber(), candle.close.toNumber(), candle.volume.toNumber()), this.#parameters.signalThreshold);
    if (!warmingUp && sign !== 0) this.signals.push({ minute: step, instrumentId: candle.instrumentId, sign, deliveredAt: this.om.clock.now() });
    this.#views.positionsChanged();
    this.#views.stateChanged();
    const view = { ...this.#views.view(this.om.clock.now()), ...(this.#sessionOpen === undefined || warmingUp ? {} : { sessionOpen: this.#sessionOpen }) };
    if (warmingUp) {
      this.#host.warmUp([candle], view);
      return;
    }
    for (const command of this.#host.onCandle(candle, view)) {
      this.commands.push(command);
      const result = this.om.om.execute(command);
      if ('intentId' in result) {
        this.decisions.push(result);
        if (command.type === 'SUBMIT_ORDER' && !command.intent.reduceOnly && result.outcome === 'DENIED' && result.reason !== null) {
          this.#host.entryDenied({ instrumentId: result.instrumentId, reason: result.reason, decidedAt: result.decidedAt });
        }
      }
    }
  }

  /** The entry orders the bot's ledger holds on an instrument, in order. */
  entries(instrumentId: InstrumentId, botId: BotId = BOT): OrderRecord[] {
    return this.om.ledgers.get(botId)!.recentOrders(10_000).filter((order) => order.role === 'ENTRY' && order.instrumentId === instrumentId).reverse();
  }

  /** Every entry order the bot has made, on any instrument. */
  allEntries(): OrderRecord[] {
    return this.om.ledgers.get(BOT)!.recentOrders(10_000).filter((order) => order.role === 'ENTRY').reverse();
  }

  notesNamed(name: string, instrumentId?: InstrumentId): NoteRecord[] {
    return this.notes.filter((note) => note.name === name && (instrumentId === undefined || note.instrumentId === instrumentId));
  }

  /** The bot's equity now, as the order manager counts it. */
  equity(): Decimal {
    return this.om.om.equity(BOT);
  }

  close(): void {
    this.om.close();
  }
}

function priceOf(value: number): Decimal {
  return dec(value.toFixed(4));
}

/** Four of MEGATECH's six falling by `fall` a minute, the other two flat, SQQQ rising by `sqqq`. */
export function megatechFalls(fall = -0.004, sqqq = 0.003): Moves {
  return { AAPL: fall, MSFT: fall, AMZN: fall, META: fall, SQQQ: sqqq };
}
