import { Decimal } from '../core/decimal.ts';
import type { SizeRequest } from '../core/intent.ts';
import type { BotStateView } from '../core/strategy.ts';

/**
 * How much of its normal risk a bot takes in drawdown: 1 at no drawdown, falling linearly to `floor` at the
 * halt threshold (and staying there). Cutting size as losses mount slows the slide towards the halt. With several
 * drawdown windows the state carries the binding one (the window with the largest share of its threshold used, or a
 * breached one), so the scale follows whichever window is nearest its action.
 */
export function drawdownScale(state: Pick<BotStateView, 'drawdown' | 'drawdownThreshold'>, floor: number): number {
  if (!(floor >= 0 && floor <= 1)) throw new RangeError(`floor must be between 0 and 1, got ${floor}`);
  const threshold = state.drawdownThreshold.toNumber();
  if (threshold <= 0) return floor;
  const used = Math.min(1, Math.max(0, state.drawdown.toNumber() / threshold));
  return 1 - (1 - floor) * used;
}

/**
 * A size request for the order manager: risk `riskFraction` of equity at the stop, scaled down in drawdown.
 * The order manager turns it into quantity = equity × fraction ÷ stop distance, capped by the risk and notional
 * limits, and then applies the drawdown scale, so that a capped entry is cut in drawdown as well. Null when the
 * drawdown leaves nothing to take (a floor of 0 at the threshold): the bot then makes no entry at all.
 */
export function riskSize(state: Pick<BotStateView, 'drawdown' | 'drawdownThreshold'>, riskFraction: number, floor: number): SizeRequest | null {
  return scaledForDrawdown({ kind: 'RISK', riskFraction: Decimal.fromNumber(riskFraction, 8) }, state, floor);
}

/** A size request carrying the drawdown scale, which the order manager applies after its caps; null when the scale is nothing. */
export function scaledForDrawdown(size: SizeRequest, state: Pick<BotStateView, 'drawdown' | 'drawdownThreshold'>, floor: number): SizeRequest | null {
  const scale = drawdownScale(state, floor);
  // Full size is sent without a scale, so an undisturbed bot's intents read as they always have.
  if (scale >= 1) return size;
  const decimal = Decimal.fromNumber(scale, 8);
  return decimal.isPositive() ? { ...size, scale: decimal } : null;
}
