import type { SessionOf } from '../../core/market-session.ts';
import type { Clock } from '../../core/clock.ts';
import type { BotId, InstrumentId } from '../../core/ids.ts';
import type { Timeframe, TimeframeCandle } from '../../core/strategy.ts';
import type { Venue } from '../../core/venue.ts';
import type { Ledger } from '../../ledger/types.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import type { CandleSource } from '../market-data/candle-source.ts';
import type { BotRiskConfig, OrderManagerConfig } from '../order-manager/config.ts';
import type { OrderManager } from '../order-manager/order-manager.ts';
import type { SupervisorStore } from '../store/supervisor-store.ts';

/**
 * Where the fleet's prices, time and venues come from: the paper venue on the synthetic market (PaperMarket), or
 * the configured live adapters and their candle sources on the system clock (LiveMarket). The fleet runs the same
 * order manager, ledgers, reconciliation and bots on either; only this differs.
 */
export interface FleetMarket {
  readonly mode: 'paper' | 'live';
  /** Market time: accelerated on paper, the system clock live. */
  readonly clock: Clock & { readonly speed: number };
  /** Candles for the hub. */
  readonly source: CandleSource;
  /** When each instrument trades: the bundled calendar on paper; live, a venue's own clock where it has one. */
  readonly sessions: SessionOf;
  /** The instruments this market quotes: the whole catalog on paper, those of the configured venues live. */
  readonly instrumentIds: readonly InstrumentId[];
  /**
   * After the ledgers are open, before the order manager exists: on paper the market resumes no earlier than the
   * latest time recorded anywhere and a new ledger gets its paper deposit.
   */
  ledgersOpened(store: SupervisorStore, ledgers: ReadonlyMap<BotId, Ledger>): void;
  /** The adapter of each venue name the fleet's instruments use, each wrapped once (metrics). */
  venuesByName(wrap: (venue: Venue) => Venue): Map<string, Venue>;
  /** Every closed 1m candle of every instrument, before any bot sees it. */
  onMinuteCandle(candle: TimeframeCandle): void;
  /**
   * Before the venues start and reconciliation runs: marks seeded from the last candles, the paper venue rebuilt
   * from the ledgers; live, the venues' instruments checked against the catalog and the history of `streams` loaded.
   */
  prepare(om: OrderManager, ledgers: ReadonlyMap<BotId, Ledger>, config: OrderManagerConfig, streams: readonly MarketStream[]): Promise<void>;
  /** After the venues started, before reconciliation: a live ledger with no capital yet takes its sub-account's balance. */
  venuesStarted(ledgers: ReadonlyMap<BotId, Ledger>, config: OrderManagerConfig): Promise<void>;
  /** Runs the market until the signal aborts (the synthetic feed); resolves at once where the venue pushes. */
  run(signal: AbortSignal): Promise<void>;
  /** Remembers where the market stands, so a restart resumes there (paper). */
  save(): void;
  /** A bot adopted while the fleet runs: its sub-account opened at its venue and its streams' history loaded. */
  adoptAccount(manifest: BotManifest, risk: BotRiskConfig, ledger: Ledger, config: OrderManagerConfig): Promise<void>;
  close(): Promise<void>;
}

export interface MarketStream {
  instrumentId: BotManifest['instruments'][number];
  timeframe: Timeframe;
}

/** The streams a set of bots reads, plus 1m of every instrument (the marks and, on paper, the matching). */
export function marketStreams(manifests: Iterable<BotManifest>, instruments: Iterable<MarketStream['instrumentId']>): MarketStream[] {
  const seen = new Map<string, MarketStream>();
  const add = (stream: MarketStream): void => void seen.set(`${stream.instrumentId} ${stream.timeframe}`, stream);
  for (const instrumentId of instruments) add({ instrumentId, timeframe: '1m' });
  for (const manifest of manifests) for (const instrumentId of manifest.instruments) for (const timeframe of manifest.timeframes) add({ instrumentId, timeframe });
  return [...seen.values()];
}
