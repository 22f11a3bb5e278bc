import { z } from 'zod';
import { Decimal } from '../../core/decimal.ts';
import { ConfigurationError } from '../../core/errors.ts';
import type { BotId, ExposureKey, InstrumentId, SubAccountId } from '../../core/ids.ts';
import { parseBotId, parseExposureKey, parseInstrumentId, parseSubAccountId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { TradingState } from '../../core/trading-state.ts';

/** 90 s: long enough that a repeated signal on the same bar is not a new entry, short enough to pyramid a real move. */
export const DEFAULT_ENTRY_COOLDOWN_MS = 90_000;
/** More windows than this is a configuration mistake, not a policy. */
export const MAX_DRAWDOWN_WINDOWS = 8;
/** 90 days of decisions: a quarter's audit trail, after which the ledgers still hold every order and fill. */
export const DEFAULT_DECISION_RETENTION_MS = 90 * 86_400_000;

/**
 * A decimal string that core/decimal.ts accepts and `rule` passes (it returns the problem, or null). Parsed here,
 * at validation, so a bad value (too many places, an exponent, a float) is refused at load, named by its key.
 */
export function decimalString(rule?: (value: Decimal) => string | null) {
  return z.string({ error: 'must be a decimal string in quotes, such as "0.005"' }).superRefine((text, context) => {
    let value: Decimal;
    try {
      value = Decimal.parse(text);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return;
    }
    const problem = rule?.(value) ?? null;
    if (problem !== null) context.addIssue({ code: 'custom', message: problem });
  });
}

export const positiveDecimal = decimalString((value) => (value.isPositive() ? null : 'must be greater than zero'));
export const nonNegativeDecimal = decimalString((value) => (value.isNegative() ? 'must not be negative' : null));
const fraction = decimalString((value) => (value.isPositive() && value.lte(Decimal.ONE) ? null : 'must be a fraction between 0 and 1 (0.005 is 0.5%)'));

const instrumentSchema = z.strictObject({
  id: z.string(),
  kind: z.enum(['PERPETUAL', 'SPOT', 'EQUITY']),
  tickSize: positiveDecimal,
  lotStep: positiveDecimal,
  minQuantity: nonNegativeDecimal,
  minNotional: nonNegativeDecimal,
  exposure: z.strictObject({ key: z.string(), beta: decimalString((value) => (value.isZero() ? 'must not be zero' : null)) }),
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
  /** After an entry on a key, how long (ms of market time) before the bot may add to it. */
  entryCooldownMs: z.number().int().min(0).default(DEFAULT_ENTRY_COOLDOWN_MS),
  /** How far (a fraction of its price) the market must move from the last entry, in its favour, before an add. */
  minAddDistance: decimalString((value) => (!value.isNegative() && value.lt(Decimal.ONE) ? null : 'must be a fraction from 0 up to 1 (0.002 is 0.2%)')).default('0.002'),
  /**
   * The least time (ms of market time) an entry of this bot locks its exposure key for every bot, counted from its
   * approval: the key stays locked until the entry has filled or ended and this long has passed. 0: only while in flight.
   */
  entryLockMs: z.number().int().min(0).default(0),
  /** The instruments the bot may trade (its manifest's); every instrument when absent. */
  instruments: z.array(z.string()).optional(),
});

export const orderManagerConfigSchema = z.strictObject({
  instruments: z.array(instrumentSchema).min(1),
  exposureKeys: z.record(z.string(), keyPolicySchema),
  bots: z.array(botSchema),
  /**
   * How long (market time) an order may go unanswered by its venue before it is asked about it by client order ID;
   * an entry's key stays locked until its outcome is known, however long that takes.
   */
  unansweredOrderMs: z.number().int().positive().default(10_000),
  fleetDrawdown: drawdownSchema,
  /** How often an equity sample is persisted for the drawdown window, per scope. */
  equitySampleIntervalMs: z.number().int().positive().default(1_000),
  /** How many recent decisions are kept for `supervisor decisions`; older ones are pruned. */
  decisionRetention: z.number().int().positive().default(1_000_000),
  /** Worst taker slippage expected, in basis points: entries are sized so that the risk at the stop holds with it. */
  slippageAllowanceBps: nonNegativeDecimal.default('0'),
  /** How long (ms of market time) a position may wait for its stop's acceptance before it counts as unprotected. */
  protectionGraceMs: z.number().int().positive().default(10_000),
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
  entryCooldownMs: number;
  minAddDistance: Decimal;
  /** The least market time an approved entry locks its key for; 0: only while it is in flight. */
  entryLockMs: number;
  /** Null: any configured instrument. */
  instruments: ReadonlySet<InstrumentId> | null;
}

export interface OrderManagerConfig {
  instruments: ReadonlyMap<InstrumentId, Instrument>;
  keyPolicies: ReadonlyMap<ExposureKey, KeyPolicy>;
  bots: ReadonlyMap<BotId, BotRiskConfig>;
  unansweredOrderMs: number;
  fleetDrawdown: DrawdownPolicy;
  equitySampleIntervalMs: number;
  decisionRetention: number;
  /** A fraction: slippageAllowanceBps / 10,000. */
  slippageAllowance: Decimal;
  protectionGraceMs: number;
  decisionRetentionMs: number;
}

/**
 * Names where a key of the order manager's input lives, for error messages: given the key's path in that input,
 * returns e.g. `flotilla.config.json: instruments.3.tickSize`. The fleet maps each path to the file it came from.
 */
export type ConfigLocator = (path: readonly PropertyKey[]) => string;

export function keyPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Every key in one source, e.g. `order manager configuration: bots.0.id`. */
export function locateIn(source: string): ConfigLocator {
  return (path) => `${source}: ${keyPath(path)}`;
}

/** One line naming each problem with its file and key. */
export function describeConfigIssues(error: z.ZodError, locate: ConfigLocator): string {
  // A record key's own message ("a venue name is ...") sits one level down, under zod's "Invalid key in record".
  return error.issues.map((issue) => `${locate(issue.path)}: ${issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message}`).join('; ');
}

function drawdownPolicy(input: z.output<typeof drawdownSchema>): DrawdownPolicy {
  return input.map((window) => ({ threshold: Decimal.parse(window.threshold), windowMs: window.windowMs, action: window.action }));
}

type BotEntry = z.output<typeof botSchema>;

/**
 * The rules one bot's entry meets on its own; parseOrderManagerConfig adds those that span bots (ids and
 * sub-accounts unique). `path` is the entry's path in the document (["bots", 0] or []); `instruments` is the
 * catalog its instruments must come from, or null to leave that to the caller.
 */
function botRiskConfig(entry: BotEntry, path: readonly PropertyKey[], locate: ConfigLocator, instruments: ReadonlyMap<InstrumentId, Instrument> | null): BotRiskConfig {
  const refuse = (at: readonly PropertyKey[], problem: string): ConfigurationError => new ConfigurationError(`${locate([...path, ...at])}: ${problem}`);
  const wrap = <T>(at: readonly PropertyKey[], make: () => T): T => {
    try {
      return make();
    } catch (error) {
      throw refuse(at, (error as Error).message);
    }
  };
  const id = wrap(['id'], () => parseBotId(entry.id));
  const subAccountId = wrap(['subAccountId'], () => parseSubAccountId(entry.subAccountId));
  const riskPerTrade = Decimal.parse(entry.riskPerTrade);
  const maxOpenRisk = Decimal.parse(entry.maxOpenRisk);
  if (riskPerTrade.gt(maxOpenRisk)) {
    throw refuse(['riskPerTrade'], `${entry.riskPerTrade} is larger than maxOpenRisk (${entry.maxOpenRisk}), so no trade could ever be taken at full size`);
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
    entryCooldownMs: entry.entryCooldownMs,
    minAddDistance: Decimal.parse(entry.minAddDistance),
    entryLockMs: entry.entryLockMs,
    instruments:
      entry.instruments === undefined
        ? null
        : new Set(
            entry.instruments.map((text, at) => {
              const instrumentId = wrap(['instruments', at], () => parseInstrumentId(text));
              if (instruments !== null && !instruments.has(instrumentId)) throw refuse(['instruments', at], `${instrumentId} is not a configured instrument`);
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
  const locate = locateIn(source);
  const parsed = botSchema.safeParse(input);
  if (!parsed.success) throw new ConfigurationError(describeConfigIssues(parsed.error, locate));
  return botRiskConfig(parsed.data, [], locate, null);
}

/** Validates order-manager configuration: unknown keys, bad values and dangling references are all refused. */
export function parseOrderManagerConfig(input: unknown, source: string | ConfigLocator = 'order manager configuration'): OrderManagerConfig {
  const locate = typeof source === 'string' ? locateIn(source) : source;
  const parsed = orderManagerConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigurationError(describeConfigIssues(parsed.error, locate));
  const raw = parsed.data;
  const refuse = (path: readonly PropertyKey[], problem: string): ConfigurationError => new ConfigurationError(`${locate(path)}: ${problem}`);
  const wrap = <T>(path: readonly PropertyKey[], make: () => T): T => {
    try {
      return make();
    } catch (error) {
      throw refuse(path, (error as Error).message);
    }
  };

  const keyPolicies = new Map<ExposureKey, KeyPolicy>();
  for (const [keyText, policy] of Object.entries(raw.exposureKeys)) {
    const key = wrap(['exposureKeys', keyText], () => parseExposureKey(keyText));
    keyPolicies.set(key, policy.policy === 'capped' ? { policy: 'capped', maxNotional: Decimal.parse(policy.maxNotional) } : { policy: 'exclusive' });
  }

  const instruments = new Map<InstrumentId, Instrument>();
  const usedKeys = new Set<ExposureKey>();
  raw.instruments.forEach((entry, index) => {
    const path = ['instruments', index];
    const id = wrap([...path, 'id'], () => parseInstrumentId(entry.id));
    if (instruments.has(id)) throw refuse([...path, 'id'], `${id} is listed twice`);
    const exposureKey = wrap([...path, 'exposure', 'key'], () => parseExposureKey(entry.exposure.key));
    if (!keyPolicies.has(exposureKey)) {
      throw refuse([...path, 'exposure', 'key'], `${exposureKey} has no entry in exposureKeys (give it a policy: exclusive or capped)`);
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
    if (!usedKeys.has(key)) throw refuse(['exposureKeys', key], 'no instrument maps to this key (remove it or map an instrument to it)');
  }

  const bots = new Map<BotId, BotRiskConfig>();
  const subAccounts = new Set<SubAccountId>();
  raw.bots.forEach((entry, index) => {
    const path = ['bots', index];
    const bot = botRiskConfig(entry, path, locate, instruments);
    if (bots.has(bot.id)) throw refuse([...path, 'id'], `bot ${bot.id} is listed twice`);
    if (subAccounts.has(bot.subAccountId)) {
      throw refuse([...path, 'subAccountId'], `${bot.subAccountId} is already another bot's; each bot trades its own sub-account`);
    }
    subAccounts.add(bot.subAccountId);
    bots.set(bot.id, bot);
  });

  return {
    instruments,
    keyPolicies,
    bots,
    unansweredOrderMs: raw.unansweredOrderMs,
    fleetDrawdown: drawdownPolicy(raw.fleetDrawdown),
    equitySampleIntervalMs: raw.equitySampleIntervalMs,
    decisionRetention: raw.decisionRetention,
    slippageAllowance: Decimal.parse(raw.slippageAllowanceBps).div(Decimal.fromInteger(10_000)),
    protectionGraceMs: raw.protectionGraceMs,
    decisionRetentionMs: raw.decisionRetentionMs,
  };
}
