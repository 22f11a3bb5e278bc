import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** What a signal model sees of a candle that passed all three layers. */
export interface SignalFeatures {
  /** ADX, 0–100. */
  adx: number;
  /** Bollinger band width, (upper − lower) ÷ middle. */
  bandWidth: number;
  /** Volume over its average. */
  volumeRatio: number;
  /** +DI − −DI in points (0–100), signed so that agreement with the trade's side is positive. */
  diSpread: number;
  /** 1 for a breakout trigger, 0 for a pullback. */
  breakout: number;
}

/** A confidence adjustment from features: 0 leaves the rules' confidence as it is. */
export interface SignalModel {
  evaluate(features: Readonly<SignalFeatures>): number;
}

export type SignalModelStatus = 'DISABLED' | 'ACTIVE' | 'FALLBACK';

const weight = z.number().refine(Number.isFinite, 'must be finite');

/** The model file: linear weights over the features plus a bias. Unknown features are an error, not ignored. */
export const linearModelSchema = z.strictObject({
  kind: z.literal('linear'),
  description: z.string().optional(),
  bias: weight,
  weights: z.strictObject({
    adx: weight.optional(),
    bandWidth: weight.optional(),
    volumeRatio: weight.optional(),
    diSpread: weight.optional(),
    breakout: weight.optional(),
  }),
});

export type LinearModelFile = z.output<typeof linearModelSchema>;

export function linearModel(file: LinearModelFile): SignalModel {
  const { bias } = file;
  const { adx = 0, bandWidth = 0, volumeRatio = 0, diSpread = 0, breakout = 0 } = file.weights;
  return {
    evaluate: (f) => bias + adx * f.adx + bandWidth * f.bandWidth + volumeRatio * f.volumeRatio + diSpread * f.diSpread + breakout * f.breakout,
  };
}

/** Reads and validates a model file; throws with the reason when it is missing or malformed. */
export function loadLinearModel(url: URL): SignalModel {
  const path = fileURLToPath(url);
  const parsed = linearModelSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  return linearModel(parsed.data);
}

export interface ConfidenceParameters {
  weight: number;
  maxConfidence: number;
}

/**
 * Confidence from a model's adjustment: 1 + weight × adjustment, kept within [0, maxConfidence]. NaN when the
 * model gave a non-finite number, which the caller treats like a throw.
 */
export function confidenceFrom(adjustment: number, p: ConfidenceParameters): number {
  if (!Number.isFinite(adjustment)) return Number.NaN;
  return Math.min(p.maxConfidence, Math.max(0, 1 + p.weight * adjustment));
}
