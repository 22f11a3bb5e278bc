import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { Decimal } from '../core/decimal.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * How a ledger's equity curve is thinned as it ages: every snapshot for the last day, then the lowest and the highest
 * of each hour up to 30 days, and the lowest and the highest of each day beyond. Peaks and troughs survive at each
 * resolution, so a drawdown read from the curve is never understated by more than the resolution's own moves, and a
 * year costs about 2,100 rows a bot instead of half a million.
 */
export const EQUITY_RETENTION: ReadonlyArray<{ olderThanMs: number; bucketMs: number }> = [
  { olderThanMs: DAY_MS, bucketMs: HOUR_MS },
  { olderThanMs: 30 * DAY_MS, bucketMs: DAY_MS },
];

/** Runs the thinning once per market hour of snapshots; what it already thinned is not read again. */
export class EquityRetention {
  readonly #select: StatementSync;
  readonly #deleteOthers: StatementSync;
  /** Per tier, the time up to which it has thinned; zero after an open, so a ledger from an older build is thinned once. */
  readonly #thinnedTo = EQUITY_RETENTION.map(() => 0);
  #lastHour = Number.NEGATIVE_INFINITY;

  constructor(db: DatabaseSync) {
    this.#select = db.prepare('SELECT id, at, equity FROM equity_snapshots WHERE at >= ? AND at < ? ORDER BY at, id');
    this.#deleteOthers = db.prepare('DELETE FROM equity_snapshots WHERE at >= ? AND at < ? AND id NOT IN (SELECT value FROM json_each(?))');
  }

  /** Call inside the write that records a snapshot taken at `at`. */
  afterSnapshot(at: number): void {
    const hour = Math.floor(at / HOUR_MS);
    if (hour <= this.#lastHour) return;
    this.#lastHour = hour;
    EQUITY_RETENTION.forEach((tier, index) => {
      const from = this.#thinnedTo[index] as number;
      const to = Math.floor((at - tier.olderThanMs) / tier.bucketMs) * tier.bucketMs;
      if (to <= from) return;
      this.#thin(from, to, tier.bucketMs);
      this.#thinnedTo[index] = to;
    });
  }

  /** Keeps the lowest and the highest snapshot of each bucket in [from, to); ties keep the earliest. */
  #thin(from: number, to: number, bucketMs: number): void {
    const rows = this.#select.all(from, to) as Array<{ id: number; at: number; equity: string }>;
    const kept: number[] = [];
    let bucket = Number.NaN;
    let low: { id: number; equity: Decimal } | null = null;
    let high: { id: number; equity: Decimal } | null = null;
    const flush = (): void => {
      if (low !== null) kept.push(low.id);
      if (high !== null && high.id !== low?.id) kept.push(high.id);
    };
    for (const row of rows) {
      const rowBucket = Math.floor(row.at / bucketMs);
      if (rowBucket !== bucket) {
        flush();
        bucket = rowBucket;
        low = null;
        high = null;
      }
      const equity = Decimal.parse(row.equity);
      if (low === null || equity.lt(low.equity)) low = { id: row.id, equity };
      if (high === null || equity.gt(high.equity)) high = { id: row.id, equity };
    }
    flush();
    if (kept.length < rows.length) this.#deleteOthers.run(from, to, JSON.stringify(kept));
  }
}
