import type { AggressiveParameters } from './parameters.ts';

/** Stop-loss and take-profit for a market entry at `close`: on the losing and winning side respectively. */
export function bracketFor(long: boolean, close: number, atr: number, p: AggressiveParameters): { stopLoss: number; takeProfit: number } {
  const stop = p.stopAtr * atr;
  const target = p.takeProfitAtr * atr;
  return long ? { stopLoss: close - stop, takeProfit: close + target } : { stopLoss: close + stop, takeProfit: close - target };
}

/**
 * Where the trailing stop should go now, or null to leave it. It trails trailingAtr ATRs behind the close once
 * the trade is trailingActivationAtr ATRs in profit, and only ever moves in the trade's favour, by at least
 * trailingStepAtr ATRs so that each cancel-and-replace is worth its two requests.
 */
export function trailingStop(long: boolean, close: number, entry: number, atr: number, currentStop: number, p: AggressiveParameters): number | null {
  const gained = long ? close - entry : entry - close;
  if (gained < p.trailingActivationAtr * atr) return null;
  const target = long ? close - p.trailingAtr * atr : close + p.trailingAtr * atr;
  const improvement = long ? target - currentStop : currentStop - target;
  if (improvement <= 0 || improvement < p.trailingStepAtr * atr) return null;
  return target;
}
