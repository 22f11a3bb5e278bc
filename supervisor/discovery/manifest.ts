import { z } from 'zod';
import type { BotId, InstrumentId, SubAccountId } from '../../core/ids.ts';
import { instrumentVenue, parseBotId, parseInstrumentId, parseSubAccountId } from '../../core/ids.ts';
import { TIMEFRAMES } from '../../core/strategy.ts';
import { drawdownSchema } from '../order-manager/config.ts';
import type { Timeframe } from '../../core/strategy.ts';

export const MANIFEST_FILE = 'manifest.json';
export const STRATEGY_FILE = 'strategy.ts';

const decimalText = z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal string such as "0.005"');

/**
 * The risk settings a bot brings to the order manager. Every key here becomes a field of the order manager's
 * bot configuration (see fleet-config.ts), so none is dead.
 */
export const manifestRiskSchema = z.strictObject({
  riskPerTrade: decimalText.optional(),
  maxOpenRisk: decimalText.optional(),
  maxNotionalPerOrder: decimalText,
  maxAdds: z.number().int().min(0).optional(),
  orderRateLimit: z.strictObject({ maxRequests: z.number().int().positive(), windowMs: z.number().int().positive() }),
  /** One window `{ threshold, windowMs, action }` or a list of them (see the order manager's drawdownSchema). */
  drawdown: drawdownSchema,
  /** After an entry on an exposure key, how long (ms) before this bot may add to it; 90 s by default. */
  entryCooldownMs: z.number().int().min(0).optional(),
  /** How far (fraction of price) the market must move from the last entry, in its favour, before an add; 0.002 by default. */
  minAddDistance: decimalText.optional(),
  /**
   * How long (ms of market time) an entry's exposure key stays locked for every bot after the entry was approved, even
   * once it has filled or ended; 0 by default (the lock lasts exactly as long as the entry is in flight).
   */
  entryLockMs: z.number().int().min(0).optional(),
});

export const manifestSchema = z.strictObject({
  id: z.string(),
  name: z.string().min(1).max(80),
  interfaceVersion: z.number().int().positive(),
  venue: z.string().regex(/^[A-Z][A-Z0-9]{1,15}$/, 'must be a venue name in capitals, e.g. "BYBIT"'),
  subAccount: z.string(),
  instruments: z.array(z.string()).min(1),
  timeframes: z.array(z.enum(TIMEFRAMES)).min(1),
  risk: manifestRiskSchema,
  /** Strategy parameters; validated by the strategy module's own schema when the bot loads. */
  parameters: z.record(z.string(), z.unknown()),
});

export type ManifestRisk = z.output<typeof manifestRiskSchema>;

export interface BotManifest {
  id: BotId;
  name: string;
  interfaceVersion: number;
  venue: string;
  subAccount: SubAccountId;
  instruments: InstrumentId[];
  timeframes: Timeframe[];
  risk: ManifestRisk;
  parameters: Record<string, unknown>;
}

/** Validates a parsed manifest.json; throws with every problem named by its path. */
export function parseManifest(input: unknown): BotManifest {
  const parsed = manifestSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; '));
  }
  const raw = parsed.data;
  const id = parseBotId(raw.id);
  const instruments = raw.instruments.map((text) => parseInstrumentId(text));
  for (const instrument of instruments) {
    if (instrumentVenue(instrument) !== raw.venue) throw new Error(`instruments: ${instrument} is not on the bot's venue ${raw.venue}`);
  }
  if (new Set(instruments).size !== instruments.length) throw new Error('instruments: an instrument is listed twice');
  if (new Set(raw.timeframes).size !== raw.timeframes.length) throw new Error('timeframes: a timeframe is listed twice');
  return { ...raw, id, subAccount: parseSubAccountId(raw.subAccount), instruments, timeframes: raw.timeframes };
}
