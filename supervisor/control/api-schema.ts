import { z } from 'zod';
import { Decimal } from '../../core/decimal.ts';
import { BOT_ID_PATTERN } from '../../core/ids.ts';
import { parseWindowLength, WINDOW_LENGTH_RULE } from '../order-manager/drawdown-window.ts';
import { CONTROL_ERROR_CODES } from './fleet-control.ts';

/**
 * The wire contract of the control API: request bodies, query strings and the error reply. The server validates
 * with these schemas and the CLI checks its arguments against the same limits, so both refuse the same things.
 */

export const MAX_LIST_LIMIT = 1000;
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_REASON_LENGTH = 500;
export const MAX_BODY_BYTES = 64 * 1024;

const BOT_ID_RULE = 'must be 1-16 characters of a-z, 0-9 and "-", starting with a letter';
const PERCENT_RULE = 'must be a decimal percent greater than 0 and at most 100, e.g. "7.5"';
const PERCENT_PATTERN = /^\d{1,3}(\.\d{1,6})?$/;
const HUNDRED = Decimal.fromInteger(100);

export const botIdSchema = z.string().regex(BOT_ID_PATTERN, BOT_ID_RULE);

/** True for "7.5"-style percents in (0, 100]; signs, exponents and more than 6 places are refused. */
export function isThresholdPercent(text: string): boolean {
  if (!PERCENT_PATTERN.test(text)) return false;
  const value = Decimal.parse(text);
  return value.isPositive() && value.lte(HUNDRED);
}

export const thresholdPercentSchema = z.string().refine(isThresholdPercent, PERCENT_RULE);

export const reasonSchema = z
  .string()
  .refine((text) => text.trim().length > 0, 'must not be empty')
  .refine((text) => text.length <= MAX_REASON_LENGTH, `must be at most ${MAX_REASON_LENGTH} characters`);

export const EmptyBody = z.strictObject({});
export const KillBody = z.strictObject({ botId: botIdSchema.optional(), flatten: z.boolean() });
export const HaltBody = z.strictObject({ botId: botIdSchema.optional(), reason: reasonSchema });
export const ResumeBody = z.strictObject({ botId: botIdSchema.optional() });
export const ReconcileBody = z.strictObject({ botId: botIdSchema.optional() });
export const windowLengthSchema = z.string().refine((text) => parseWindowLength(text) !== null, WINDOW_LENGTH_RULE);
export const SetDrawdownBody = z.strictObject({ botId: botIdSchema.optional(), window: windowLengthSchema.optional(), thresholdPercent: thresholdPercentSchema });

const flagSchema = z.enum(['0', '1']).transform((value) => value === '1');
const limitSchema = z
  .string()
  .regex(/^[1-9]\d{0,5}$/, 'must be a positive integer')
  .transform(Number)
  .refine((value) => value <= MAX_LIST_LIMIT, `must be at most ${MAX_LIST_LIMIT}`);

export const BotQuery = z.strictObject({ bot: botIdSchema.optional() });
export const OrdersQuery = z.strictObject({
  bot: botIdSchema.optional(),
  open: flagSchema.optional(),
  limit: limitSchema.optional(),
});
export const DecisionsQuery = z.strictObject({
  bot: botIdSchema.optional(),
  denied: flagSchema.optional(),
  limit: limitSchema.optional(),
});

export const ErrorReply = z.object({
  error: z.object({ code: z.enum(CONTROL_ERROR_CODES), message: z.string() }),
});
export type ErrorReply = z.infer<typeof ErrorReply>;

/** One line naming every problem and where it is, e.g. `Unrecognized key: "force"; flatten: expected boolean`. */
export function describeIssues(error: z.ZodError, where: string): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path.length > 0 ? `${where} ${path}: ${issue.message}` : `${where}: ${issue.message}`;
    })
    .join('; ');
}
