import { z } from 'zod';
import { Decimal } from '../../core/decimal.ts';
import { ConfigurationError } from '../../core/errors.ts';
import type { BotId, ExposureKey, InstrumentId, SubAccountId } from '../../core/ids.ts';
import { parseBotId, parseExposureKey, parseInstrumentId, parseSubAccountId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { TradingState } from '../../core/trading-state.ts';

/** More windows than this is a configuration mistake, not a policy. */
export const MAX_DRAWDOWN_WINDOWS = 8;
/** 90 days of decisions: a quarter's audit trail, after which the ledgers still hold every order and fill. */
export const DEFAULT_DECISION_RETENTION_MS = 90 * 86_400_000;

const decimalText = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal string such as "0.005"');
const positiveDecimal = decimalText.refine((text) => Decimal.parse(text).isPositive(), 'must be greater than zero');
const fraction = positiveDecimal.refine((text) => Decimal.parse(text).lte(Decimal.ONE), 'must be a fraction between 0 and 1 (0.005 is 0.5%)');

const instrumentSchema = z.strictObject({
  id: z.string(),
  kind: z.enum(['PERPETUAL', 'SPOT', 'EQUITY']),
  tickSize: positiveDecimal,
  lotStep: positiveDecimal,
  minQuantity: decimalText,
  minNotional: decimalText,
  exposure: z.strictObject({ key: z.string(), beta: decimalText.refine((text) => !Decimal.parse(text).isZero(), 'must not be zero') }),
});

const keyPolicySchema = z.discriminatedUnion('policy', [
  z.strictObject({ policy: z.literal('exclusive') }),
  z.strictObject({ policy: z.literal('capped'), maxNotional: positiveDecimal }),
]);

export const drawdownWindowSchema = z.strictObject({
  threshold: fraction,
  windowMs: z.number().int().positive(),
  action: z.enum(['REDUCING', 'HALTED']),
});

/**
 * A drawdown policy: one or more windows, each with its own threshold and action, so that a fast fall and a slow
 * bleed are both caught (e.g. 8% over a day and 20% over 30 days). A single window object is accepted as a list
 * of one. Windows are keyed by their length (an operator's override names it), so no two may share one.
 */
export const drawdownSchema = z.preprocess(
  (input) => (input !== null && typeof input === 'object' && !Array.isArray(input) ? [input] : input),
  z
    .array(drawdownWindowSchema)
    .min(1, 'must list at least one window')
    .max(MAX_DRAWDOWN_WINDOWS, `must list at most ${MAX_DRAWDOWN_WINDOWS} windows`)
    .refine((windows) => new Set(windows.map((window) => window.windowMs)).size === windows.length, 'two windows have the same windowMs; give each window its own length'),
);

const botSchema = z.strictObject({
  id: z.string(),
  subAccountId: z.string(),
  riskPerTrade: fraction.default('0.005'),
  maxOpenRisk: fraction.default('0.02'),
  maxNotionalPerOrder: positiveDecimal,
  maxAdds: z.number().int().min(0).default(1),
  orderRateLimit: z.strictObject({ maxRequests: z.number().int().positive(), windowMs: z.number().int().positive() }),
  drawdown: drawdownSchema,
  /** The instruments the bot may trade (its manifest's); every instrument when absent. */
  instruments: z.array(z.string()).optional(),
});

export const orderManagerConfigSchema = z.strictObject({
  instruments: z.array(instrumentSchema).min(1),
  exposureKeys: z.record(z.string(), keyPolicySchema),
  bots: z.array(botSchema),
  inFlightLockTtlMs: z.number().int().positive().default(90_000),
  fleetDrawdown: drawdownSchema,
  /** How often an equity sample is persisted for the drawdown window, per scope. */
  equitySampleIntervalMs: z.number().int().positive().default(1_000),
  /** How many recent decisions are kept for `supervisor decisions`; older ones are pruned. */
  decisionRetention: z.number().int().positive().default(1_000_000),
  /** How long (market time) a decision is kept; older ones are pruned whatever their number. */
  decisionRetentionMs: z.number().int().positive().default(DEFAULT_DECISION_RETENTION_MS),
});

export type OrderManagerConfigInput = z.input<typeof orderManagerConfigSchema>;

export type KeyPolicy = { policy: 'exclusive' } | { policy: 'capped'; maxNotional: Decimal };

/** One window of a drawdown policy: the fall from the peak within `windowMs` that triggers `action`. */
export interface DrawdownWindow {
  threshold: Decimal;
  windowMs: number;
  action: Extract<TradingState, 'REDUCING' | 'HALTED'>;
}

/** Every window of a scope's drawdown policy, in configured order; never empty. */
export type DrawdownPolicy = readonly DrawdownWindow[];

export interface BotRiskConfig {
  id: BotId;
  subAccountId: SubAccountId;
  riskPerTrade: Decimal;
  maxOpenRisk: Decimal;
  maxNotionalPerOrder: Decimal;
  maxAdds: number;
  orderRateLimit: { maxRequests: number; windowMs: number };
  drawdown: DrawdownPolicy;
  /** Null: any configured instrument. */
  instruments: ReadonlySet<InstrumentId> | null;
}

export interface OrderManagerConfig {
  instruments: ReadonlyMap<InstrumentId, Instrument>;
  keyPolicies: ReadonlyMap<ExposureKey, KeyPolicy>;
  bots: ReadonlyMap<BotId, BotRiskConfig>;
  inFlightLockTtlMs: number;
  fleetDrawdown: DrawdownPolicy;
  equitySampleIntervalMs: number;
  decisionRetention: number;
  decisionRetentionMs: number;
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

function drawdownPolicy(input: z.output<typeof drawdownSchema>): DrawdownPolicy {
  return input.map((window) => ({ threshold: Decimal.parse(window.threshold), windowMs: window.windowMs, action: window.action }));
}

/** Validates order-manager configuration: unknown keys, bad values and dangling references are all refused. */
export function parseOrderManagerConfig(input: unknown, source = 'order manager configuration'): OrderManagerConfig {
  const parsed = orderManagerConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigurationError(`${source}: ${formatIssues(parsed.error)}`);
  const raw = parsed.data;
  const wrap = <T>(path: string, make: () => T): T => {
    try {
      return make();
    } catch (error) {
      throw new ConfigurationError(`${source}: ${path}: ${(error as Error).message}`);
    }
  };

  const keyPolicies = new Map<ExposureKey, KeyPolicy>();
  for (const [keyText, policy] of Object.entries(raw.exposureKeys)) {
    const key = wrap(`exposureKeys.${keyText}`, () => parseExposureKey(keyText));
    keyPolicies.set(key, policy.policy === 'capped' ? { policy: 'capped', maxNotional: Decimal.parse(policy.maxNotional) } : { policy: 'exclusive' });
  }

  const instruments = new Map<InstrumentId, Instrument>();
  const usedKeys = new Set<ExposureKey>();
  raw.instruments.forEach((entry, index) => {
    const path = `instruments.${index}`;
    const id = wrap(`${path}.id`, () => parseInstrumentId(entry.id));
    if (instruments.has(id)) throw new ConfigurationError(`${source}: ${path}.id: ${id} is listed twice`);
    const exposureKey = wrap(`${path}.exposure.key`, () => parseExposureKey(entry.exposure.key));
    if (!keyPolicies.has(exposureKey)) {
      throw new ConfigurationError(`${source}: ${path}.exposure.key: ${exposureKey} has no entry in exposureKeys (give it a policy: exclusive or capped)`);
    }
    usedKeys.add(exposureKey);
    instruments.set(id, {
      id,
      kind: entry.kind,
      tickSize: Decimal.parse(entry.tickSize),
      lotStep: Decimal.parse(entry.lotStep),
      minQuantity: Decimal.parse(entry.minQuantity),
      minNotional: Decimal.parse(entry.minNotional),
      exposureKey,
      beta: Decimal.parse(entry.exposure.beta),
    });
  });
  for (const key of keyPolicies.keys()) {
    if (!usedKeys.has(key)) throw new ConfigurationError(`${source}: exposureKeys.${key}: no instrument maps to this key (remove it or map an instrument to it)`);
  }

  const bots = new Map<BotId, BotRiskConfig>();
  const subAccounts = new Set<SubAccountId>();
  raw.bots.forEach((entry, index) => {
    const path = `bots.${index}`;
    const id = wrap(`${path}.id`, () => parseBotId(entry.id));
    if (bots.has(id)) throw new ConfigurationError(`${source}: ${path}.id: bot ${id} is listed twice`);
    const subAccountId = wrap(`${path}.subAccountId`, () => parseSubAccountId(entry.subAccountId));
    if (subAccounts.has(subAccountId)) {
      throw new ConfigurationError(`${source}: ${path}.subAccountId: ${subAccountId} is already another bot's; each bot trades its own sub-account`);
    }
    subAccounts.add(subAccountId);
    const riskPerTrade = Decimal.parse(entry.riskPerTrade);
    const maxOpenRisk = Decimal.parse(entry.maxOpenRisk);
    if (riskPerTrade.gt(maxOpenRisk)) {
      throw new ConfigurationError(`${source}: ${path}.riskPerTrade (${entry.riskPerTrade}) is larger than maxOpenRisk (${entry.maxOpenRisk}), so no trade could ever be taken at full size`);
    }
    bots.set(id, {
      id,
      subAccountId,
      riskPerTrade,
      maxOpenRisk,
      maxNotionalPerOrder: Decimal.parse(entry.maxNotionalPerOrder),
      maxAdds: entry.maxAdds,
      orderRateLimit: entry.orderRateLimit,
      drawdown: drawdownPolicy(entry.drawdown),
      instruments:
        entry.instruments === undefined
          ? null
          : new Set(
              entry.instruments.map((text, at) => {
                const instrumentId = wrap(`${path}.instruments.${at}`, () => parseInstrumentId(text));
                if (!instruments.has(instrumentId)) throw new ConfigurationError(`${source}: ${path}.instruments.${at}: ${instrumentId} is not a configured instrument`);
                return instrumentId;
              }),
            ),
    });
  });

  return {
    instruments,
    keyPolicies,
    bots,
    inFlightLockTtlMs: raw.inFlightLockTtlMs,
    fleetDrawdown: drawdownPolicy(raw.fleetDrawdown),
    equitySampleIntervalMs: raw.equitySampleIntervalMs,
    decisionRetention: raw.decisionRetention,
    decisionRetentionMs: raw.decisionRetentionMs,
  };
}
