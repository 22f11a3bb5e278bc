import { followsUsEquitySession, US_EQUITY_CALENDAR, type SessionOf } from '../../core/market-session.ts';
import { systemClock, type Clock } from '../../core/clock.ts';
import { ConfigurationError } from '../../core/errors.ts';
import type { BotId, InstrumentId, SubAccountId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Logger } from '../../core/logger.ts';
import type { Timeframe, TimeframeCandle } from '../../core/strategy.ts';
import type { Venue } from '../../core/venue.ts';
import type { Ledger } from '../../ledger/types.ts';
import { buildLiveCandleSource, buildLiveVenue, type LiveCandleSource, type LiveVenue, type VenueCredentials } from '../../venues/registry.ts';
import { venueOf, type FleetConfig } from '../config/fleet-config.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import type { CandleSource, Unsubscribe } from '../market-data/candle-source.ts';
import type { BotRiskConfig, OrderManagerConfig } from '../order-manager/config.ts';
import type { OrderManager } from '../order-manager/order-manager.ts';
import type { Secrets } from '../secrets/secrets-file.ts';
import type { FleetMarket, MarketStream } from './fleet-market.ts';
import { checkVenueInstruments } from './venue-instruments.ts';

export interface LiveMarketOptions {
  config: FleetConfig;
  omConfig: OrderManagerConfig;
  manifests: Iterable<BotManifest>;
  secrets: Secrets;
  logger: Logger;
  /** Where a bot's manifest lies, for messages. */
  manifestFile: (manifest: BotManifest) => string;
  /** The system clock unless a test injects one. */
  clock?: Clock;
}

interface LiveVenueEntry {
  name: string;
  adapter: LiveVenue;
  source: LiveCandleSource;
  instruments: readonly Instrument[];
}

/**
 * The live fleet's market: one adapter and one candle source per configured venue, built by the venue registry,
 * on the system clock. Each bot's sub-account key comes from the secrets file and goes to its venue's adapter
 * only. A bot on a venue that is not configured, or without a key, stops the fleet at start with what to do.
 */
export class LiveMarket implements FleetMarket {
  readonly mode = 'live' as const;
  /** Equities follow their venue's clock where the adapter offers one, else the bundled calendar. */
  readonly sessions: SessionOf = (instrument) => {
    if (!followsUsEquitySession(instrument)) return null;
    return this.#venues.get(venueOf(instrument.id))?.adapter.marketSession ?? US_EQUITY_CALENDAR;
  };
  readonly clock: Clock & { readonly speed: number };
  readonly source: CandleSource;
  readonly #config: FleetConfig;
  readonly #secrets: Secrets;
  readonly #logger: Logger;
  readonly #manifestFile: (manifest: BotManifest) => string;
  readonly #venues = new Map<string, LiveVenueEntry>();
  /** Each bot's venue, from its manifest. */
  readonly #botVenue = new Map<BotId, string>();

  constructor(options: LiveMarketOptions) {
    const { config, omConfig, secrets } = options;
    const inner = options.clock ?? systemClock;
    this.clock = { now: () => inner.now(), monotonicNs: () => inner.monotonicNs(), speed: 1 };
    this.#config = config;
    this.#secrets = secrets;
    this.#logger = options.logger;
    this.#manifestFile = options.manifestFile;
    const manifests = [...options.manifests];
    const problems = manifests.flatMap((manifest) => this.#botProblems(manifest));
    if (problems.length > 0) throw new ConfigurationError(problems.join('\n'));
    for (const manifest of manifests) this.#botVenue.set(manifest.id, manifest.venue);
    for (const [name, settings] of Object.entries(config.venues ?? {})) {
      const instruments = [...omConfig.instruments.values()].filter((instrument) => venueOf(instrument.id) === name);
      const credentials = new Map<SubAccountId, VenueCredentials>();
      for (const manifest of manifests) {
        if (manifest.venue !== name) continue;
        credentials.set(manifest.subAccount, this.#credentials(name, manifest.subAccount) as VenueCredentials);
      }
      const setup = { name, settings, credentials, instruments, clock: this.clock, logger: options.logger, historyCandles: config.marketData.historyCandles };
      this.#venues.set(name, { name, adapter: buildLiveVenue(setup), source: buildLiveCandleSource(setup), instruments });
    }
    this.source = new RoutedCandleSource(this.#venues);
  }

  /** The instruments live candles come for: those of the configured venues. */
  get instrumentIds(): InstrumentId[] {
    return [...this.#venues.values()].flatMap((venue) => venue.instruments.map((instrument) => instrument.id));
  }

  #credentials(venue: string, subAccountId: SubAccountId): VenueCredentials | null {
    return this.#secrets.credentials(venue).get(subAccountId) ?? null;
  }

  /** Why a bot cannot trade live: its venue is not configured, or its sub-account has no key. */
  #botProblems(manifest: BotManifest): string[] {
    const file = this.#manifestFile(manifest);
    if (this.#config.venues?.[manifest.venue] === undefined) {
      return [`${file}: venue: ${manifest.venue} is not among the configuration's venues (${Object.keys(this.#config.venues ?? {}).join(', ')}); add it under "venues" or move the bot out of bots/`];
    }
    if (this.#credentials(manifest.venue, manifest.subAccount) === null) {
      return [
        `${file}: subAccount: the secrets file ${this.#secrets.path} holds no ${manifest.venue} key for sub-account ${manifest.subAccount}; run \`supervisor accounts provision --venue ${manifest.venue}\` (or add the key under venues.${manifest.venue}.accounts.${manifest.subAccount})`,
      ];
    }
    return [];
  }

  ledgersOpened(): void {
    // Live time is the system's; capital is the venue's, recorded once the venues answer (venuesStarted).
  }

  venuesByName(wrap: (venue: Venue) => Venue): Map<string, Venue> {
    return new Map([...this.#venues].map(([name, entry]) => [name, wrap(entry.adapter)]));
  }

  onMinuteCandle(_candle: TimeframeCandle): void {
    // The venue matches its own orders; the fleet only moves its marks.
  }

  async prepare(om: OrderManager, _ledgers: ReadonlyMap<BotId, Ledger>, _config: OrderManagerConfig, streams: readonly MarketStream[]): Promise<void> {
    // The catalog is checked first: a stream of an instrument the venue does not list could not load anyway.
    for (const entry of this.#venues.values()) checkVenueInstruments(entry.name, entry.instruments, await entry.adapter.instruments());
    await this.#load(streams);
    const now = this.clock.now();
    for (const instrumentId of this.instrumentIds) {
      const last = this.source.history(instrumentId, '1m', 1, now)[0];
      if (last !== undefined) om.updateMark(instrumentId, last.close);
    }
  }

  /** Loads the history of the streams on configured venues, venue by venue. */
  async #load(streams: readonly MarketStream[]): Promise<void> {
    for (const entry of this.#venues.values()) {
      const own = streams.filter((stream) => venueOf(stream.instrumentId) === entry.name);
      if (own.length > 0) await entry.source.load(own, this.#config.marketData.historyCandles);
    }
  }

  async venuesStarted(ledgers: ReadonlyMap<BotId, Ledger>, config: OrderManagerConfig): Promise<void> {
    for (const [botId, ledger] of ledgers) {
      const risk = config.bots.get(botId);
      const entry = this.#venues.get(this.#botVenue.get(botId) ?? '');
      if (risk !== undefined && entry !== undefined) await this.#openingCapital(entry, risk.subAccountId, ledger);
    }
  }

  /**
   * A ledger that has never held capital takes its sub-account's balance as opening capital, once; later
   * differences between ledger and venue are reconciliation's findings, never booked silently.
   */
  async #openingCapital(entry: LiveVenueEntry, subAccountId: SubAccountId, ledger: Ledger): Promise<void> {
    if (!ledger.capital().isZero()) return;
    const balance = await entry.adapter.balance(subAccountId);
    if (!balance.isPositive()) {
      this.#logger.warn({ venue: entry.name, subAccountId }, 'the sub-account holds no funds; its bot can size no trade until it is funded and the fleet restarted');
      return;
    }
    ledger.recordCapital(balance, this.clock.now(), `opening balance of sub-account ${subAccountId} at ${entry.name}`);
  }

  async run(): Promise<void> {
    // Live candles are pushed by each venue's stream: there is nothing to drive.
  }

  save(): void {
    // Live time needs no saving: it is the system's.
  }

  async adoptAccount(manifest: BotManifest, risk: BotRiskConfig, ledger: Ledger): Promise<void> {
    const problems = this.#botProblems(manifest);
    if (problems.length > 0) throw new ConfigurationError(problems.join('\n'));
    const entry = this.#venues.get(manifest.venue) as LiveVenueEntry;
    this.#botVenue.set(manifest.id, manifest.venue);
    await entry.adapter.openAccount(risk.subAccountId, this.#credentials(manifest.venue, manifest.subAccount) as VenueCredentials);
    const streams: MarketStream[] = manifest.instruments.flatMap((instrumentId) => manifest.timeframes.map((timeframe) => ({ instrumentId, timeframe })));
    await this.#load(streams);
    await this.#openingCapital(entry, risk.subAccountId, ledger);
  }

  async close(): Promise<void> {
    for (const entry of this.#venues.values()) await entry.source.stop();
  }
}

/** One candle source per venue behind the hub's single one: each stream goes to its instrument's venue. */
class RoutedCandleSource implements CandleSource {
  readonly #venues: ReadonlyMap<string, LiveVenueEntry>;

  constructor(venues: ReadonlyMap<string, LiveVenueEntry>) {
    this.#venues = venues;
  }

  #source(instrumentId: InstrumentId): LiveCandleSource {
    const entry = this.#venues.get(venueOf(instrumentId));
    if (entry === undefined) throw new ConfigurationError(`${instrumentId}: its venue ${venueOf(instrumentId)} is not among the configuration's venues`);
    return entry.source;
  }

  subscribe(instrumentId: InstrumentId, timeframe: Timeframe, onCandle: (candle: TimeframeCandle) => void): Unsubscribe {
    return this.#source(instrumentId).subscribe(instrumentId, timeframe, onCandle);
  }

  history(instrumentId: InstrumentId, timeframe: Timeframe, count: number, endMs: number): TimeframeCandle[] {
    return this.#source(instrumentId).history(instrumentId, timeframe, count, endMs);
  }
}
