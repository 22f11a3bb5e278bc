import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Candle } from '../../../core/candle.ts';
import { AcceleratedClock, sleepUntil, systemClock, type Clock } from '../../../core/clock.ts';
import { Decimal } from '../../../core/decimal.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import { silentLogger, type Logger } from '../../../core/logger.ts';
import { isOpen } from '../../../core/us-equity-calendar.ts';
import { DEFAULT_INSTRUMENTS } from '../../../supervisor/config/fleet-config.ts';
import { SyntheticCandleSource } from '../../../supervisor/market-data/synthetic-source.ts';
import { syntheticInstrumentsOf } from '../../../supervisor/market-data/synthetic.ts';
import { listAssets, type CatalogEntry, type ListedAsset } from './assets.ts';
import { BarBook } from './bars.ts';
import { Exchange, type Account } from './exchange.ts';
import { FaultPlan } from './faults.ts';
import { RestServer } from './http-server.ts';
import { ROUTES } from './routes.ts';
import { Streams } from './streams.ts';

/**
 * An Alpaca stand-in on 127.0.0.1: the v2 trading REST subset, the trade_updates stream, stock bars (REST and the
 * data stream) on one port, accounts with their own key pairs on the project's paper engine, a market (synthetic
 * during the US equity session, or pushed by hand), and scriptable faults. See README.md for what is served.
 */

export type MarketChoice = { kind: 'manual' } | { kind: 'synthetic'; seed: number; historyDays: number };

export interface AlpacaStandinOptions {
  /** 0 (the default) takes any free port. */
  port?: number;
  /** Catalog entries; their .ALPACA instruments are listed. The fleet's built-in catalog unless given. */
  instruments?: readonly CatalogEntry[];
  market?: MarketChoice;
  /** Market time; real time unless given (a synthetic market runs `speed` times real time from `start`). */
  clock?: Clock;
  speed?: number;
  /** Market time at the start of a synthetic market (ms since the epoch), e.g. a session's open; now unless given. */
  start?: number;
  /** Accounts made at start, each with its own key pair and this many dollars; more with createAccount. */
  accounts?: number;
  startingCash?: Decimal;
  /** Buying power per dollar of equity (2: Reg T margin). */
  leverage?: Decimal;
  slippageBps?: Decimal;
  /** Where the accounts' keys are written (mode 0600, JSON); not written unless given. */
  keyFile?: string;
  logger?: Logger;
}

export interface AccountKeys {
  id: string;
  key: string;
  secret: string;
}

const MINUTE_MS = 60_000;

export class AlpacaStandin {
  readonly exchange: Exchange;
  readonly bars: BarBook;
  readonly faults = new FaultPlan();
  readonly clock: Clock;
  readonly adminToken = randomBytes(32).toString('hex');
  readonly #rest: RestServer;
  readonly #streams: Streams;
  readonly #assets: ListedAsset[];
  readonly #entries: readonly CatalogEntry[];
  readonly #manual: boolean;
  readonly #options: AlpacaStandinOptions;
  readonly #feed = new AbortController();
  #feedDone: Promise<void> = Promise.resolve();
  #synthetic: SyntheticCandleSource | null = null;
  #port = 0;
  #clockReads = 0;

  private constructor(options: AlpacaStandinOptions) {
    this.#options = options;
    const logger = options.logger ?? silentLogger;
    const choice = options.market ?? { kind: 'manual' };
    const speed = options.speed ?? 1;
    if (!(speed > 0 && Number.isFinite(speed))) throw new InvalidInputError(`speed must be a positive number, got ${speed}`);
    if (options.start !== undefined) {
      if (choice.kind !== 'synthetic') throw new InvalidInputError('a start time is for the synthetic market: a manual market follows the clock it is given');
      if (options.clock !== undefined) throw new InvalidInputError('a start time and a clock exclude each other: the clock says where the market starts');
      if (!Number.isSafeInteger(options.start)) throw new InvalidInputError(`start must be an integer of ms since the epoch, got ${options.start}`);
    }
    this.clock = options.clock ?? (choice.kind === 'synthetic' ? new AcceleratedClock({ startMs: options.start ?? systemClock.now(), speed }) : systemClock);
    this.#entries = (options.instruments ?? DEFAULT_INSTRUMENTS).filter((entry) => entry.id.endsWith('.ALPACA'));
    this.#assets = listAssets(this.#entries);
    if (this.#assets.length === 0) throw new InvalidInputError('the Alpaca stand-in needs at least one .ALPACA instrument');
    this.exchange = new Exchange({
      assets: this.#assets,
      clock: this.clock,
      slippage: { baseBps: options.slippageBps ?? Decimal.ZERO, jitterBps: Decimal.ZERO },
      participation: Decimal.ONE,
      seed: 7,
      leverage: options.leverage ?? Decimal.fromInteger(2),
    });
    this.bars = new BarBook(this.#assets.map((asset) => asset.symbol));
    this.#streams = new Streams(this.exchange, this.faults, logger);
    this.#manual = choice.kind === 'manual';
    for (let index = 0; index < (options.accounts ?? 0); index++) this.createAccount();
    if (choice.kind === 'synthetic') this.#startSynthetic(choice);
    // GET /v2/clock is counted, so a test that moves the clock can wait until a client has asked since.
    const routes = ROUTES.map((route) => (route.template === '/v2/clock' ? { ...route, handle: (context: Parameters<typeof route.handle>[0]) => (this.#clockReads++, route.handle(context)) } : route));
    this.#rest = new RestServer({ routes, exchange: this.exchange, bars: this.bars, faults: this.faults, clock: this.clock, logger, admin: (request, response, body) => this.#admin(request, response, body) });
    this.#streams.attach(this.#rest.server);
  }

  static async start(options: AlpacaStandinOptions = {}): Promise<AlpacaStandin> {
    const standin = new AlpacaStandin(options);
    await new Promise<void>((resolve, reject) => {
      standin.#rest.server.once('error', reject);
      standin.#rest.server.listen(options.port ?? 0, '127.0.0.1', () => {
        standin.#rest.server.off('error', reject);
        resolve();
      });
    });
    standin.#port = (standin.#rest.server.address() as AddressInfo).port;
    standin.#writeKeys();
    if (standin.#synthetic !== null) standin.#feedDone = standin.#runSynthetic(standin.#synthetic);
    return standin;
  }

  get port(): number {
    return this.#port;
  }

  /** The trading and data REST base URL; the trading stream is `${url}/stream` as ws://, the data stream `/v2/{feed}`. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.#port}`;
  }

  /** A new account with its own key pair (Alpaca has no sub-accounts: one account per bot). */
  createAccount(cash: Decimal = this.#options.startingCash ?? Decimal.fromInteger(100_000)): AccountKeys {
    const account = this.exchange.createAccount(cash);
    if (this.#port !== 0) this.#writeKeys();
    return { id: account.id, key: account.key, secret: account.secret };
  }

  /** How many GET /v2/clock requests have been answered. */
  get clockReads(): number {
    return this.#clockReads;
  }

  /**
   * The next 1m bar of a symbol (manual market): matched by the engine first, then published. It is the minute after
   * the symbol's last bar, or the minute that has just closed when the clock has moved beyond that (a new session).
   */
  pushBar(symbol: string, prices: { open: string; high: string; low: string; close: string; volume?: string }): Candle {
    const asset = this.exchange.asset(symbol);
    if (asset === undefined) throw new InvalidInputError(`the stand-in does not list ${symbol}`);
    const last = this.bars.lastMinute(symbol);
    const now = this.clock.now();
    const justClosed = Math.floor(now / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
    const openTime = last === undefined ? justClosed : Math.max(last + MINUTE_MS, justClosed);
    const candle: Candle = {
      instrumentId: asset.instrument.id,
      openTime,
      durationMs: MINUTE_MS,
      open: Decimal.parse(prices.open, 'open'),
      high: Decimal.parse(prices.high, 'high'),
      low: Decimal.parse(prices.low, 'low'),
      close: Decimal.parse(prices.close, 'close'),
      volume: Decimal.parse(prices.volume ?? '1000000', 'volume'),
    };
    this.#deliver(symbol, candle);
    return candle;
  }

  /**
   * Delivers every synthetic minute closed by the clock's now, for a test that moves the clock it gave: the feed's
   * own timer waits in real time, and would deliver them only when it next wakes.
   */
  advanceMarket(): void {
    if (this.#synthetic === null) throw new InvalidInputError('advanceMarket is for the synthetic market; push bars to a manual one');
    this.#synthetic.advanceTo(this.clock.now());
  }

  /** Terminates trade_updates sockets (one account's, or all); the clients reconnect. */
  dropTradingStreams(accountId?: string): number {
    return this.#streams.dropTrading(accountId);
  }

  accountOf(key: string): Account | undefined {
    return this.exchange.accounts().find((account) => account.key === key);
  }

  async stop(): Promise<void> {
    this.#feed.abort();
    await this.#feedDone;
    this.#streams.close();
    this.#rest.closeConnections();
    await new Promise<void>((resolve) => this.#rest.server.close(() => resolve()));
  }

  #deliver(symbol: string, candle: Candle): void {
    this.bars.check(symbol, candle);
    this.exchange.onMinute(candle);
    this.#streams.publishBar(symbol, this.bars.add(symbol, candle));
  }

  /** The synthetic market, trading only in the session: its minutes outside it are never delivered. */
  #startSynthetic(choice: { seed: number; historyDays: number }): void {
    const start = Math.floor(this.clock.now() / MINUTE_MS) * MINUTE_MS;
    const origin = start - choice.historyDays * 86_400_000;
    const source = new SyntheticCandleSource({
      seed: choice.seed,
      startMs: origin - (origin % MINUTE_MS),
      historyLimit: 10,
      // The catalog's equities as the paper fleet's market makes them: stocks, baskets and ETFs moving together.
      instruments: syntheticInstrumentsOf(this.#entries),
    });
    for (const asset of this.#assets) {
      source.subscribe(asset.instrument.id, '1m', (candle) => {
        if (isOpen(candle.openTime)) this.#deliver(asset.symbol, candle);
      });
    }
    // History: every session minute since the origin, matched by nobody (no order exists yet).
    source.advanceTo(start);
    this.#synthetic = source;
  }

  async #runSynthetic(source: SyntheticCandleSource): Promise<void> {
    const clock = this.clock as Clock & { speed?: number };
    while (!this.#feed.signal.aborted) {
      if (!(await sleepUntil(clock, source.nextCloseTime(), this.#feed.signal))) return;
      source.advanceTo(clock.now());
    }
  }

  #writeKeys(): void {
    const path = this.#options.keyFile;
    if (path === undefined) return;
    const contents = {
      url: this.url,
      wsUrl: this.wsUrl,
      adminToken: this.adminToken,
      accounts: this.exchange.accounts().map((account) => ({ id: account.id, key: account.key, secret: account.secret })),
    };
    // Written aside and renamed, so a reader never sees half of it; the owner's alone.
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  }

  #admin(request: IncomingMessage, response: ServerResponse, body: string): void {
    adminRoute(this, request, response, body, this.#manual);
  }
}

const barSchema = z.strictObject({ symbol: z.string(), open: z.string(), high: z.string(), low: z.string(), close: z.string(), volume: z.string().optional() });
const dropSchema = z.strictObject({ account: z.string().optional() });
const accountSchema = z.strictObject({ cash: z.string().optional() });

/**
 * The admin endpoint on the same port, for tests in another process: `Authorization: Bearer <adminToken>`.
 *   GET|POST|DELETE /standin/faults   list, arm (a fault spec, faults.ts) or disarm all
 *   POST /standin/bars                {symbol, open, high, low, close, volume?}: the next 1m bar (manual market only)
 *   POST /standin/accounts            {cash?}: a new account; answers {id, key, secret}
 *   POST /standin/drop-stream         {account?}: terminate trade_updates sockets
 */
function adminRoute(standin: AlpacaStandin, request: IncomingMessage, response: ServerResponse, body: string, manual: boolean): void {
  const reply = (status: number, value: unknown): void => {
    const text = JSON.stringify(value);
    response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    response.end(text);
  };
  if (request.headers.authorization !== `Bearer ${standin.adminToken}`) {
    reply(401, { error: 'the admin endpoint needs Authorization: Bearer <adminToken from the key file>' });
    return;
  }
  const json = (): unknown => (body.trim() === '' ? {} : JSON.parse(body));
  const route = `${request.method ?? 'GET'} ${(request.url ?? '').split('?')[0] ?? ''}`;
  try {
    switch (route) {
      case 'GET /standin/faults':
        return reply(200, { faults: standin.faults.list() });
      case 'POST /standin/faults':
        return reply(200, { id: standin.faults.add(json() as never).id });
      case 'DELETE /standin/faults':
        standin.faults.clear();
        return reply(200, { faults: [] });
      case 'POST /standin/bars': {
        if (!manual) return reply(409, { error: 'bars can be pushed only when the market is manual' });
        const { symbol, ...prices } = barSchema.parse(json());
        standin.pushBar(symbol, prices);
        return reply(200, {});
      }
      case 'POST /standin/accounts': {
        const { cash } = accountSchema.parse(json());
        return reply(200, standin.createAccount(cash === undefined ? undefined : Decimal.parse(cash, 'cash')));
      }
      case 'POST /standin/drop-stream':
        return reply(200, { dropped: standin.dropTradingStreams(dropSchema.parse(json()).account) });
      default:
        return reply(404, { error: `${route} is not an admin route` });
    }
  } catch (error) {
    reply(400, { error: error instanceof Error ? error.message : String(error) });
  }
}
