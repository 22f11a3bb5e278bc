import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigurationError } from '../../core/errors.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import type { OrderManagerConfig, OrderManagerConfigInput } from '../order-manager/config.ts';
import { orderManagerConfigSchema, parseOrderManagerConfig } from '../order-manager/config.ts';

const decimalText = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal string such as "0.0002"');

/** An instrument of the fleet's catalog; `startPrice` seeds the synthetic market in paper mode. */
const catalogInstrumentSchema = orderManagerConfigSchema.shape.instruments.element.extend({ startPrice: decimalText });

export const fleetConfigSchema = z.strictObject({
  /** Only the built-in paper venue exists so far; live venues arrive with their adapters. */
  mode: z.literal('paper').default('paper'),
  clock: z
    .strictObject({
      /** Market time per real time: 1 is real time; 300 makes a 5-minute candle close every second. */
      speed: z.number().positive().max(100_000).default(300),
      /** Where market time starts, ISO 8601; defaults to the supervisor's start. */
      start: z.iso.datetime().optional(),
    })
    .default({ speed: 300 }),
  marketData: z
    .strictObject({
      seed: z.number().int().default(20_261_121),
      /** Closed candles sent to a bot when it subscribes, for indicator warm-up. */
      historyCandles: z.number().int().min(0).max(5_000).default(300),
      /**
       * Caps the warm-up at this much market time, whatever the timeframe: 300 daily candles would mean
       * generating 300 days of minutes before the first start; 100 days gives a daily strategy 100 candles.
       */
      maxHistoryDays: z.number().int().positive().max(3_650).default(100),
    })
    .default({ seed: 20_261_121, historyCandles: 300, maxHistoryDays: 100 }),
  instruments: z.array(catalogInstrumentSchema).min(1).optional(),
  exposureKeys: orderManagerConfigSchema.shape.exposureKeys.optional(),
  /** A fast fall and a slow bleed of all sub-accounts together: 15% within a day, 20% within 30 days or 25% within 90 halts. */
  fleetDrawdown: orderManagerConfigSchema.shape.fleetDrawdown.default([
    { threshold: '0.15', windowMs: 86_400_000, action: 'HALTED' },
    { threshold: '0.2', windowMs: 30 * 86_400_000, action: 'HALTED' },
    { threshold: '0.25', windowMs: 90 * 86_400_000, action: 'HALTED' },
  ]),
  inFlightLockTtlMs: z.number().int().positive().default(90_000),
  equitySampleIntervalMs: z.number().int().positive().default(1_000),
  decisionRetention: z.number().int().positive().default(1_000_000),
  decisionRetentionMs: orderManagerConfigSchema.shape.decisionRetentionMs,
  paper: z
    .strictObject({
      seed: z.number().int().default(7),
      makerFeeRate: decimalText.default('0.0002'),
      takerFeeRate: decimalText.default('0.00055'),
      slippageBaseBps: decimalText.default('1'),
      slippageJitterBps: decimalText.default('2'),
      participation: decimalText.default('0.1'),
      /** Each bot's sub-account starts with this much quote currency. */
      startingBalance: decimalText.default('100000'),
      leverage: decimalText.default('5'),
    })
    .default({ seed: 7, makerFeeRate: '0.0002', takerFeeRate: '0.00055', slippageBaseBps: '1', slippageJitterBps: '2', participation: '0.1', startingBalance: '100000', leverage: '5' }),
  heartbeat: z
    .strictObject({
      /** Real-time ms between a bot's heartbeats. */
      intervalMs: z.number().int().positive().default(1_000),
      /** A bot silent this long (real time) is set to REDUCING until it is heard again. */
      timeoutMs: z.number().int().positive().default(5_000),
    })
    .default({ intervalMs: 1_000, timeoutMs: 5_000 }),
  discovery: z
    .strictObject({
      /** Real-time ms between looks at the bots folder; a changed set of bots restarts the supervisor to adopt it. */
      rescanMs: z.number().int().positive().default(2_000),
    })
    .default({ rescanMs: 2_000 }),
  control: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65_535).default(0) }).default({ host: '127.0.0.1', port: 0 }),
  metrics: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65_535).default(9464) }).default({ host: '127.0.0.1', port: 9464 }),
});

export type FleetConfig = z.output<typeof fleetConfigSchema>;
export type CatalogInstrument = z.output<typeof catalogInstrumentSchema>;

const perpetual = (symbol: string, key: string, tickSize: string, lotStep: string, startPrice: string): CatalogInstrument => ({
  id: `${symbol}.BYBIT`,
  kind: 'PERPETUAL',
  tickSize,
  lotStep,
  minQuantity: lotStep,
  minNotional: '5',
  exposure: { key, beta: '1' },
  startPrice,
});

const equity = (symbol: string, key: string, beta: string, startPrice: string): CatalogInstrument => ({
  id: `${symbol}.ALPACA`,
  kind: 'EQUITY',
  tickSize: '0.01',
  lotStep: '1',
  minQuantity: '1',
  minNotional: '1',
  exposure: { key, beta },
  startPrice,
});

/** The embedded catalog: Bybit perpetuals for the scalper's seven coins, and Alpaca ETFs with their inverses. */
export const DEFAULT_INSTRUMENTS: CatalogInstrument[] = [
  perpetual('BTCUSDT', 'BTC', '0.1', '0.001', '60000'),
  perpetual('ETHUSDT', 'ETH', '0.01', '0.01', '3000'),
  perpetual('SOLUSDT', 'SOL', '0.01', '0.1', '150'),
  perpetual('XRPUSDT', 'XRP', '0.0001', '1', '0.6'),
  perpetual('DOGEUSDT', 'DOGE', '0.00001', '1', '0.15'),
  perpetual('ADAUSDT', 'ADA', '0.0001', '1', '0.45'),
  perpetual('LINKUSDT', 'LINK', '0.001', '0.1', '15'),
  equity('QQQ', 'NDX', '1', '480'),
  equity('TQQQ', 'NDX', '3', '60'),
  equity('SQQQ', 'NDX', '-3', '9'),
  equity('SPY', 'SPX', '1', '560'),
  equity('SPXS', 'SPX', '-3', '7'),
  equity('SOXL', 'SOX', '3', '30'),
  equity('SOXS', 'SOX', '-3', '20'),
];

export const DEFAULT_EXPOSURE_KEYS: OrderManagerConfigInput['exposureKeys'] = {
  BTC: { policy: 'exclusive' },
  ETH: { policy: 'exclusive' },
  SOL: { policy: 'exclusive' },
  XRP: { policy: 'exclusive' },
  DOGE: { policy: 'exclusive' },
  ADA: { policy: 'exclusive' },
  LINK: { policy: 'exclusive' },
  NDX: { policy: 'capped', maxNotional: '150000' },
  SPX: { policy: 'capped', maxNotional: '150000' },
  SOX: { policy: 'exclusive' },
};

function issues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** Reads the fleet configuration file if there is one; no file means the embedded paper defaults. */
export function loadFleetConfig(path: string | null): FleetConfig {
  let input: unknown = {};
  if (path !== null && existsSync(path)) {
    try {
      input = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new ConfigurationError(`${path}: not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = fleetConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigurationError(`${path ?? 'fleet configuration'}: ${issues(parsed.error)}`);
  return parsed.data;
}

export function catalog(config: FleetConfig): CatalogInstrument[] {
  return config.instruments ?? DEFAULT_INSTRUMENTS;
}

/**
 * The order manager's configuration: the fleet's instruments, keys and limits, and each loaded bot's risk
 * settings from its manifest. Exposure keys no instrument uses are dropped only when they are the defaults.
 */
export function orderManagerConfigFor(config: FleetConfig, manifests: readonly BotManifest[]): OrderManagerConfig {
  const instruments = catalog(config);
  const usedKeys = new Set(instruments.map((instrument) => instrument.exposure.key));
  const exposureKeys = config.exposureKeys ?? Object.fromEntries(Object.entries(DEFAULT_EXPOSURE_KEYS).filter(([key]) => usedKeys.has(key)));
  return parseOrderManagerConfig(
    {
      instruments: instruments.map(({ startPrice: _startPrice, ...instrument }) => instrument),
      exposureKeys,
      bots: manifests.map((manifest) => ({
        id: manifest.id,
        subAccountId: manifest.subAccount,
        instruments: manifest.instruments,
        ...manifest.risk,
      })),
      inFlightLockTtlMs: config.inFlightLockTtlMs,
      fleetDrawdown: config.fleetDrawdown,
      equitySampleIntervalMs: config.equitySampleIntervalMs,
      decisionRetention: config.decisionRetention,
      decisionRetentionMs: config.decisionRetentionMs,
    },
    'fleet configuration and bot manifests',
  );
}
