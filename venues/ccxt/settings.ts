import { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import type { SubAccountId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Logger } from '../../core/logger.ts';
import { checkCapabilities } from './capabilities.ts';
import { CcxtCandleSource } from './candle-source.ts';
import { CcxtVenue } from './ccxt-venue.ts';
import { DEFAULT_TIMEOUTS, exchangeProblem, MARKET_TYPES, resolveEnvironment, type CcxtCredentials, type CcxtTimeouts } from './config.ts';

/**
 * The entry `venues.<NAME>` of flotilla.config.json for a venue reached through ccxt in live mode, and the factory
 * and candle-source factories the venue registry builds with. Every key is read by the adapter: `exchange` picks ccxt's class (and
 * is refused here, by name and with what it lacks, when it cannot serve), `environment` where it connects,
 * `defaultType` which markets the instruments are, `timeouts` how long it waits.
 */

const positiveMs = z.number().int().positive();

const timeoutsSchema = z.strictObject(Object.fromEntries(Object.keys(DEFAULT_TIMEOUTS).map((key) => [key, positiveMs.optional()])) as Record<keyof CcxtTimeouts, z.ZodOptional<typeof positiveMs>>);

export const ccxtSettingsSchema = z
  .strictObject({
    adapter: z.literal('ccxt'),
    /** ccxt's exchange id ("bybit"); one of ccxt.exchanges with a profile in venues/ccxt/profiles.ts. */
    exchange: z.string().superRefine((exchange, context) => {
      const problem = exchangeProblem(exchange);
      if (problem !== null) context.addIssue({ code: 'custom', message: problem });
    }),
    /** "mainnet", "sandbox" (or "testnet": the exchange's test environment), or a stand-in's URL such as "http://127.0.0.1:9977". */
    environment: z.string().superRefine((environment, context) => {
      try {
        resolveEnvironment(environment, '');
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message.trim() });
      }
    }),
    /** ccxt's defaultType: which of the exchange's markets the instruments are, "swap" (perpetuals) or "future". */
    defaultType: z.enum(MARKET_TYPES).default('swap'),
    /** Overrides of the adapter's timeouts (venues/ccxt/config.ts DEFAULT_TIMEOUTS), in ms. */
    timeouts: timeoutsSchema.optional(),
  })
  .superRefine((settings, context) => {
    if (exchangeProblem(settings.exchange) !== null) return;
    try {
      checkCapabilities(settings.exchange, settings.defaultType);
    } catch (error) {
      context.addIssue({ code: 'custom', path: ['exchange'], message: (error as Error).message });
    }
  });

export type CcxtSettings = z.output<typeof ccxtSettingsSchema>;

export interface CcxtSetup {
  /** The venue's name in instrument IDs ("BYBIT"). */
  name: string;
  settings: CcxtSettings;
  credentials: ReadonlyMap<SubAccountId, CcxtCredentials>;
  /** The fleet's instruments on this venue. */
  instruments: readonly Instrument[];
  clock: Clock;
  logger: Logger;
  /** Closed candles the candle source keeps per stream. */
  historyCandles: number;
}

export function createCcxtVenue(setup: CcxtSetup): CcxtVenue {
  return new CcxtVenue({
    name: setup.name,
    exchange: setup.settings.exchange,
    environment: setup.settings.environment,
    marketType: setup.settings.defaultType,
    credentials: setup.credentials,
    instruments: setup.instruments,
    clock: setup.clock,
    logger: setup.logger,
    ...(setup.settings.timeouts === undefined ? {} : { timeouts: setup.settings.timeouts }),
  });
}

export function createCcxtCandleSource(setup: CcxtSetup): CcxtCandleSource {
  return new CcxtCandleSource({
    name: setup.name,
    exchange: setup.settings.exchange,
    environment: setup.settings.environment,
    marketType: setup.settings.defaultType,
    instruments: setup.instruments,
    clock: setup.clock,
    logger: setup.logger,
    historyLimit: Math.max(setup.historyCandles, 1),
    // The source reads the request and reconnect timeouts; the order-path ones do not concern it.
    ...(setup.settings.timeouts === undefined ? {} : { timeouts: setup.settings.timeouts }),
  });
}
