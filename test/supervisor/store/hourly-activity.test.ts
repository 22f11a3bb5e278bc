import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.ts';
import { parseBotId } from '../../../core/ids.ts';
import { HOUR_MS, HOURLY_RETENTION_HOURS, hourOf } from '../../../supervisor/store/hourly-activity.ts';
import { SupervisorStore } from '../../../supervisor/store/supervisor-store.ts';

const ALPHA = parseBotId('alpha');
const BRAVO = parseBotId('bravo');
const HOUR = Date.UTC(2026, 2, 2, 14, 0);
const dec = (text: string) => Decimal.parse(text);

describe('supervisor store: per-hour notes and risk peaks', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-hourly-'));
    path = join(dir, 'supervisor.sqlite');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts notes per bot, hour, name and value, and the counts survive a reopen (a supervisor restart)', () => {
    // Arrange
    const store = new SupervisorStore(path);
    store.hourly.countNote(ALPHA, HOUR + 1, 'suppress', 'LOCKED');
    store.hourly.countNote(ALPHA, HOUR + 2, 'suppress', 'LOCKED');
    store.hourly.countNote(ALPHA, HOUR + HOUR_MS - 1, 'route', 'ENTRY');
    store.hourly.countNote(ALPHA, HOUR + HOUR_MS, 'route', 'ENTRY');
    store.hourly.countNote(BRAVO, HOUR, 'route', 'ENTRY');
    // Act: a restart opens the same file again.
    store.close();
    const reopened = new SupervisorStore(path);
    // Assert
    try {
      expect(reopened.hourly.notes(ALPHA, HOUR)).toEqual([
        { hour: HOUR + HOUR_MS, note: 'route', value: 'ENTRY', count: 1 },
        { hour: HOUR, note: 'route', value: 'ENTRY', count: 1 },
        { hour: HOUR, note: 'suppress', value: 'LOCKED', count: 2 },
      ]);
      expect(reopened.hourly.notes(ALPHA, HOUR + HOUR_MS)).toHaveLength(1);
      expect(reopened.hourly.notes(BRAVO, HOUR)).toEqual([{ hour: HOUR, note: 'route', value: 'ENTRY', count: 1 }]);
    } finally {
      reopened.close();
    }
  });

  it('keeps the highest risk in use of each hour, across a reopen', () => {
    const store = new SupervisorStore(path);
    store.hourly.recordRiskInUse(ALPHA, HOUR + 1, dec('0.004'));
    store.hourly.recordRiskInUse(ALPHA, HOUR + 2, dec('0.009'));
    store.hourly.recordRiskInUse(ALPHA, HOUR + 3, dec('0.002'));
    store.close();
    const reopened = new SupervisorStore(path);
    // A lower reading after the restart does not lower the hour's peak; the next hour starts afresh.
    reopened.hourly.recordRiskInUse(ALPHA, HOUR + 4, dec('0.005'));
    reopened.hourly.recordRiskInUse(ALPHA, HOUR + HOUR_MS, dec('0'));
    expect(reopened.hourly.riskPeaks(ALPHA, HOUR)).toEqual([
      { hour: HOUR + HOUR_MS, peak: dec('0') },
      { hour: HOUR, peak: dec('0.009') },
    ]);
    reopened.close();
  });

  it('drops hours older than the retention once a newer hour is written', () => {
    const store = new SupervisorStore(path);
    const old = HOUR - HOURLY_RETENTION_HOURS * HOUR_MS - HOUR_MS;
    store.hourly.countNote(ALPHA, old, 'route', 'ENTRY');
    store.hourly.recordRiskInUse(ALPHA, old, dec('0.01'));
    store.hourly.countNote(ALPHA, HOUR, 'route', 'ENTRY');
    store.close();
    const db = new DatabaseSync(path);
    try {
      expect(db.prepare('SELECT hour FROM hourly_notes').all().map((row) => row['hour'])).toEqual([HOUR]);
      expect(db.prepare('SELECT COUNT(*) AS n FROM hourly_risk').get()?.['n']).toBe(0);
    } finally {
      db.close();
    }
  });

  it('puts a time in the hour on the UTC grid that holds it', () => {
    expect(hourOf(HOUR)).toBe(HOUR);
    expect(hourOf(HOUR + HOUR_MS - 1)).toBe(HOUR);
    expect(hourOf(HOUR - 1)).toBe(HOUR - HOUR_MS);
  });
});
