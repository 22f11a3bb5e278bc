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
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

function drawdownPolicy(input: z.output<typeof drawdownSchema>): DrawdownPolicy {
  return { threshold: Decimal.parse(input.threshold), windowMs: input.windowMs, action: input.action };
}

type BotEntry = z.output<typeof botSchema>;

/**
 * The rules one bot's entry meets on its own; parseOrderManagerConfig adds those that span bots (ids and
 * sub-accounts unique). `prefix` is the entry's path in the document ("bots.0." or ""); `instruments` is the
 * catalog its instruments must come from, or null to leave that to the caller.
 */
function botRiskConfig(entry: BotEntry, prefix: string, source: string, instruments: ReadonlyMap<InstrumentId, Instrument> | null): BotRiskConfig {
  const wrap = <T>(path: string, make: () => T): T => {
    try {
      return make();
    } catch (error) {
      throw new ConfigurationError(`${source}: ${path}: ${(error as Error).message}`);
    }
  };
  const id = wrap(`${prefix}id`, () => parseBotId(entry.id));
  const subAccountId = wrap(`${prefix}subAccountId`, () => parseSubAccountId(entry.subAccountId));
  const riskPerTrade = Decimal.parse(entry.riskPerTrade);
  const maxOpenRisk = Decimal.parse(entry.maxOpenRisk);
  if (riskPerTrade.gt(maxOpenRisk)) {
    throw new ConfigurationError(`${source}: ${prefix}riskPerTrade (${entry.riskPerTrade}) is larger than maxOpenRisk (${entry.maxOpenRisk}), so no trade could ever be taken at full size`);
  }
  return {
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
              const instrumentId = wrap(`${prefix}instruments.${at}`, () => parseInstrumentId(text));
              if (instruments !== null && !instruments.has(instrumentId)) throw new ConfigurationError(`${source}: ${prefix}instruments.${at}: ${instrumentId} is not a configured instrument`);
              return instrumentId;
            }),
          ),
  };
}

/**
 * One bot's risk settings, held to every rule the order manager's configuration holds a bot to except those
 * spanning bots and the catalog: discovery checks each folder with it, so one bad manifest is refused alone
 * instead of stopping the whole fleet's configuration.
 */
export function parseBotRiskConfig(input: unknown, source: string): BotRiskConfig {
  const parsed = botSchema.safeParse(input);
  if (!parsed.success) throw new ConfigurationError(`${source}: ${formatIssues(parsed.error)}`);
  return botRiskConfig(parsed.data, '', source, null);
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
    const bot = botRiskConfig(entry, `${path}.`, source, instruments);
    if (bots.has(bot.id)) throw new ConfigurationError(`${source}: ${path}.id: bot ${bot.id} is listed twice`);
    if (subAccounts.has(bot.subAccountId)) {
      throw new ConfigurationError(`${source}: ${path}.subAccountId: ${bot.subAccountId} is already another bot's; each bot trades its own sub-account`);
    }
    subAccounts.add(bot.subAccountId);
    bots.set(bot.id, bot);
  });

  return {
    instruments,
    keyPolicies,
    bots,
    inFlightLockTtlMs: raw.inFlightLockTtlMs,
    fleetDrawdown: drawdownPolicy(raw.fleetDrawdown),
    equitySampleIntervalMs: raw.equitySampleIntervalMs,
    decisionRetention: raw.decisionRetention,
  };
}
