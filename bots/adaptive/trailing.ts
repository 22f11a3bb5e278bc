/** The trailing boundaries (in R, the initial risk per unit) and each trail's width (in ATRs). */
export interface TrailParameters {
  breakEvenAtR: number;
  wideTrailFromR: number;
  wideTrailAtr: number;
  tightTrailFromR: number;
  tightTrailAtr: number;
  minStopStepAtr: number;
}

export type Phase = 0 | 1 | 2 | 3;

/** What the bot remembers of one open position between candles. */
export interface OpenTrade {
  /** +1 long, −1 short: every comparison below is made in the trade's favour by multiplying with it. */
  sign: 1 | -1;
  entry: number;
  /** Initial risk per unit: |entry − initial stop|. */
  risk: number;
  /** Best price reached since the position was seen: highest high long, lowest low short. */
  extreme: number;
  /** Best close so far, in R; phases ratchet on it and never step back. */
  peakR: number;
}

export function openTrade(sign: 1 | -1, entry: number, risk: number): OpenTrade {
  return { sign, entry, risk, extreme: entry, peakR: 0 };
}

/** Takes in one closed candle: the favourable extreme and the best close in R. */
export function observe(trade: OpenTrade, high: number, low: number, close: number): void {
  const best = trade.sign === 1 ? high : low;
  if (trade.sign * (best - trade.extreme) > 0) trade.extreme = best;
  const closeR = (trade.sign * (close - trade.entry)) / trade.risk;
  if (closeR > trade.peakR) trade.peakR = closeR;
}

export function phaseOf(peakR: number, p: TrailParameters): Phase {
  if (peakR >= p.tightTrailFromR) return 3;
  if (peakR >= p.wideTrailFromR) return 2;
  if (peakR >= p.breakEvenAtR) return 1;
  return 0;
}

/**
 * Where the stop belongs in the trade's current phase, or null in phase 0: break-even from phase 1, never looser
 * than break-even after it, a wide ATR trail off the extreme from phase 2 and a tighter one from phase 3.
 */
export function targetStop(trade: OpenTrade, atr: number, p: TrailParameters): number | null {
  const phase = phaseOf(trade.peakR, p);
  if (phase === 0) return null;
  const favourable = trade.sign * (trade.extreme - trade.entry);
  let lead = 0;
  if (phase >= 2) lead = Math.max(lead, favourable - p.wideTrailAtr * atr);
  if (phase === 3) lead = Math.max(lead, favourable - p.tightTrailAtr * atr);
  return trade.entry + trade.sign * lead;
}

/**
 * The new stop price, or null to leave the stop alone. A stop only ever tightens; small steps are skipped
 * (each move is two venue requests against the rate limit) except the first move to break-even, which always
 * goes; a level the close has already passed is skipped rather than sent as an at-once exit.
 */
export function stopToMove(trade: OpenTrade, currentStop: number, close: number, atr: number, p: TrailParameters): number | null {
  const target = targetStop(trade, atr, p);
  if (target === null) return null;
  const s = trade.sign;
  const improvement = s * (target - currentStop);
  if (improvement <= 0 || s * (close - target) <= 0) return null;
  const reachesBreakEven = s * (currentStop - trade.entry) < 0;
  if (!reachesBreakEven && improvement < p.minStopStepAtr * atr) return null;
  return target;
}
