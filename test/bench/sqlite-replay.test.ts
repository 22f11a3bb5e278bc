import { DatabaseSync, StatementSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { recordStatements } from '../../bench/sqlite-replay.ts';
import type { StatementRecording } from '../../bench/sqlite-replay.ts';

describe('recordStatements', () => {
  let recording: StatementRecording | null = null;
  afterEach(() => recording?.stop());

  it('replays every statement of every database, in order, on fresh databases', () => {
    const run = StatementSync.prototype.run;
    recording = recordStatements();
    const ledger = new DatabaseSync(':memory:');
    const store = new DatabaseSync(':memory:');
    // The same table and the same rows in both: replayed into one database, the second CREATE or a UNIQUE would throw.
    for (const database of [ledger, store]) database.exec('CREATE TABLE journal (entry TEXT NOT NULL UNIQUE)');
    const intoLedger = ledger.prepare('INSERT INTO journal (entry) VALUES (?)');
    const intoStore = store.prepare('INSERT INTO journal (entry) VALUES (?)');
    for (let i = 0; i < 50; i++) {
      intoStore.run(`100.${i}`);
      intoLedger.run(`100.${i}`);
    }
    expect((ledger.prepare('SELECT COUNT(*) AS n FROM journal').get() as { n: number }).n).toBe(50);
    const replayed = recording.replay();
    // 100 inserts and the one count.
    expect(replayed.statements).toBe(101);
    expect(replayed.seconds).toBeGreaterThan(0);
    expect(StatementSync.prototype.run).toBe(run);
    ledger.close();
    store.close();
  });

  it('fails the replay where a statement failed in the run: it replays the run as it was, not a cleaned-up version of it', () => {
    recording = recordStatements();
    const ledger = new DatabaseSync(':memory:');
    ledger.exec('CREATE TABLE fills (price TEXT NOT NULL UNIQUE)');
    const fill = ledger.prepare('INSERT INTO fills (price) VALUES (?)');
    fill.run('1');
    expect(() => fill.run('1')).toThrow(/UNIQUE/);
    expect(() => recording?.replay()).toThrow(/UNIQUE/);
    ledger.close();
  });

  it('puts node:sqlite back as it was when stopped', () => {
    const prepare = DatabaseSync.prototype.prepare;
    recording = recordStatements();
    expect(DatabaseSync.prototype.prepare).not.toBe(prepare);
    recording.stop();
    expect(DatabaseSync.prototype.prepare).toBe(prepare);
  });
});
