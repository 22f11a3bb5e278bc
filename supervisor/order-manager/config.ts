import { z } from 'zod';
import { Decimal } from '../../core/decimal.ts';
import { ConfigurationError } from '../../core/errors.ts';
import type { BotId, ExposureKey, InstrumentId, SubAccountId } from '../../core/ids.ts';
import { parseBotId, parseExposureKey, parseInstrumentId, parseSubAccountId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { TradingState } from '../../core/trading-state.ts';

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

const drawdownSchema = z.strictObject({
  threshold: fraction,
  windowMs: z.number().int().positive(),
  action: z.enum(['REDUCING', 'HALTED']),
});

const botSchema = z.strictObject({
  id: z.string(),
  subAccountId: z.string(),
  riskPerTrade: fraction.default('0.005'),
  maxOpenRisk: fraction.default('0.02'),
  maxNotionalPerOrder: positiveDecimal,
  maxAdds: z.number().int().min(0).default(1),
  orderRateLimit: z.strictObject({ maxRequests: z.number().int().positive(), windowMs: z.number().int().positive() }),
  drawdown: drawdownSchema,
  /** After an entry on a key, how long (ms) before the bot may add to it; the in-flight lock's TTL when absent. */
  entryCooldownMs: z.number().int().min(0).optional(),
  /** How far (a fraction of its price) the market must move from the last entry, in its favour, before an add. */
  minAddDistance: decimalText.refine((text) => !Decimal.parse(text).isNegative() && Decimal.parse(text).lt(Decimal.ONE), 'must be a fraction from 0 up to 1 (0.002 is 0.2%)').default('0.002'),
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
  /** Worst taker slippage expected, in basis points: entries are sized so that the risk at the stop holds with it. */
  slippageAllowanceBps: decimalText.refine((text) => !Decimal.parse(text).isNegative(), 'must not be negative').default('0'),
  /** How long (ms of market time) a position may wait for its stop's acceptance before it counts as unprotected. */
  protectionGraceMs: z.number().int().positive().default(10_000),
});

export type OrderManagerConfigInput = z.input<typeof orderManagerConfigSchema>;

export type KeyPolicy = { policy: 'exclusive' } | { policy: 'capped'; maxNotional: Decimal };

export interface DrawdownPolicy {
  threshold: Decimal;
  windowMs: number;
  action: Extract<TradingState, 'REDUCING' | 'HALTED'>;
}

export interface BotRiskConfig {
  id: BotId;
  subAccountId: SubAccountId;
  riskPerTrade: Decimal;
  maxOpenRisk: Decimal;
  maxNotionalPerOrder: Decimal;
  maxAdds: number;
  orderRateLimit: { maxRequests: number; windowMs: number };
  drawdown: DrawdownPolicy;
  entryCooldownMs: number;
  minAddDistance: Decimal;
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
  /** A fraction: slippageAllowanceBps / 10,000. */
  slippageAllowance: Decimal;
  protectionGraceMs: number;
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

function drawdownPolicy(input: z.output<typeof drawdownSchema>): DrawdownPolicy {
  return { threshold: Decimal.parse(input.threshold), windowMs: input.windowMs, action: input.action };
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
      entryCooldownMs: entry.entryCooldownMs ?? raw.inFlightLockTtlMs,
      minAddDistance: Decimal.parse(entry.minAddDistance),
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
    slippageAllowance: Decimal.parse(raw.slippageAllowanceBps).div(Decimal.fromInteger(10_000)),
    protectionGraceMs: raw.protectionGraceMs,
  };
}
