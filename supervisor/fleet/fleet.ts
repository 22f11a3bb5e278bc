import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import type { BotId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { TimeframeCandle } from '../../core/strategy.ts';
import type { Venue } from '../../core/venue.ts';
import { openLedger } from '../../ledger/sqlite-ledger.ts';
import type { Ledger } from '../../ledger/types.ts';
import { PaperVenue } from '../../venues/paper/paper-venue.ts';
import { BotChannel } from '../channel/bot-channel.ts';
import type { FleetConfig } from '../config/fleet-config.ts';
import { catalog, loadFleetConfig, orderManagerConfigFor } from '../config/fleet-config.ts';
import type { ControlServer } from '../control/server.ts';
import { startControlServer } from '../control/server.ts';
import { ensureControlToken, removeControlEndpoint, writeControlEndpoint } from '../control/endpoint.ts';
import type { DiscoveredBot } from '../discovery/discover.ts';
import { discoverAndProbeBots } from '../discovery/discover.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import { MarketDataHub } from '../market-data/hub.ts';
import { runSyntheticFeed } from '../market-data/feed.ts';
import type { SyntheticCandleSource } from '../market-data/synthetic-source.ts';
import { measuredVenue } from '../metrics/measured-venue.ts';
import { FleetMetrics } from '../metrics/metrics.ts';
import type { MetricsServer } from '../metrics/server.ts';
import { startMetricsServer } from '../metrics/server.ts';
import type { OrderManagerConfig } from '../order-manager/config.ts';
import { OrderManager } from '../order-manager/order-manager.ts';
import { botSocketPath, botTokenPath, ledgerPath, supervisorStorePath } from '../paths.ts';
import { ensurePrivateDir, tightenHome } from '../private-files.ts';
import type { Pm2Client } from '../pm2/pm2-client.ts';
import { SupervisorStore } from '../store/supervisor-store.ts';
import { BotSessions } from './bot-sessions.ts';
import { FleetControlService } from './fleet-control-service.ts';
import { latestRecordedAt, saveMarketState, syntheticMarket } from './market.ts';
import { restorePaperVenue } from './paper-restore.ts';

export interface FleetOptions {
  home: string;
  botsRoot: string;
  configPath: string | null;
  logger: Logger;
  /** The pm2 connection that runs the bots; null when the bots are run some other way (in-process tests). */
  pm2: Pm2Client | null;
  /** Overrides the configured control and metrics ports (tests use 0). */
  ports?: { control?: number; metrics?: number };
}

/**
 * The supervisor's contents: the stores, the order manager, the paper venue, the market-data hub, the bot
 * channel, the control API and the metrics. open() is startup and crash recovery at once: everything is
 * rebuilt from the files under FLOTILLA_HOME.
 */
export class Fleet {
  readonly config: FleetConfig;
  readonly discovered: DiscoveredBot[];
  readonly manifests: Map<BotId, BotManifest>;
  /** The notes each bot's strategy module declares: the only note names and values accepted from it. */
  readonly strategyNotes: ReadonlyMap<BotId, Readonly<Record<string, readonly string[]>>>;
  readonly omConfig: OrderManagerConfig;
  readonly clock: Clock & { readonly speed: number };
  readonly store: SupervisorStore;
  readonly ledgers: Map<BotId, Ledger>;
  readonly venue: PaperVenue;
  readonly om: OrderManager;
  readonly hub: MarketDataHub;
  readonly metrics: FleetMetrics;
  readonly sessions: BotSessions;
  readonly control: FleetControlService;
  readonly startedAt = Date.now();
  readonly #options: FleetOptions;
  readonly #source: SyntheticCandleSource;
  readonly #market: { originMs: number; seed: number };
  readonly #channel: BotChannel;
  readonly #abort = new AbortController();
  #controlServer: ControlServer | null = null;
  #metricsServer: MetricsServer | null = null;
  #timers: NodeJS.Timeout[] = [];
  #feed: Promise<void> | null = null;

  private constructor(options: FleetOptions, discovered: DiscoveredBot[], config: FleetConfig, strategyNotes: Map<BotId, Readonly<Record<string, readonly string[]>>>) {
    this.#options = options;
    this.strategyNotes = strategyNotes;
    this.config = config;
    this.discovered = discovered;
    const loaded = discovered.filter((bot): bot is Extract<DiscoveredBot, { status: 'LOADED' }> => bot.status === 'LOADED');
    this.manifests = new Map(loaded.map((bot) => [bot.manifest.id, bot.manifest]));
    this.omConfig = orderManagerConfigFor(config, [...this.manifests.values()]);
    const instruments = catalog(config);
    const timeframes = [...new Set([...this.manifests.values()].flatMap((manifest) => manifest.timeframes))];
    const market = syntheticMarket(config, instruments, options.home, timeframes);
    this.clock = market.clock;
    this.#source = market.source;
    this.#market = { originMs: market.originMs, seed: market.seed };
    const logger = options.logger;

    this.store = new SupervisorStore(supervisorStorePath(options.home));
    this.ledgers = new Map();
    for (const manifest of this.manifests.values()) {
      this.ledgers.set(manifest.id, openLedger({ path: ledgerPath(options.home, manifest.id), botId: manifest.id, clock: this.clock }));
    }
    // Market time never runs backwards: after a crash it resumes at or after the latest time anything recorded.
    market.resumeNoEarlierThan(latestRecordedAt(this.store, this.ledgers.values()));
    for (const ledger of this.ledgers.values()) {
      // A paper sub-account is funded once, when its ledger is new.
      if (ledger.capital().isZero()) ledger.recordCapital(Decimal.parse(config.paper.startingBalance), this.clock.now(), 'paper deposit');
    }

    const paper = config.paper;
    this.venue = new PaperVenue(
      {
        name: 'PAPER',
        seed: paper.seed,
        // Real time and random bits: a new session at every start, so IDs never repeat across restarts.
        session: `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`,
        instruments: [...this.omConfig.instruments.values()],
        fees: { makerRate: Decimal.parse(paper.makerFeeRate), takerRate: Decimal.parse(paper.takerFeeRate) },
        slippage: { baseBps: Decimal.parse(paper.slippageBaseBps), jitterBps: Decimal.parse(paper.slippageJitterBps) },
        partialFills: { participation: Decimal.parse(paper.participation) },
        accounts: [...this.omConfig.bots.values()].map((bot) => ({ subAccountId: bot.subAccountId, balance: Decimal.parse(paper.startingBalance), leverage: Decimal.parse(paper.leverage) })),
      },
      this.clock,
      { logger },
    );
    this.metrics = new FleetMetrics({ bots: this.manifests.keys(), instruments: this.omConfig.instruments.values(), notes: strategyNotes });
    const measured: Venue = measuredVenue(this.venue, this.metrics);
    const venueNames = new Set([...this.omConfig.instruments.keys()].map((id) => id.slice(id.lastIndexOf('.') + 1)));
    this.om = new OrderManager({ config: this.omConfig, store: this.store, ledgers: this.ledgers, venues: new Map([...venueNames].map((name) => [name, measured])), clock: this.clock, logger });
    this.om.onEvent((event) => this.metrics.recordOrderManagerEvent(event));

    this.hub = new MarketDataHub({
      clock: this.clock,
      source: this.#source,
      historyCandles: config.marketData.historyCandles,
      onError: (error) => logger.error({ error: error.message }, 'market data refused or a listener failed'),
    });
    // The venue matches each candle and the marks move before any bot sees it (taps run before subscribers).
    this.hub.onEveryCandle('paper-venue', (candle) => this.#onMarketCandle(candle));
    this.hub.subscribe('paper-venue', [...this.omConfig.instruments.keys()].map((instrumentId) => ({ instrumentId, timeframe: '1m' as const })), () => {});

    const tokens = new Map<BotId, string>();
    for (const botId of this.manifests.keys()) tokens.set(botId, this.#issueToken(botId));
    this.sessions = new BotSessions({ fleet: this, heartbeat: config.heartbeat, logger });
    this.#channel = new BotChannel({ socketPath: botSocketPath(options.home), tokens, handlers: this.sessions, logger });
    this.sessions.attach(this.#channel);
    this.control = new FleetControlService(this, options.pm2);
  }

  /**
   * Discovers bots, reads configuration and rebuilds state; refuses to start on any configuration error. Bot code
   * is never loaded here: each strategy is loaded by a confined probe process, which also reports its notes.
   */
  static async open(options: FleetOptions): Promise<Fleet> {
    const config = loadFleetConfig(options.configPath);
    ensurePrivateDir(options.home);
    const { bots: discovered, notes } = await discoverAndProbeBots(options.botsRoot, { home: options.home, knownInstruments: new Set(catalog(config).map((instrument) => instrument.id)) });
    for (const bot of discovered) {
      if (bot.status !== 'LOADED') options.logger.error({ folder: bot.folder, status: bot.status, reason: bot.reason }, 'bot folder not loaded');
    }
    const fleet = new Fleet(options, discovered, config, notes);
    // Whatever an older version, or Node at startup under a wider umask, left looser than the owner's alone.
    tightenHome(options.home);
    return fleet;
  }

  get home(): string {
    return this.#options.home;
  }

  /** A bot's token outlives supervisor restarts, so running bots reconnect without being restarted themselves. */
  #issueToken(botId: BotId): string {
    const path = botTokenPath(this.#options.home, botId);
    if (existsSync(path)) {
      const existing = readFileSync(path, 'utf8').trim();
      if (/^[0-9a-f]{64}$/.test(existing) && (statSync(path).mode & 0o077) === 0) return existing;
    }
    const token = randomBytes(32).toString('hex');
    ensurePrivateDir(dirname(path));
    writeFileSync(path, token, { mode: 0o600 });
    // The mode option only applies to a new file; an old one with loose permissions is tightened.
    chmodSync(path, 0o600);
    return token;
  }

  #onMarketCandle(candle: TimeframeCandle): void {
    if (candle.timeframe !== '1m') return;
    this.venue.pushCandle(candle);
    this.om.updateMark(candle.instrumentId, candle.close);
    const lagMs = this.clock.now() - (candle.openTime + candle.durationMs);
    this.metrics.recordMarketDataLag(candle.instrumentId, candle.timeframe, Math.max(0, lagMs) / 1000 / this.clock.speed);
  }

  /** Starts serving: restores the paper venue, opens the channel and the APIs, and runs the market. */
  async start(): Promise<void> {
    const { logger } = this.#options;
    const now = this.clock.now();
    // Seed last prices so market orders can fill from the first moment, then rebuild the venue from the ledgers.
    for (const instrumentId of this.omConfig.instruments.keys()) {
      const last = this.#source.history(instrumentId, '1m', 1, now)[0];
      if (last !== undefined) {
        this.venue.pushCandle(last);
        this.om.updateMark(instrumentId, last.close);
      }
    }
    restorePaperVenue(this.venue, this.ledgers, this.omConfig, logger);
    // The venue stands as the ledgers say: finish stop moves it already answered and check every position's stop.
    await this.om.idle();
    this.om.afterVenuesRestored();
    await this.#channel.listen();
    const token = ensureControlToken(this.#options.home);
    this.#controlServer = await startControlServer({ control: this.control, token, host: this.config.control.host, port: this.#options.ports?.control ?? this.config.control.port, logger });
    writeControlEndpoint(this.#options.home, { port: this.#controlServer.port, pid: process.pid });
    this.#metricsServer = await startMetricsServer({ host: this.config.metrics.host, port: this.#options.ports?.metrics ?? this.config.metrics.port, metrics: this.metrics });
    this.#saveMarket();
    this.#feed = runSyntheticFeed({ clock: this.clock, source: this.#source, signal: this.#abort.signal });
    this.#timers.push(setInterval(() => this.sessions.checkHeartbeats(), Math.min(1_000, this.config.heartbeat.intervalMs)));
    this.#timers.push(setInterval(() => void this.#observe(), 1_000));
    // Reports trigger the protection check too; the timer catches a stop that never got its answer in time.
    this.#timers.push(setInterval(() => this.om.checkProtection(), 1_000));
    // Recovery resumes after the latest time any store recorded, so this only narrows what an idle market replays.
    this.#timers.push(setInterval(() => this.#saveMarket(), 1_000));
    await this.control.ensureBotsRunning();
    logger.info({ bots: [...this.manifests.keys()], control: this.#controlServer.port, metrics: this.#metricsServer.port, speed: this.clock.speed }, 'fleet started');
  }

  get controlPort(): number | null {
    return this.#controlServer?.port ?? null;
  }

  get metricsPort(): number | null {
    return this.#metricsServer?.port ?? null;
  }

  async #observe(): Promise<void> {
    try {
      const status = await this.control.status();
      const pnl = await this.control.pnl({});
      this.metrics.observeFleet(status, { lockedKeys: this.om.lockedKeys(), pnl });
    } catch (error) {
      this.#options.logger.warn({ error: (error as Error).message }, 'could not refresh fleet metrics');
    }
  }

  #saveMarket(): void {
    saveMarketState(this.#options.home, { ...this.#market, marketTimeMs: this.clock.now() });
  }

  async close(): Promise<void> {
    this.#abort.abort();
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#feed;
    this.#saveMarket();
    await this.#channel.close();
    await this.#controlServer?.close();
    await this.#metricsServer?.close();
    removeControlEndpoint(this.#options.home, process.pid);
    this.hub.close();
    await this.om.idle();
    this.om.close();
    for (const ledger of this.ledgers.values()) ledger.close();
    this.store.close();
  }
}
