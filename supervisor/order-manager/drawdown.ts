import { Decimal } from '../../core/decimal.ts';
import type { Scope } from '../store/supervisor-store.ts';

export interface DrawdownReading {
  peak: Decimal;
  equity: Decimal;
  /** (peak − equity) / peak, as a fraction; zero when at a peak. */
  drawdown: Decimal;
}

/**
 * Entries per window at most, about: an observation in the same slice of the window as the deque's last entry
 * (1/1000 of the window) is folded into it, keeping the higher equity and the later time. The peak is then held
 * up to one slice longer than the window, never shorter, so a drawdown is never under-read, and a 30-day window
 * costs about a thousand entries however often equity moves.
 */
const SLICES_PER_WINDOW = 1_000;

interface Deque {
  entries: Array<{ at: number; equity: Decimal }>;
  last: DrawdownReading | null;
}

/**
 * Peak-to-trough equity over sliding windows, per scope and window length, with the peak held in a monotonic
 * deque so each observation costs amortized O(1).
 */
export class DrawdownTracker {
  readonly #windows = new Map<Scope, Map<number, Deque>>();

  observe(scope: Scope, equity: Decimal, at: number, windowMs: number): DrawdownReading {
    let windows = this.#windows.get(scope);
    if (windows === undefined) {
      windows = new Map();
      this.#windows.set(scope, windows);
    }
    let deque = windows.get(windowMs);
    if (deque === undefined) {
      deque = { entries: [], last: null };
      windows.set(windowMs, deque);
    }
    const entries = deque.entries;
    while (entries.length > 0 && (entries[entries.length - 1]?.equity.lte(equity) ?? false)) entries.pop();
    const slice = Math.max(1, Math.floor(windowMs / SLICES_PER_WINDOW));
    const tail = entries[entries.length - 1];
    if (tail !== undefined && Math.floor(tail.at / slice) === Math.floor(at / slice)) tail.at = at;
    else entries.push({ at, equity });
    let expired = 0;
    while (expired < entries.length - 1 && (entries[expired]?.at ?? Infinity) < at - windowMs) expired++;
    if (expired > 0) entries.splice(0, expired);
    const peak = entries[0]?.equity ?? equity;
    const drawdown = peak.isPositive() && equity.lt(peak) ? peak.sub(equity).div(peak) : Decimal.ZERO;
    const reading = { peak, equity, drawdown };
    deque.last = reading;
    return reading;
  }

  /** After an explicit resume the old peak no longer applies; every window starts again from here. */
  reset(scope: Scope): void {
    this.#windows.delete(scope);
  }

  reading(scope: Scope, windowMs: number): DrawdownReading | null {
    return this.#windows.get(scope)?.get(windowMs)?.last ?? null;
  }
}
