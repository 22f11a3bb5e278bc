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

export interface AcceleratedClockOptions {
  /** Market time at the moment the clock is made, ms since the Unix epoch. */
  startMs: number;
  /** Market ms per real ms: 1 is real time, 60 runs an hour of market per real minute. */
  speed: number;
  /** Where real time comes from; tests pass a ManualClock. */
  realClock?: Clock;
}

/** Market time that runs `speed` times faster than real time, so the fleet can live through days in minutes. */
export class AcceleratedClock implements Clock {
  readonly startMs: number;
  readonly speed: number;
  readonly #real: Clock;
  readonly #realStartNs: bigint;

  constructor(options: AcceleratedClockOptions) {
    if (!Number.isSafeInteger(options.startMs)) throw new RangeError(`startMs must be an integer of ms, got ${options.startMs}`);
    if (!Number.isFinite(options.speed) || options.speed <= 0) throw new RangeError(`speed must be a positive number, got ${options.speed}`);
    this.startMs = options.startMs;
    this.speed = options.speed;
    this.#real = options.realClock ?? systemClock;
    this.#realStartNs = this.#real.monotonicNs();
  }

  now(): number {
    // Elapsed time is read from the monotonic clock so that a wall-clock step (NTP) never moves market time back.
    const elapsedMs = Number(this.#real.monotonicNs() - this.#realStartNs) / 1e6;
    return this.startMs + Math.floor(elapsedMs * this.speed);
  }

  /** Real nanoseconds: latencies are measured in real time whatever the speed. */
  monotonicNs(): bigint {
    return this.#real.monotonicNs();
  }
}

/**
 * Resolves true once `clock` reads at least `targetMs` (after a real wait of (target − now) / speed), or false
 * as soon as `signal` aborts. The one place timers are allowed: the product runs in (accelerated) real time.
 */
export function sleepUntil(clock: Clock & { readonly speed?: number }, targetMs: number, signal?: AbortSignal): Promise<boolean> {
  const speed = clock.speed ?? 1;
  return new Promise<boolean>((resolve) => {
    if (signal?.aborted === true) {
      resolve(false);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    const finish = (reached: boolean): void => {
      clearTimeout(timer);
      clearImmediate(immediate);
      signal?.removeEventListener('abort', onAbort);
      resolve(reached);
    };
    const onAbort = (): void => finish(false);
    const check = (): void => {
      const remainingMs = targetMs - clock.now();
      if (remainingMs <= 0) {
        finish(true);
        return;
      }
      // Re-checked when the timer fires, because timers fire early or late.
      timer = setTimeout(check, Math.max(1, Math.ceil(remainingMs / speed)));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // Even a target already passed waits for the next turn of the event loop, so a feed that has fallen behind cannot starve I/O.
    immediate = setImmediate(check);
  });
}
