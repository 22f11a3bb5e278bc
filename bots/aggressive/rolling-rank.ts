/**
 * The percentile rank of each new value among the last `size` values: the share of them at or below it.
 * trading-signals 8.3 has no rolling percentile, so this one piece of the regime is the bot's own; its tests hold
 * it to the naive definition.
 * A sorted copy of the window is kept beside the arrival order, so each update is two binary searches and a
 * shift of the values between the leaving and the arriving one, instead of a scan of the whole window.
 */
export class RollingRank {
  readonly #arrivals: Float64Array;
  readonly #sorted: Float64Array;
  #next = 0;
  #count = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`size must be a positive integer, got ${size}`);
    this.#arrivals = new Float64Array(size);
    this.#sorted = new Float64Array(size);
  }

  /** True once the window holds `size` values. */
  get full(): boolean {
    return this.#count === this.#arrivals.length;
  }

  /** Adds a value, dropping the oldest when full, and returns the share of the window (itself included) at or below it. */
  push(value: number): number {
    const sorted = this.#sorted;
    const size = this.#arrivals.length;
    const count = this.#count;
    const above = firstAbove(sorted, count, value);
    let at: number;
    if (count === size) {
      // The oldest value leaves and the new one takes its place: only the values between the two slots shift.
      const removed = firstAbove(sorted, count, this.#arrivals[this.#next]!) - 1;
      if (above > removed) {
        at = above - 1;
        shiftDown(sorted, removed, at);
      } else {
        at = above;
        shiftUp(sorted, at, removed);
      }
    } else {
      at = above;
      shiftUp(sorted, at, count);
      this.#count = count + 1;
    }
    sorted[at] = value;
    this.#arrivals[this.#next] = value;
    this.#next = this.#next + 1 === size ? 0 : this.#next + 1;
    return (at + 1) / this.#count;
  }
}

/** Below this many values a plain loop moves them faster than copyWithin, whose call costs more than the copy. */
const COPY_WITHIN_FROM = 24;

/** Moves sorted[from + 1 ..= to] one place down, over sorted[from]. */
function shiftDown(sorted: Float64Array, from: number, to: number): void {
  if (to - from > COPY_WITHIN_FROM) sorted.copyWithin(from, from + 1, to + 1);
  else for (let i = from; i < to; i++) sorted[i] = sorted[i + 1]!;
}

/** Moves sorted[from .. to) one place up, over sorted[to]. */
function shiftUp(sorted: Float64Array, from: number, to: number): void {
  if (to - from > COPY_WITHIN_FROM) sorted.copyWithin(from + 1, from, to);
  else for (let i = to; i > from; i--) sorted[i] = sorted[i - 1]!;
}

/** Index of the first of the `count` sorted values that is greater than `value` (`count` if none is). */
function firstAbove(sorted: Float64Array, count: number, value: number): number {
  let low = 0;
  let high = count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}
