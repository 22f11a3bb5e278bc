import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import { parseBotId } from '../../core/ids.ts';
import { openLedger } from '../../ledger/sqlite-ledger.ts';
import type { EquitySnapshot, Ledger } from '../../ledger/types.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 0, 1);

/** A deterministic wandering equity curve, one snapshot a minute. */
function curve(days: number): EquitySnapshot[] {
  const snapshots: EquitySnapshot[] = [];
  let equity = 100_000;
  let seed = 12_345;
  for (let minute = 0; minute < days * 24 * 60; minute++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    equity += ((seed / 2_147_483_648) - 0.5) * 40;
    const value = Decimal.fromNumber(equity, 2);
    snapshots.push({ at: START + minute * MINUTE, balance: value, unrealizedPnl: Decimal.ZERO, equity: value });
  }
  return snapshots;
}

function extremesPerBucket(snapshots: readonly EquitySnapshot[], from: number, to: number, bucketMs: number): Map<number, string> {
  const buckets = new Map<number, { low: Decimal; high: Decimal }>();
  for (const snapshot of snapshots) {
    if (snapshot.at < from || snapshot.at >= to) continue;
    const bucket = Math.floor(snapshot.at / bucketMs);
    const seen = buckets.get(bucket);
    buckets.set(bucket, seen === undefined ? { low: snapshot.equity, high: snapshot.equity } : { low: Decimal.min(seen.low, snapshot.equity), high: Decimal.max(seen.high, snapshot.equity) });
  }
  return new Map([...buckets].map(([bucket, { low, high }]) => [bucket, `${low.toString()}..${high.toString()}`]));
}

describe('equity snapshot retention', () => {
  let dir = '';
  let ledger: Ledger | null = null;
  afterEach(() => {
    ledger?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('test_forty_days_of_minute_snapshots_when_recorded_then_the_last_day_is_whole_and_older_ones_keep_each_hour_or_days_low_and_high', () => {
    // Arrange
    dir = mkdtempSync(join(tmpdir(), 'flotilla-equity-retention-'));
    const clock = new ManualClock(START);
    ledger = openLedger({ path: join(dir, 'alpha.ledger.sqlite'), botId: parseBotId('alpha'), clock });
    const all = curve(40);
    // Act
    for (const snapshot of all) ledger.recordEquitySnapshot(snapshot);
    // Assert
    const kept = ledger.equitySnapshots(0);
    const last = (all.at(-1) as EquitySnapshot).at;
    const dayAgo = Math.floor((last - DAY) / HOUR) * HOUR;
    const monthAgo = Math.floor((last - 30 * DAY) / DAY) * DAY;
    expect(kept.filter((snapshot) => snapshot.at >= dayAgo)).toEqual(all.filter((snapshot) => snapshot.at >= dayAgo));
    expect(extremesPerBucket(kept, monthAgo, dayAgo, HOUR)).toEqual(extremesPerBucket(all, monthAgo, dayAgo, HOUR));
    expect(extremesPerBucket(kept, 0, monthAgo, DAY)).toEqual(extremesPerBucket(all, 0, monthAgo, DAY));
    expect(kept.filter((snapshot) => snapshot.at < dayAgo).length).toBeLessThanOrEqual(2 * ((dayAgo - monthAgo) / HOUR) + 2 * ((monthAgo - START) / DAY));
    expect(kept.length).toBeLessThan(all.length / 15);
  });
});
