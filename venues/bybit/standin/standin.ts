import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AcceleratedClock, systemClock, type Clock } from '../../../core/clock.ts';
import { Decimal } from '../../../core/decimal.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import { silentLogger, type Logger } from '../../../core/logger.ts';
import { DEFAULT_INSTRUMENTS } from '../../../supervisor/config/fleet-config.ts';
import { adminHandler } from './admin.ts';
import { Exchange, type FundingSettings } from './exchange.ts';
import { FaultPlan } from './faults.ts';
import { RestServer } from './http-server.ts';
import { listInstruments, type CatalogEntry } from './instruments.ts';
import { writeKeyFile } from './key-file.ts';
import { Market, replaySource, runPacedSource, syntheticSource, type PacedSource } from './market.ts';
import { DEFAULT_RATE_LIMITS, RateLimiter } from './rate-limits.ts';
import { accountRoutes } from './rest/account-routes.ts';
import { assetRoutes } from './rest/asset-routes.ts';
import { marketRoutes } from './rest/market-routes.ts';
import { orderRoutes } from './rest/order-routes.ts';
import { userRoutes } from './rest/user-routes.ts';
import { checkWebSocketAuth } from './signature.ts';
import { WebSocketEndpoint } from './ws/connections.ts';
import { PrivateTopics } from './ws/private-topics.ts';
import { PublicTopics } from './ws/public-topics.ts';

/**
 * A Bybit V5 stand-in on 127.0.0.1: REST and WebSocket on one port, an exchange of members, keys and paper
 * sub-accounts matched by the project's paper engine, a market (synthetic, replayed, or pushed by hand), and
 * scriptable faults. See README.md for what is served.
 */

export type MarketChoice =
  /** Candles only when pushed (tests, or POST /standin/candles). */
  | { kind: 'manual' }
  /** The paper fleet's synthetic market, with `historyDays` of history before the start. */
  | { kind: 'synthetic'; seed: number; historyDays: number }
  /** 1m kline files replayed from their first candle. */
  | { kind: 'replay'; path: string };

export interface PaperSettings {
  seed: number;
  makerFeeRate: Decimal;
  takerFeeRate: Decimal;
  slippageBaseBps: Decimal;
  slippageJitterBps: Decimal;
  participation: Decimal;
}

export interface BybitStandinOptions {
  /** 0 (the default) takes any free port. */
  port?: number;
  /** Catalog entries; their .BYBIT instruments are listed. The fleet's built-in catalog unless given. */
  instruments?: readonly CatalogEntry[];
  market?: MarketChoice;
  /** Market time. Unless given: real time for a manual market, else `speed` times real time from the market's start. */
  clock?: Clock;
  speed?: number;
  /** Market time at the start of a synthetic market (ms since the epoch); now unless given. */
  start?: number;
  /** What requests are checked against and /v5/market/time answers: the wall clock unless given. */
  wallClock?: Clock;
  paper?: Partial<PaperSettings>;
  /** Funding on open positions: 0.0001 (0.01%) every 8 hours unless given; a rate of 0 settles none. */
  funding?: Partial<FundingSettings>;
  /** Every UID's leverage; 10 unless given. */
  leverage?: Decimal;
  /** The master UID's starting USDT; 1,000,000 unless given. Sub-members start with nothing. */
  masterBalance?: Decimal;
  /** Where the master key is written (mode 0600); not written unless given. */
  keyFile?: string;
  rateLimits?: Readonly<Record<string, number>>;
  logger?: Logger;
}

export const DEFAULT_PAPER: PaperSettings = {
  seed: 7,
  makerFeeRate: Decimal.parse('0.0002'),
  takerFeeRate: Decimal.parse('0.00055'),
  slippageBaseBps: Decimal.parse('1'),
  slippageJitterBps: Decimal.parse('2'),
  participation: Decimal.parse('0.1'),
};

/** Bybit's usual USDT-perpetual funding: 0.01% every 8 hours, at 00:00, 08:00 and 16:00 UTC. */
export const DEFAULT_FUNDING: FundingSettings = { rate: Decimal.parse('0.0001'), intervalHours: 8 };

const FIRST_UID = 53_000_001;

export class BybitStandin {
  readonly exchange: Exchange;
  readonly market: Market;
  readonly faults = new FaultPlan();
  readonly clock: Clock & { readonly speed: number };
  readonly adminToken = randomBytes(32).toString('hex');
  readonly #rest: RestServer;
  readonly #endpoint: WebSocketEndpoint;
  readonly #privateTopics: PrivateTopics;
  readonly #manual: boolean;
  readonly #feed = new AbortController();
  #feedDone: Promise<void> = Promise.resolve();
  #source: PacedSource | null = null;
  #port = 0;
  /** What the market found while loading (replayed files), one line each. */
  readonly findings: string[] = [];

  private constructor(options: BybitStandinOptions) {
    const logger = options.logger ?? silentLogger;
    const wallClock = options.wallClock ?? systemClock;
    const instruments = listInstruments(options.instruments ?? DEFAULT_INSTRUMENTS);
    const choice = options.market ?? { kind: 'manual' };
    const paper = { ...DEFAULT_PAPER, ...options.paper };
    const speed = options.speed ?? 1;
    if (!(speed > 0 && Number.isFinite(speed))) throw new InvalidInputError(`speed must be a positive number, got ${speed}`);
    // A clock is needed before the market exists; a replay learns its start from its files, so its clock is built after.
    if (options.start !== undefined) {
      if (choice.kind !== 'synthetic') throw new InvalidInputError(`a start time is for the synthetic market: ${choice.kind === 'replay' ? 'a replay starts at its files\' first candle' : 'a manual market follows the clock it is given'}`);
      if (options.clock !== undefined) throw new InvalidInputError('a start time and a clock exclude each other: the clock says where the market starts');
      if (!Number.isSafeInteger(options.start)) throw new InvalidInputError(`start must be an integer of ms since the epoch, got ${options.start}`);
    }
    let clock: Clock = options.clock ?? (choice.kind === 'synthetic' ? new AcceleratedClock({ startMs: options.start ?? wallClock.now(), speed, realClock: wallClock }) : wallClock);
    const clockProxy: Clock & { readonly speed: number } = {
      now: () => clock.now(),
      monotonicNs: () => clock.monotonicNs(),
      get speed(): number {
        return (clock as Clock & { speed?: number }).speed ?? 1;
      },
    };
    this.clock = clockProxy;
    this.exchange = new Exchange({
      instruments,
      clock: clockProxy,
      paper: {
        seed: paper.seed,
        fees: { makerRate: paper.makerFeeRate, takerRate: paper.takerFeeRate },
        slippage: { baseBps: paper.slippageBaseBps, jitterBps: paper.slippageJitterBps },
        partialFills: { participation: paper.participation },
      },
      leverage: options.leverage ?? Decimal.fromInteger(10),
      masterBalance: options.masterBalance ?? Decimal.fromInteger(1_000_000),
      funding: { ...DEFAULT_FUNDING, ...options.funding },
      firstUid: FIRST_UID,
      now: wallClock.now(),
    });
    this.market = new Market(this.exchange, instruments);
    this.#manual = choice.kind === 'manual';
    if (choice.kind === 'synthetic') {
      this.#source = syntheticSource(this.market, instruments, { seed: choice.seed, startMs: clock.now(), historyDays: choice.historyDays });
    } else if (choice.kind === 'replay') {
      const replay = replaySource(this.market, instruments, choice.path);
      this.findings.push(...replay.findings);
      if (options.clock === undefined) clock = new AcceleratedClock({ startMs: replay.startMs, speed, realClock: wallClock });
      this.#source = replay.source;
    }

    const publicTopics = new PublicTopics(instruments.map((listed) => listed.symbol), () => clockProxy.now());
    this.#privateTopics = new PrivateTopics(this.faults, () => clockProxy.now(), logger);
    this.market.onKlines((updates) => publicTopics.publish(updates));
    this.exchange.onPrivateBatch((uid, batch) => this.#privateTopics.publish(uid, batch));
    const privateTopics = this.#privateTopics;
    this.#endpoint = new WebSocketEndpoint(
      {
        topicProblem: (topic, connection) => {
          if (publicTopics.serves(topic)) return publicTopics.problem(topic);
          if (privateTopics.serves(topic)) return connection.key === null ? 'Request not authorized' : null;
          return `error:handler not found,topic:${topic}`;
        },
        authenticate: (args) => checkWebSocketAuth(args, (apiKey) => this.exchange.accounts.keyOf(apiKey), wallClock.now()),
        onSubscribed: (connection, topic) => (publicTopics.serves(topic) ? publicTopics.subscribe(connection, topic) : privateTopics.subscribe(connection)),
        onUnsubscribed: (connection, topic) => {
          if (publicTopics.serves(topic)) publicTopics.unsubscribe(connection, topic);
        },
        onClosed: (connection) => {
          publicTopics.closed(connection);
          privateTopics.closed(connection);
        },
        now: () => wallClock.now(),
      },
      logger,
    );
    this.#rest = new RestServer({
      routes: { ...marketRoutes, ...orderRoutes, ...accountRoutes, ...userRoutes, ...assetRoutes },
      exchange: this.exchange,
      market: this.market,
      limiter: new RateLimiter(options.rateLimits ?? DEFAULT_RATE_LIMITS),
      faults: this.faults,
      wallClock,
      clock: clockProxy,
      logger,
      admin: adminHandler(
        this.adminToken,
        { faults: this.faults, pushCandle: this.#manual ? (symbol, prices) => this.pushCandle(symbol, prices) : null, dropPrivate: (uid) => this.dropPrivateConnections(uid) },
        logger,
      ),
    });
    this.#endpoint.attach(this.#rest.server);
  }

  /** Builds the exchange and its market, listens on 127.0.0.1, and writes the key file if one is named. */
  static async start(options: BybitStandinOptions = {}): Promise<BybitStandin> {
    const standin = new BybitStandin(options);
    await new Promise<void>((resolve, reject) => {
      standin.#rest.server.once('error', reject);
      standin.#rest.server.listen(options.port ?? 0, '127.0.0.1', () => {
        standin.#rest.server.off('error', reject);
        resolve();
      });
    });
    standin.#port = (standin.#rest.server.address() as AddressInfo).port;
    if (options.keyFile !== undefined) {
      const { masterKey } = standin.exchange.accounts;
      writeKeyFile(options.keyFile, { key: masterKey.apiKey, secret: masterKey.secret, uid: masterKey.uid, url: standin.url, wsUrl: standin.wsUrl, adminToken: standin.adminToken });
    }
    if (standin.#source !== null) {
      const logger = options.logger ?? silentLogger;
      // A market that fails stops moving; the exchange keeps answering, and the log says why.
      standin.#feedDone = runPacedSource(standin.clock, standin.#source, standin.#feed.signal).catch((error: unknown) => {
        logger.error({ error: error instanceof Error ? error.message : String(error) }, 'the market feed stopped');
      });
    }
    return standin;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Serves public and private topics alike; /v5/public/linear and /v5/private work too. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.#port}/v5/private`;
  }

  get master(): { uid: number; key: string; secret: string } {
    const { masterKey } = this.exchange.accounts;
    return { uid: masterKey.uid, key: masterKey.apiKey, secret: masterKey.secret };
  }

  /** Resolves when a replayed market has delivered its last candle, or when the stand-in stops. */
  get marketFinished(): Promise<void> {
    return this.#feedDone;
  }

  /** The next 1m candle of a symbol, for a manual market: the engine matches it, then its klines are pushed. */
  pushCandle(symbol: string, prices: { open: string; high: string; low: string; close: string; volume?: string }): void {
    if (!this.#manual) throw new InvalidInputError('candles can be pushed only when the market is manual');
    this.market.push(symbol, prices, this.clock.now());
  }

  /** Terminates private WebSocket connections (of one UID, or all), as a dropped network would. */
  dropPrivateConnections(uid?: number): number {
    return this.#privateTopics.drop(uid);
  }

  async stop(): Promise<void> {
    this.#feed.abort();
    await this.#feedDone;
    await this.#endpoint.close();
    this.#rest.closeConnections();
    await new Promise<void>((resolve) => this.#rest.server.close(() => resolve()));
  }
}
