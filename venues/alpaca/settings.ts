import { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import { ConfigurationError } from '../../core/errors.ts';
import type { SubAccountId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Logger } from '../../core/logger.ts';
import { AlpacaVenue } from './alpaca-venue.ts';
import { AlpacaCandleSource } from './candle-source.ts';
import type { AlpacaCredentials } from './client.ts';
import { DEFAULT_TIMEOUTS, resolveEnvironment, type AlpacaTimeouts } from './config.ts';

/**
 * The entry `venues.<NAME>` of flotilla.config.json for an Alpaca venue in live mode, and the factories the venue
 * registry builds the adapter and its candle source with. Every key is read: `environment` and `timeouts` by both,
 * `feed` by the candle source.
 */

const positiveMs = z.number().int().positive();
const timeoutsSchema = z.strictObject(Object.fromEntries(Object.keys(DEFAULT_TIMEOUTS).map((key) => [key, positiveMs.optional()])) as Record<keyof AlpacaTimeouts, z.ZodOptional<typeof positiveMs>>);

export const alpacaSettingsSchema = z.strictObject({
  adapter: z.literal('alpaca'),
  /** "paper" (Alpaca's paper trading), "live", or a stand-in's URL such as "http://127.0.0.1:9978". */
  environment: z.string().superRefine((environment, context) => {
    try {
      resolveEnvironment(environment);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
  /** The stock data feed: "iex" (free) or "sip" (all US exchanges, a paid subscription). */
  feed: z.enum(['iex', 'sip']).default('iex'),
  /** Overrides of the adapter's timeouts (venues/alpaca/config.ts DEFAULT_TIMEOUTS), in ms. */
  timeouts: timeoutsSchema.optional(),
});

export type AlpacaSettings = z.output<typeof alpacaSettingsSchema>;

export interface AlpacaSetup {
  name: string;
  settings: AlpacaSettings;
  credentials: ReadonlyMap<SubAccountId, AlpacaCredentials>;
  instruments: readonly Instrument[];
  clock: Clock;
  logger: Logger;
  historyCandles: number;
}

export function createAlpacaVenue(setup: AlpacaSetup): AlpacaVenue {
  return new AlpacaVenue({
    name: setup.name,
    environment: setup.settings.environment,
    credentials: setup.credentials,
    instruments: setup.instruments,
    clock: setup.clock,
    logger: setup.logger,
    ...(setup.settings.timeouts === undefined ? {} : { timeouts: setup.settings.timeouts }),
  });
}

/** Market data needs a key pair as well; the first account's is used (market data is the same for every account). */
export function createAlpacaCandleSource(setup: AlpacaSetup): AlpacaCandleSource {
  const first = setup.credentials.values().next();
  if (first.done === true) throw new ConfigurationError(`venues.${setup.name}: Alpaca's market data needs a key pair; no account has one`);
  return new AlpacaCandleSource({
    name: setup.name,
    environment: setup.settings.environment,
    feed: setup.settings.feed,
    credentials: first.value,
    instruments: setup.instruments,
    clock: setup.clock,
    logger: setup.logger,
    historyLimit: Math.max(setup.historyCandles, 1),
    ...(setup.settings.timeouts === undefined ? {} : { timeouts: setup.settings.timeouts }),
  });
}
