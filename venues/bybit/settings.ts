import { isIP } from 'node:net';
import { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import type { SubAccountId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Logger } from '../../core/logger.ts';
import { BybitCandleSource } from './candle-source.ts';
import { BybitVenue } from './bybit-venue.ts';
import { DEFAULT_TIMEOUTS, resolveEnvironment, type BybitCredentials, type BybitTimeouts } from './config.ts';

/**
 * The entry `venues.<NAME>` of flotilla.config.json for a Bybit venue in live mode, and the factories the venue
 * registry builds the adapter and its candle source with. Every key here is read: `environment` and `timeouts` by the
 * adapter and the candle source, `provisioning` by `supervisor accounts provision`.
 */

const positiveMs = z.number().int().positive();

const timeoutsSchema = z.strictObject(Object.fromEntries(Object.keys(DEFAULT_TIMEOUTS).map((key) => [key, positiveMs.optional()])) as Record<keyof BybitTimeouts, z.ZodOptional<typeof positiveMs>>);

const usdtAmount = z.string({ error: 'must be a decimal string in quotes, such as "1000"' }).superRefine((text, context) => {
  let value: Decimal;
  try {
    value = Decimal.parse(text);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return;
  }
  if (!value.isPositive()) context.addIssue({ code: 'custom', message: 'must be greater than zero' });
});

export const bybitSettingsSchema = z.strictObject({
  adapter: z.literal('bybit'),
  /** "demo" (Bybit's demo trading), "testnet", "mainnet", or a stand-in's URL such as "http://127.0.0.1:9977". */
  environment: z.string().superRefine((environment, context) => {
    try {
      resolveEnvironment(environment, '');
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message.trim() });
    }
  }),
  /** Overrides of the adapter's timeouts (venues/bybit/config.ts DEFAULT_TIMEOUTS), in ms. */
  timeouts: timeoutsSchema.optional(),
  /** What `supervisor accounts provision --venue <NAME>` gives each new sub-account. */
  provisioning: z
    .strictObject({
      /** USDT moved from the master account to each sub-account it creates. */
      startingCapital: usdtAmount,
      /** The only addresses each sub-account's API key is accepted from; empty leaves the key unbound (Bybit then expires it after 90 days). */
      ipWhitelist: z
        .array(z.string().refine((ip) => isIP(ip) !== 0, { message: 'must be an IPv4 or IPv6 address' }))
        .max(20)
        .default([]),
    })
    .optional(),
});

export type BybitSettings = z.output<typeof bybitSettingsSchema>;

export interface BybitSetup {
  /** The venue's name in instrument IDs ("BYBIT"). */
  name: string;
  settings: BybitSettings;
  credentials: ReadonlyMap<SubAccountId, BybitCredentials>;
  /** The fleet's instruments on this venue. */
  instruments: readonly Instrument[];
  clock: Clock;
  logger: Logger;
  /** Closed candles the candle source keeps per stream. */
  historyCandles: number;
}

export function createBybitVenue(setup: BybitSetup): BybitVenue {
  return new BybitVenue({
    name: setup.name,
    environment: setup.settings.environment,
    credentials: setup.credentials,
    instruments: setup.instruments,
    clock: setup.clock,
    logger: setup.logger,
    ...(setup.settings.timeouts === undefined ? {} : { timeouts: setup.settings.timeouts }),
  });
}

export function createBybitCandleSource(setup: BybitSetup): BybitCandleSource {
  return new BybitCandleSource({
    name: setup.name,
    environment: setup.settings.environment,
    instruments: setup.instruments,
    clock: setup.clock,
    logger: setup.logger,
    historyLimit: Math.max(setup.historyCandles, 1),
    // The source reads the request and reconnect timeouts; the order-path ones do not concern it.
    ...(setup.settings.timeouts === undefined ? {} : { timeouts: setup.settings.timeouts }),
  });
}
