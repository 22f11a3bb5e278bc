import { bundledSessions, type SessionOf } from '../../core/market-session.ts';
import { randomBytes } from 'node:crypto';
import { Decimal } from '../../core/decimal.ts';
import type { BotId, InstrumentId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Logger } from '../../core/logger.ts';
import type { TimeframeCandle } from '../../core/strategy.ts';
import type { Venue } from '../../core/venue.ts';
import type { Ledger } from '../../ledger/types.ts';
import type { PaperVenue } from '../../venues/paper/paper-venue.ts';
import { buildPaperVenue, paperVenuesByName } from '../../venues/registry.ts';
import type { FleetConfig } from '../config/fleet-config.ts';
import { syntheticCatalog } from '../config/fleet-config.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import { runSyntheticFeed } from '../market-data/feed.ts';
import type { SyntheticCandleSource } from '../market-data/synthetic-source.ts';
import type { BotRiskConfig, OrderManagerConfig } from '../order-manager/config.ts';
import type { OrderManager } from '../order-manager/order-manager.ts';
import type { SupervisorStore } from '../store/supervisor-store.ts';
import type { FleetMarket } from './fleet-market.ts';
import { latestRecordedAt, saveMarketState, syntheticMarket, type MarketClock, type SyntheticMarketSetup } from './market.ts';
import { restorePaperVenue } from './paper-restore.ts';

export interface PaperMarketOptions {
  config: FleetConfig;
  home: string;
  /** The order manager's view of the catalog and the bots (their sub-accounts). */
  omConfig: OrderManagerConfig;
  manifests: Iterable<BotManifest>;
  logger: Logger;
}

/**
 * The paper fleet's market: the synthetic market at the configured speed, resumed where it stood (market.json and
 * the latest time recorded anywhere), and the in-process paper venue that matches its 1m candles, rebuilt from the
 * ledgers at every start.
 */
export class PaperMarket implements FleetMarket {
  readonly mode = 'paper' as const;
  readonly sessions: SessionOf = bundledSessions;
  readonly clock: MarketClock;
  readonly source: SyntheticCandleSource;
  readonly venue: PaperVenue;
  readonly instrumentIds: readonly InstrumentId[];
  readonly #config: FleetConfig;
  readonly #home: string;
  readonly #logger: Logger;
  readonly #setup: SyntheticMarketSetup;
  readonly #instruments: readonly Instrument[];

  constructor(options: PaperMarketOptions) {
    const { config, omConfig } = options;
    this.#config = config;
    this.#home = options.home;
    this.#logger = options.logger;
    this.#instruments = [...omConfig.instruments.values()];
    this.instrumentIds = this.#instruments.map((instrument) => instrument.id);
    const timeframes = [...new Set([...options.manifests].flatMap((manifest) => manifest.timeframes))];
    this.#setup = syntheticMarket(config, syntheticCatalog(config), options.home, timeframes);
    this.clock = this.#setup.clock;
    this.source = this.#setup.source;
    this.venue = buildPaperVenue({
      settings: config.paper,
      // Real time and random bits: a new session at every start, so IDs never repeat across restarts.
      session: `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`,
      instruments: [...omConfig.instruments.values()],
      subAccounts: [...omConfig.bots.values()].map((bot) => bot.subAccountId),
      clock: this.clock,
      logger: options.logger,
    });
  }

  ledgersOpened(store: SupervisorStore, ledgers: ReadonlyMap<BotId, Ledger>): void {
    // Market time never runs backwards: after a crash it resumes at or after the latest time anything recorded.
    this.#setup.resumeNoEarlierThan(latestRecordedAt(store, ledgers.values()));
    for (const ledger of ledgers.values()) this.#deposit(ledger);
  }

  /** A paper sub-account is funded once, when its ledger is new. */
  #deposit(ledger: Ledger): void {
    if (ledger.capital().isZero()) ledger.recordCapital(Decimal.parse(this.#config.paper.startingBalance), this.clock.now(), 'paper deposit');
  }

  venuesByName(wrap: (venue: Venue) => Venue): Map<string, Venue> {
    return paperVenuesByName(this.venue, this.#instruments, wrap);
  }

  onMinuteCandle(candle: TimeframeCandle): void {
    this.venue.pushCandle(candle);
  }

  async prepare(om: OrderManager, ledgers: ReadonlyMap<BotId, Ledger>, config: OrderManagerConfig): Promise<void> {
    const now = this.clock.now();
    // Seed last prices so market orders can fill from the first moment, then rebuild the venue from the ledgers.
    for (const instrumentId of config.instruments.keys()) {
      const last = this.source.history(instrumentId, '1m', 1, now)[0];
      if (last !== undefined) {
        this.venue.pushCandle(last);
        om.updateMark(instrumentId, last.close);
      }
    }
    restorePaperVenue(this.venue, ledgers, config, this.#logger);
  }

  async venuesStarted(): Promise<void> {
    // The paper venue is built from the catalog itself: there is nothing to compare.
  }

  run(signal: AbortSignal): Promise<void> {
    return runSyntheticFeed({ clock: this.clock, source: this.source, signal });
  }

  save(): void {
    saveMarketState(this.#home, { originMs: this.#setup.originMs, sessionOriginMs: this.#setup.sessionOriginMs, seed: this.#setup.seed, marketTimeMs: this.clock.now() });
  }

  async adoptAccount(manifest: BotManifest, risk: BotRiskConfig, ledger: Ledger, config: OrderManagerConfig): Promise<void> {
    this.#deposit(ledger);
    // A bot that left flat and came back finds its account as it left it; a new one is rebuilt from its ledger.
    if (this.venue.engine.hasAccount(risk.subAccountId)) return;
    this.venue.openAccount({ subAccountId: risk.subAccountId, balance: Decimal.parse(this.#config.paper.startingBalance), leverage: Decimal.parse(this.#config.paper.leverage) });
    restorePaperVenue(this.venue, new Map([[manifest.id, ledger]]), { ...config, bots: new Map([[manifest.id, risk]]) }, this.#logger);
  }

  async close(): Promise<void> {
    // The fleet stops the venue with the other adapters and saves the market itself.
  }
}
