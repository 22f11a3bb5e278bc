import { Decimal } from '../../core/decimal.ts';
import type { Scope } from '../store/supervisor-store.ts';

export interface DrawdownReading {
  peak: Decimal;
  equity: Decimal;
  /** (peak − equity) / peak, as a fraction; zero when at a peak. */
  drawdown: Decimal;
}

/**
 * Peak-to-trough equity over a sliding window, per scope, with the peak held in a monotonic deque so each
 * observation costs amortized O(1).
 */
export class DrawdownTracker {
  readonly #windows = new Map<Scope, Array<{ at: number; equity: Decimal }>>();
  readonly #last = new Map<Scope, DrawdownReading>();

  observe(scope: Scope, equity: Decimal, at: number, windowMs: number): DrawdownReading {
    let deque = this.#windows.get(scope);
    if (deque === undefined) {
      deque = [];
      this.#windows.set(scope, deque);
    }
    while (deque.length > 0 && (deque[deque.length - 1]?.equity.lte(equity) ?? false)) deque.pop();
    deque.push({ at, equity });
    let expired = 0;
    while (expired < deque.length - 1 && (deque[expired]?.at ?? Infinity) < at - windowMs) expired++;
    if (expired > 0) deque.splice(0, expired);
    const peak = deque[0]?.equity ?? equity;
    const drawdown = peak.isPositive() && equity.lt(peak) ? peak.sub(equity).div(peak) : Decimal.ZERO;
    const reading = { peak, equity, drawdown };
    this.#last.set(scope, reading);
    return reading;
  }

  /** After an explicit resume the old peak no longer applies; the window starts again from here. */
  reset(scope: Scope): void {
    this.#windows.delete(scope);
    this.#last.delete(scope);
  }

  reading(scope: Scope): DrawdownReading | null {
    return this.#last.get(scope) ?? null;
  }
}
