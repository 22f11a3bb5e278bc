/**
 * A sliding-window request budget per sub-account: venues throttle per account, so the order manager
 * refuses locally (RATE_LIMIT_EXCEEDED) before the venue would reject or ban.
 */
export class SlidingWindowRateLimiter<K> {
  readonly #windows = new Map<K, number[]>();
  readonly #maxRequests: (key: K) => number;
  readonly #windowMs: (key: K) => number;

  constructor(limits: { maxRequests: (key: K) => number; windowMs: (key: K) => number }) {
    this.#maxRequests = limits.maxRequests;
    this.#windowMs = limits.windowMs;
  }

  #prune(key: K, now: number): number[] {
    let times = this.#windows.get(key);
    if (times === undefined) {
      times = [];
      this.#windows.set(key, times);
    }
    const cutoff = now - this.#windowMs(key);
    let drop = 0;
    while (drop < times.length && (times[drop] ?? Infinity) <= cutoff) drop++;
    if (drop > 0) times.splice(0, drop);
    return times;
  }

  /** True when `count` more requests fit the window now. */
  wouldAllow(key: K, count: number, now: number): boolean {
    return this.#prune(key, now).length + count <= this.#maxRequests(key);
  }

  /** Counts requests actually sent; cancels are counted too but never refused, so a kill always goes out. */
  record(key: K, count: number, now: number): void {
    const times = this.#prune(key, now);
    for (let i = 0; i < count; i++) times.push(now);
  }

  used(key: K, now: number): number {
    return this.#prune(key, now).length;
  }
}
