import type { MarketSession } from '../core/market-session.ts';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { Decimal } from '../core/decimal.ts';
import type { InstrumentId, SubAccountId } from '../core/ids.ts';
import type { Instrument } from '../core/instrument.ts';
import type { Logger } from '../core/logger.ts';
import type { Timeframe } from '../core/strategy.ts';
import type { Venue } from '../core/venue.ts';
import type { CandleSource } from '../supervisor/market-data/candle-source.ts';
import { alpacaSettingsSchema, createAlpacaCandleSource, createAlpacaVenue } from './alpaca/settings.ts';
import { bybitSettingsSchema, createBybitCandleSource, createBybitVenue } from './bybit/settings.ts';
import { ccxtSettingsSchema, createCcxtCandleSource, createCcxtVenue } from './ccxt/settings.ts';
import { PaperVenue } from './paper/paper-venue.ts';

/**
 * The one place that knows which adapter serves which venue: the fleet and the backtest engine build their venues
 * here, from configuration, and nothing outside venues/<name>/ names a venue. In paper mode one in-process paper
 * venue serves every venue name (BTCUSDT.BYBIT and QQQ.ALPACA alike); live adapters arrive per venue.
 */

/** The paper venue's settings, as the fleet configuration's `paper` block gives them (decimal strings). */
export interface PaperSettings {
  seed: number;
  makerFeeRate: string;
  takerFeeRate: string;
  slippageBaseBps: string;
  slippageJitterBps: string;
  participation: string;
  startingBalance: string;
  leverage: string;
}

export interface PaperVenueSetup {
  settings: PaperSettings;
  /** Tells restarts apart, so no trade or venue order ID is ever repeated across them. */
  session: string;
  instruments: readonly Instrument[];
  /** One paper sub-account per bot, funded with the starting balance. */
  subAccounts: readonly SubAccountId[];
  clock: Clock;
  logger: Logger;
}

/** The in-process paper venue, as the fleet and backtests both run it. */
export function buildPaperVenue(setup: PaperVenueSetup): PaperVenue {
  const { settings } = setup;
  return new PaperVenue(
    {
      name: 'PAPER',
      seed: settings.seed,
      session: setup.session,
      instruments: [...setup.instruments],
      fees: { makerRate: Decimal.parse(settings.makerFeeRate), takerRate: Decimal.parse(settings.takerFeeRate) },
      slippage: { baseBps: Decimal.parse(settings.slippageBaseBps), jitterBps: Decimal.parse(settings.slippageJitterBps) },
      partialFills: { participation: Decimal.parse(settings.participation) },
      accounts: setup.subAccounts.map((subAccountId) => ({ subAccountId, balance: Decimal.parse(settings.startingBalance), leverage: Decimal.parse(settings.leverage) })),
    },
    setup.clock,
    { logger: setup.logger },
  );
}

/** Venue adapters by the venue part of instrument IDs; in paper mode every name maps to the one paper venue. */
export function paperVenuesByName(paper: Venue, instruments: readonly Instrument[], wrap: (venue: Venue) => Venue = (venue) => venue): Map<string, Venue> {
  // Wrapped once, whatever the number of names: two wrappers would deliver each report twice.
  const wrapped = wrap(paper);
  const names = new Set(instruments.map((instrument) => instrument.id.slice(instrument.id.lastIndexOf('.') + 1)));
  return new Map([...names].map((name) => [name, wrapped]));
}

// ------------------------------------------------------------------------------------------------------
// Live venues

/** A venue's entry under `venues` in live mode; `adapter` says which adapter serves it. */
export const liveVenueSettingsSchema = z.discriminatedUnion('adapter', [bybitSettingsSchema, alpacaSettingsSchema, ccxtSettingsSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? 'adapter must be one of: "bybit", "alpaca", "ccxt"' : undefined),
});

export type LiveVenueSettings = z.output<typeof liveVenueSettingsSchema>;

/** A sub-account's API key, handed to its venue's adapter and kept there. */
export interface VenueCredentials {
  readonly key: string;
  readonly secret: string;
}

/** A live adapter: the contract, plus taking a sub-account's key while it runs (a bot adopted later). */
export interface LiveVenue extends Venue {
  openAccount(subAccountId: SubAccountId, credentials: VenueCredentials): Promise<void>;
  /** The venue's own word on its equities' session (Alpaca's /v2/clock); the bundled calendar where absent. */
  readonly marketSession?: MarketSession;
}

/** A venue's market data: history is loaded before the hub asks for it, synchronously; live candles follow. */
export interface LiveCandleSource extends CandleSource {
  load(streams: ReadonlyArray<{ instrumentId: InstrumentId; timeframe: Timeframe }>, historyCandles: number): Promise<void>;
  stop(): Promise<void>;
}

export interface LiveVenueSetup {
  /** The venue's name in instrument IDs ("BYBIT"). */
  name: string;
  settings: LiveVenueSettings;
  credentials: ReadonlyMap<SubAccountId, VenueCredentials>;
  /** The fleet's instruments on this venue. */
  instruments: readonly Instrument[];
  clock: Clock;
  logger: Logger;
  historyCandles: number;
}

export function buildLiveVenue(setup: LiveVenueSetup): LiveVenue {
  switch (setup.settings.adapter) {
    case 'bybit':
      return createBybitVenue({ ...setup, settings: setup.settings });
    case 'alpaca':
      return createAlpacaVenue({ ...setup, settings: setup.settings });
    case 'ccxt':
      return createCcxtVenue({ ...setup, settings: setup.settings });
  }
}

export function buildLiveCandleSource(setup: LiveVenueSetup): LiveCandleSource {
  switch (setup.settings.adapter) {
    case 'bybit':
      return createBybitCandleSource({ ...setup, settings: setup.settings });
    case 'alpaca':
      return createAlpacaCandleSource({ ...setup, settings: setup.settings });
    case 'ccxt':
      return createCcxtCandleSource({ ...setup, settings: setup.settings });
  }
}
