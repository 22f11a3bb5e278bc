import { afterEach, describe, expect, it, vi } from 'vitest';
import { AcceleratedClock, ManualClock, sleepUntil } from '../../core/clock.ts';

const START = Date.UTC(2026, 0, 1);

describe('the manual clock', () => {
  it('moves only when told and never goes back', () => {
    const clock = new ManualClock(START);
    clock.advance(1500);
    expect(clock.now()).toBe(START + 1500);
    expect(clock.monotonicNs()).toBe(1_500_000_000n);
    expect(() => clock.set(START)).toThrow(RangeError);
  });
});

describe('the accelerated clock', () => {
  it('runs market time speed times faster than real time from its start', () => {
    const real = new ManualClock(0);
    const clock = new AcceleratedClock({ startMs: START, speed: 60, realClock: real });
    expect(clock.now()).toBe(START);
    real.advance(1000);
    expect(clock.now()).toBe(START + 60_000);
  });

  it('runs in real time at speed 1', () => {
    const real = new ManualClock(0);
    const clock = new AcceleratedClock({ startMs: START, speed: 1, realClock: real });
    real.advance(12_345);
    expect(clock.now()).toBe(START + 12_345);
  });

  it('keeps latencies in real nanoseconds whatever the speed', () => {
    const real = new ManualClock(0);
    const clock = new AcceleratedClock({ startMs: START, speed: 1000, realClock: real });
    const before = clock.monotonicNs();
    real.advance(2);
    expect(clock.monotonicNs() - before).toBe(2_000_000n);
  });

  it('reads whole milliseconds that never decrease at a fractional speed', () => {
    const real = new ManualClock(0);
    const clock = new AcceleratedClock({ startMs: START, speed: 2.5, realClock: real });
    let previous = clock.now();
    for (let i = 0; i < 100; i++) {
      real.advance(0.3);
      const now = clock.now();
      expect(Number.isInteger(now)).toBe(true);
      expect(now).toBeGreaterThanOrEqual(previous);
      previous = now;
    }
  });

  it('refuses a speed that is not positive and a start that is not whole ms', () => {
    expect(() => new AcceleratedClock({ startMs: START, speed: 0 })).toThrow(/speed/);
    expect(() => new AcceleratedClock({ startMs: START, speed: Number.NaN })).toThrow(/speed/);
    expect(() => new AcceleratedClock({ startMs: 1.5, speed: 1 })).toThrow(/startMs/);
  });
});

describe('sleeping until a clock time', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits the real-time remainder divided by the speed, then resolves true', async () => {
    vi.useFakeTimers();
    const real = new ManualClock(0);
    const clock = new AcceleratedClock({ startMs: START, speed: 60, realClock: real });
    let reached: boolean | undefined;
    void sleepUntil(clock, START + 60_000).then((value) => (reached = value));
    // Fake timers and the manual real clock advance together, as real time would move both.
    real.advance(999);
    await vi.advanceTimersByTimeAsync(999);
    expect(reached).toBeUndefined();
    real.advance(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(reached).toBe(true);
  });

  it('sleeps again when its timer fires before the clock reaches the target', async () => {
    vi.useFakeTimers();
    const clock = new ManualClock(START);
    let reached: boolean | undefined;
    void sleepUntil(clock, START + 100).then((value) => (reached = value));
    await vi.advanceTimersByTimeAsync(100); // the timer fires but the manual clock has not moved
    expect(reached).toBeUndefined();
    clock.advance(60);
    await vi.advanceTimersByTimeAsync(100); // fires again with 40 ms still to go
    expect(reached).toBeUndefined();
    clock.advance(40);
    await vi.advanceTimersByTimeAsync(40);
    expect(reached).toBe(true);
  });

  it('resolves true on the next turn when the target has already passed', async () => {
    vi.useFakeTimers();
    const clock = new ManualClock(START);
    let reached: boolean | undefined;
    void sleepUntil(clock, START - 1).then((value) => (reached = value));
    expect(reached).toBeUndefined();
    await vi.advanceTimersByTimeAsync(0);
    expect(reached).toBe(true);
  });

  it('resolves false at once when aborted, before or during the wait', async () => {
    vi.useFakeTimers();
    const clock = new ManualClock(START);
    const aborted = new AbortController();
    aborted.abort();
    expect(await sleepUntil(clock, START + 1000, aborted.signal)).toBe(false);

    const controller = new AbortController();
    const pending = sleepUntil(clock, START + 60_000, controller.signal);
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    expect(await pending).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
