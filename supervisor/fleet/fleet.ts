import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import { followsUsEquitySession } from '../../core/market-session.ts';
import { InvariantViolation } from '../../core/errors.ts';
import type { BotId, InstrumentId } from '../../core/ids.ts';
import { Decimal } from '../../core/decimal.ts';
import type { Logger } from '../../core/logger.ts';
import type { TimeframeCandle } from '../../core/strategy.ts';
import type { Venue } from '../../core/venue.ts';
import { openLedger } from '../../ledger/sqlite-ledger.ts';
import type { Ledger } from '../../ledger/types.ts';
import type { PaperVenue } from '../../venues/paper/paper-venue.ts';
import { BotChannel } from '../channel/bot-channel.ts';
import type { FleetConfig } from '../config/fleet-config.ts';
import { catalog, loadFleetConfig, orderManagerConfigFor } from '../config/fleet-config.ts';
import type { ControlServer } from '../control/server.ts';
import { startControlServer } from '../control/server.ts';
import { ensureControlToken, removeControlEndpoint, writeControlEndpoint } from '../control/endpoint.ts';
import type { DiscoveredBot } from '../discovery/discover.ts';
import { discoverAndProbeBots } from '../discovery/discover.ts';
import type { StrategyNotes } from '../discovery/probe.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import { MarketDataHub } from '../market-data/hub.ts';
import { measuredVenue } from '../metrics/measured-venue.ts';
import { FleetMetrics } from '../metrics/metrics.ts';
import type { MetricsServer } from '../metrics/server.ts';
import { startMetricsServer } from '../metrics/server.ts';
import type { BotRiskConfig, OrderManagerConfig } from '../order-manager/config.ts';
import { OrderManager } from '../order-manager/order-manager.ts';
import { botSocketPath, botTokenPath, ledgerPath, supervisorStorePath } from '../paths.ts';
import { ensurePrivateDir, tightenHome } from '../private-files.ts';
import type { Pm2Client } from '../pm2/pm2-client.ts';
import { botScope, SupervisorStore } from '../store/supervisor-store.ts';
import { BotSessions } from './bot-sessions.ts';
import { FleetControlService } from './fleet-control-service.ts';
import { marketStreams, type FleetMarket } from './fleet-market.ts';
import { LiveMarket } from './live-market.ts';
import { PaperMarket } from './paper-market.ts';
import { defaultSecretsPath, readSecrets, type Secrets } from '../secrets/secrets-file.ts';
import type { ReconcileTarget } from '../reconciliation/reconcile.ts';
import { ReconciliationService } from '../reconciliation/service.ts';
import type { LoadedBot, RunningBot } from './roster.ts';
import { folderFingerprint, planRoster, retiredBots, rootFingerprint } from './roster.ts';

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
  readonly manifests: Map<BotId, BotManifest>;
  /** The notes each bot's strategy module declares: the only note names and values accepted from it. */
  readonly strategyNotes: ReadonlyMap<BotId, Readonly<Record<string, readonly string[]>>>;
  readonly omConfig: OrderManagerConfig;
  readonly clock: Clock & { readonly speed: number };
  readonly store: SupervisorStore;
  readonly ledgers: Map<BotId, Ledger>;
  /** The paper venue and synthetic market, or the live adapters and their candle sources. */
  readonly market: FleetMarket;
  readonly om: OrderManager;
  readonly hub: MarketDataHub;
  readonly metrics: FleetMetrics;
  readonly sessions: BotSessions;
  readonly control: FleetControlService;
  readonly reconciliation: ReconciliationService;
  readonly startedAt = Date.now();
  readonly #options: FleetOptions;
  readonly #channel: BotChannel;
  readonly #abort = new AbortController();
  #controlServer: ControlServer | null = null;
  #metricsServer: MetricsServer | null = null;
  #timers: NodeJS.Timeout[] = [];
  #feed: Promise<void> | null = null;
  #discovered: DiscoveredBot[];
  /** Bots that trade, with the folder and fingerprint their process runs on. */
  readonly #running = new Map<BotId, RunningBot>();
  /** Bots whose folder is gone while they still hold something: halted, protected, kept until flat. */
  readonly #retired = new Set<BotId>();
  readonly #tokens = new Map<BotId, string>();
  #rootFingerprint = '';
  /** Venue adapters by the venue part of instrument IDs; one adapter may serve several names (paper mode). */
  readonly #venues: Map<string, Venue>;
  #rescan: Promise<void> | null = null;

  private constructor(
    options: FleetOptions,
    discovered: DiscoveredBot[],
    config: FleetConfig,
    strategyNotes: Map<BotId, Readonly<Record<string, readonly string[]>>>,
    retired: readonly BotManifest[],
    secrets: Secrets | null,
  ) {
    this.#options = options;
    this.strategyNotes = strategyNotes;
    this.config = config;
    this.#discovered = discovered;
    this.#rootFingerprint = rootFingerprint(options.botsRoot);
    const loaded = discovered.filter((bot): bot is Extract<DiscoveredBot, { status: 'LOADED' }> => bot.status === 'LOADED');
    this.manifests = new Map(loaded.map((bot) => [bot.manifest.id, bot.manifest]));
    for (const bot of loaded) this.#running.set(bot.manifest.id, { manifest: bot.manifest, folder: bot.path, fingerprint: folderFingerprint(bot.path) });
    for (const manifest of retired) {
      this.manifests.set(manifest.id, manifest);
      this.#retired.add(manifest.id);
    }
    this.omConfig = orderManagerConfigFor(config, [...this.manifests.values()]);
    const logger = options.logger;
    const manifests = this.manifests.values();
    if (secrets === null) {
      this.market = new PaperMarket({ config, home: options.home, omConfig: this.omConfig, manifests, logger });
    } else {
      const folders = new Map(loaded.map((bot) => [bot.manifest.id, bot.path]));
      const manifestFile = (manifest: BotManifest): string => {
        const folder = folders.get(manifest.id);
        return folder === undefined ? `the manifest of retired bot ${manifest.id} (kept in the store)` : relative(process.cwd(), join(folder, 'manifest.json'));
      };
      this.market = new LiveMarket({ config, omConfig: this.omConfig, manifests, secrets, logger, manifestFile });
    }
    this.clock = this.market.clock;

    this.store = new SupervisorStore(supervisorStorePath(options.home));
    this.ledgers = new Map();
    for (const manifest of this.manifests.values()) {
      this.ledgers.set(manifest.id, openLedger({ path: ledgerPath(options.home, manifest.id), botId: manifest.id, clock: this.clock }));
    }
    this.market.ledgersOpened(this.store, this.ledgers);

    this.metrics = new FleetMetrics({ bots: this.manifests.values(), instruments: this.omConfig.instruments.values(), notes: strategyNotes });
    this.#venues = this.market.venuesByName((venue) => measuredVenue(venue, this.metrics));
    this.om = new OrderManager({ config: this.omConfig, store: this.store, ledgers: this.ledgers, venues: this.#venues, clock: this.clock, logger, requireReconciliation: true, sessions: this.market.sessions });
    this.om.onEvent((event) => this.metrics.recordOrderManagerEvent(event));
    this.reconciliation = new ReconciliationService({
      om: this.om,
      targets: () => this.#reconcileTargets(),
      clock: this.clock,
      logger,
      receiveWindowMs: config.reconciliation.receiveWindowMs,
      unansweredOrderMs: this.omConfig.unansweredOrderMs,
      onMismatch: config.reconciliation.onMismatch,
      wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      observed: (botId, status) => {
        if (status.state === 'RECONCILED') this.metrics.recordReconciliation(botId, status.findings?.positionMismatches.length ?? 0);
      },
    });
    for (const venue of new Set(this.#venues.values())) {
      venue.onConnectionEvent((event) => {
        // One adapter may serve several venue names (paper mode): each name's stream is that adapter's.
        if (event.subAccountId === null) for (const [name, served] of this.#venues) if (served === venue) this.metrics.recordVenueConnection(name, event.type !== 'DISCONNECTED');
        this.reconciliation.onConnectionEvent(venue, event);
      });
    }

    this.hub = new MarketDataHub({
      clock: this.clock,
      source: this.market.source,
      historyCandles: config.marketData.historyCandles,
      onError: (error) => logger.error({ error: error.message }, 'market data refused or a listener failed'),
      followsSession: (instrumentId) => {
        const instrument = this.omConfig.instruments.get(instrumentId);
        return instrument !== undefined && followsUsEquitySession(instrument);
      },
    });
    // The venue matches each candle and the marks move before any bot sees it (taps run before subscribers).
    this.hub.onEveryCandle('paper-venue', (candle) => this.#onMarketCandle(candle));

    for (const botId of this.#running.keys()) this.#tokens.set(botId, this.#issueToken(botId));
    for (const bot of this.#running.values()) this.store.rememberBot(bot.manifest.id, JSON.stringify(bot.manifest), this.clock.now());
    this.sessions = new BotSessions({ fleet: this, heartbeat: config.heartbeat, logger });
    // The channel reads this map at every hello, so bots adopted later are let in and bots that left are not.
    this.#channel = new BotChannel({ socketPath: botSocketPath(options.home), tokens: this.#tokens, handlers: this.sessions, logger });
    this.sessions.attach(this.#channel);
    this.control = new FleetControlService(this, options.pm2);
  }

  /**
   * Discovers bots, reads configuration and rebuilds state; refuses to start on any configuration error. Bot code
   * is never loaded here: each strategy is loaded by a confined probe process, which also reports its notes.
   */
  static async open(options: FleetOptions): Promise<Fleet> {
    const config = loadFleetConfig(options.configPath);
    // Live keys are read before anything else is touched: a missing or loose secrets file stops the start here.
    const secrets = config.mode === 'live' ? readSecrets(secretsPathOf(config, options.configPath)) : null;
    ensurePrivateDir(options.home);
    const { bots: discovered, notes } = await discoverAndProbeBots(options.botsRoot, { home: options.home, knownInstruments: new Set(catalog(config).map((instrument) => instrument.id)) });
    for (const bot of discovered) {
      if (bot.status !== 'LOADED') options.logger.error({ folder: bot.folder, status: bot.status, reason: bot.reason }, 'bot folder not loaded');
    }
    const retired = retiredBots(options.home, discovered, options.logger);
    const fleet = new Fleet(options, discovered, config, notes, retired, secrets);
    // Whatever an older version, or Node at startup under a wider umask, left looser than the owner's alone.
    tightenHome(options.home);
    return fleet;
  }

  /** The paper venue; only the paper fleet has one (tests and benchmarks look into it). */
  get venue(): PaperVenue {
    if (!(this.market instanceof PaperMarket)) throw new InvariantViolation('the fleet trades live: there is no paper venue');
    return this.market.venue;
  }

  get home(): string {
    return this.#options.home;
  }

  /** The bot folders as last discovered, loaded or not. */
  get discovered(): readonly DiscoveredBot[] {
    return this.#discovered;
  }

  /** Whether an instrument's session is open now, as the order manager judges it; null when it trades around the clock. */
  sessionOpen(instrumentId: InstrumentId): boolean | null {
    const instrument = this.omConfig.instruments.get(instrumentId);
    const session = instrument === undefined ? null : this.market.sessions(instrument);
    return session === null ? null : session.isOpen(this.clock.now());
  }

  /** Whether a bot's folder is gone while it still holds positions or orders (it is halted until flat). */
  isRetired(botId: BotId): boolean {
    return this.#retired.has(botId);
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
    this.market.onMinuteCandle(candle);
    this.om.updateMark(candle.instrumentId, candle.close);
    const lagMs = this.clock.now() - (candle.openTime + candle.durationMs);
    this.metrics.recordMarketDataLag(candle.instrumentId, candle.timeframe, Math.max(0, lagMs) / 1000 / this.clock.speed);
  }

  /**
   * Starts serving: prepares the market (the paper venue rebuilt from the ledgers, or live history loaded), starts
   * the venues, reconciles every sub-account, then opens the channel and the APIs and runs the market.
   */
  async start(): Promise<void> {
    const { logger } = this.#options;
    await this.market.prepare(this.om, this.ledgers, this.omConfig, marketStreams(this.manifests.values(), this.market.instrumentIds));
    // Every 1m candle of every instrument the market quotes moves the marks and, on paper, is matched.
    this.hub.subscribe('paper-venue', this.market.instrumentIds.map((instrumentId) => ({ instrumentId, timeframe: '1m' as const })), () => {});
    for (const venue of new Set(this.#venues.values())) await venue.start();
    await this.market.venuesStarted(this.ledgers, this.omConfig);
    // Nothing trades before its sub-account agrees with its venue; then stop moves the venue already answered are
    // finished and every position's stop is checked.
    await this.om.idle();
    await this.reconciliation.reconcileAll();
    this.om.afterVenuesRestored();
    for (const botId of this.#retired) this.#haltRetired(botId);
    await this.#channel.listen();
    const token = ensureControlToken(this.#options.home);
    this.#controlServer = await startControlServer({ control: this.control, token, host: this.config.control.host, port: this.#options.ports?.control ?? this.config.control.port, logger });
    writeControlEndpoint(this.#options.home, { port: this.#controlServer.port, pid: process.pid });
    this.#metricsServer = await startMetricsServer({ host: this.config.metrics.host, port: this.#options.ports?.metrics ?? this.config.metrics.port, metrics: this.metrics });
    this.market.save();
    this.#feed = this.market.run(this.#abort.signal);
    this.#timers.push(setInterval(() => this.sessions.checkHeartbeats(), Math.min(1_000, this.config.heartbeat.intervalMs)));
    this.#timers.push(setInterval(() => void this.#observe(), 1_000));
    // Reports trigger the protection check too; the timer catches a stop that never got its answer in time.
    this.#timers.push(setInterval(() => this.om.checkProtection(), 1_000));
    this.#timers.push(setInterval(() => void this.reconciliation.tick(), 1_000));
    // Recovery resumes after the latest time any store recorded, so this only narrows what an idle market replays.
    this.#timers.push(setInterval(() => this.market.save(), 1_000));
    await this.control.ensureBotsRunning();
    // Bot folders that appear, change or go are adopted here, without a restart (no reconnects, no lost counters).
    this.#timers.push(setInterval(() => void this.rescan(), this.config.discovery.rescanMs));
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
      const openOrders = await this.control.orders({ openOnly: true, limit: 10_000 });
      this.metrics.observeFleet(status, { lockedKeys: this.om.lockedKeys(), pnl, openOrders });
      // Sampled here, every second of real time, for the per-hour peak in `supervisor status <bot>`.
      for (const bot of status.bots) this.store.hourly.recordRiskInUse(bot.botId as BotId, status.supervisor.marketTime, Decimal.parse(bot.riskInUse.fraction));
    } catch (error) {
      this.#options.logger.warn({ error: (error as Error).message }, 'could not refresh fleet metrics');
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // The roster: bot folders adopted while the supervisor runs

  /**
   * Looks at the bots folder again and adopts what changed: a new folder's bot starts trading, a changed folder's
   * bot takes its new risk settings and its process restarts on its new code, and a bot whose folder is gone stops
   * (retired, halted and protected while it still holds something). Resolves when it is done; never overlaps itself.
   */
  rescan(): Promise<void> {
    if (this.#rescan !== null) return this.#rescan;
    this.#rescan = this.#rescanOnce()
      .catch((error: unknown) => this.#options.logger.error({ error: (error as Error).message }, 'rescan of the bots folder failed; the fleet runs on as it was'))
      .finally(() => {
        this.#rescan = null;
      });
    return this.#rescan;
  }

  async #rescanOnce(): Promise<void> {
    for (const botId of [...this.#retired]) if (this.#isFlat(botId)) await this.#forget(botId, 'flat since its folder went');
    const fingerprint = rootFingerprint(this.#options.botsRoot);
    if (fingerprint === this.#rootFingerprint) return;
    const { bots, notes } = await discoverAndProbeBots(this.#options.botsRoot, { home: this.#options.home, knownInstruments: new Set(this.omConfig.instruments.keys()) });
    for (const bot of bots) {
      if (bot.status !== 'LOADED') this.#options.logger.error({ folder: bot.folder, status: bot.status, reason: bot.reason }, 'bot folder not loaded');
    }
    this.#discovered = bots;
    this.#rootFingerprint = fingerprint;
    const plan = planRoster(this.#running, bots, folderFingerprint);
    for (const botId of plan.gone) await this.#gone(botId);
    for (const bot of plan.change) await this.#change(bot, notes.get(bot.manifest.id) ?? {});
    for (const bot of plan.adopt) await this.#adopt(bot, notes.get(bot.manifest.id) ?? {});
  }

  #riskOf(manifest: BotManifest): BotRiskConfig {
    const bot = orderManagerConfigFor(this.config, [manifest]).bots.get(manifest.id);
    if (bot === undefined) throw new InvariantViolation(`no risk configuration for bot ${manifest.id}`);
    return bot;
  }

  async #adopt(bot: LoadedBot, notes: StrategyNotes): Promise<void> {
    const { manifest } = bot;
    const botId = manifest.id;
    if (this.#retired.has(botId)) {
      // Its folder is back: it is an ordinary bot again, and a halt that only its absence made is lifted.
      this.#retired.delete(botId);
      if (this.om.scopeState(botScope(botId)).reason === 'BOT_RETIRED') this.om.resume(botScope(botId), 'its folder is back');
      await this.#change(bot, notes);
      return;
    }
    const clash = [...this.omConfig.bots.values()].find((other) => other.subAccountId === manifest.subAccount);
    if (clash !== undefined) {
      this.#options.logger.error({ folder: bot.folder, subAccount: manifest.subAccount, holder: clash.id }, 'bot folder not adopted: its sub-account is still held by a retired bot');
      return;
    }
    const risk = this.#riskOf(manifest);
    const ledger = openLedger({ path: ledgerPath(this.#options.home, botId), botId, clock: this.clock });
    try {
      await this.market.adoptAccount(manifest, risk, ledger, this.omConfig);
    } catch (error) {
      ledger.close();
      this.#options.logger.error({ folder: bot.folder, error: (error as Error).message }, 'bot folder not adopted: its sub-account cannot be opened at its venue');
      return;
    }
    this.manifests.set(botId, manifest);
    this.om.addBot(risk, ledger);
    await this.reconciliation.reconcileBot(botId);
    (this.strategyNotes as Map<BotId, StrategyNotes>).set(botId, notes);
    this.metrics.addBot(manifest, notes);
    this.#tokens.set(botId, this.#issueToken(botId));
    this.sessions.track(botId);
    this.#running.set(botId, { manifest, folder: bot.path, fingerprint: folderFingerprint(bot.path) });
    this.store.rememberBot(botId, JSON.stringify(manifest), this.clock.now());
    await this.om.idle();
    this.om.afterVenuesRestored();
    await this.control.ensureBotsRunning();
    this.#options.logger.info({ botId, folder: bot.folder }, 'bot adopted');
  }

  async #change(bot: LoadedBot, notes: StrategyNotes): Promise<void> {
    const { manifest } = bot;
    const botId = manifest.id;
    const current = this.omConfig.bots.get(botId);
    if (current !== undefined && current.subAccountId !== manifest.subAccount) {
      this.#options.logger.error({ botId, from: current.subAccountId, to: manifest.subAccount }, 'bot folder change not adopted: a bot cannot move to another sub-account while it runs; stop the fleet to move it');
      return;
    }
    this.om.updateBot(this.#riskOf(manifest));
    this.manifests.set(botId, manifest);
    (this.strategyNotes as Map<BotId, StrategyNotes>).set(botId, notes);
    this.metrics.setNotes(botId, notes);
    this.#tokens.set(botId, this.#issueToken(botId));
    this.sessions.track(botId);
    this.#running.set(botId, { manifest, folder: bot.path, fingerprint: folderFingerprint(bot.path) });
    this.store.rememberBot(botId, JSON.stringify(manifest), this.clock.now());
    await this.control.replaceBotApp(botId);
    this.#options.logger.info({ botId, folder: bot.folder }, 'bot folder changed; its settings are taken and its process restarted');
  }

  async #gone(botId: BotId): Promise<void> {
    this.#running.delete(botId);
    await this.control.removeBotApp(botId);
    if (this.#isFlat(botId)) {
      await this.#forget(botId, 'its folder is gone');
      return;
    }
    this.#retired.add(botId);
    this.#haltRetired(botId);
  }

  #isFlat(botId: BotId): boolean {
    const ledger = this.ledgers.get(botId);
    return ledger === undefined || (ledger.openPositions().length === 0 && ledger.openOrders().length === 0);
  }

  /** A bot whose folder went while it held something: nothing new, its stops kept, the operator told why. */
  #haltRetired(botId: BotId): void {
    if (this.om.scopeState(botScope(botId)).state === 'HALTED') return;
    this.om.halt(botScope(botId), 'HALTED', 'BOT_RETIRED', 'its folder is gone while it holds positions or orders; its stops stay and are protected until it is flat (kill --bot with --flatten closes it)');
  }

  async #forget(botId: BotId, why: string): Promise<void> {
    await this.om.idle();
    this.om.removeBot(botId);
    this.ledgers.get(botId)?.close();
    this.ledgers.delete(botId);
    this.manifests.delete(botId);
    (this.strategyNotes as Map<BotId, StrategyNotes>).delete(botId);
    this.#tokens.delete(botId);
    this.#retired.delete(botId);
    this.sessions.forget(botId);
    this.reconciliation.forget(botId);
    this.store.forgetBot(botId);
    this.#options.logger.info({ botId, why }, 'bot left the fleet');
  }

  /** Each bot with its sub-account, its ledger and the venue of its manifest. */
  *#reconcileTargets(): Iterable<ReconcileTarget> {
    for (const [botId, risk] of this.omConfig.bots) {
      const ledger = this.ledgers.get(botId);
      const venue = this.#venues.get(this.manifests.get(botId)?.venue ?? '');
      if (ledger !== undefined && venue !== undefined) yield { botId, subAccountId: risk.subAccountId, venue, ledger };
    }
  }

  async close(): Promise<void> {
    this.#abort.abort();
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#feed;
    this.market.save();
    await this.#channel.close();
    await this.#controlServer?.close();
    await this.#metricsServer?.close();
    removeControlEndpoint(this.#options.home, process.pid);
    this.hub.close();
    await this.om.idle();
    this.om.close();
    for (const venue of new Set(this.#venues.values())) await venue.stop();
    await this.market.close();
    for (const ledger of this.ledgers.values()) ledger.close();
    this.store.close();
  }
}

/** The secrets file of a live configuration: secretsFile, relative to the configuration's folder, or the default. */
function secretsPathOf(config: FleetConfig, configPath: string | null): string {
  if (config.secretsFile === undefined) return defaultSecretsPath();
  return resolve(configPath === null ? process.cwd() : dirname(configPath), config.secretsFile);
}
