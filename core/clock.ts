/** The one source of time; injected everywhere so tests and backtests control it. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** A monotonic high-resolution reading in nanoseconds, for latencies only. */
  monotonicNs(): bigint;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonicNs: () => process.hrtime.bigint(),
};

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  #now: number;
  #ns = 0n;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  monotonicNs(): bigint {
    return this.#ns;
  }

  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock never goes back');
    this.#now += ms;
    this.#ns += BigInt(Math.round(ms * 1e6));
  }

  set(ms: number): void {
    this.advance(ms - this.#now);
  }
}
