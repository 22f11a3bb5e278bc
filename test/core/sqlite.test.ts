import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreLockedError } from '../../core/errors.ts';
import { CHECKPOINT_EVERY_COMMITS, GroupCommit, openDatabase } from '../../core/sqlite.ts';

const MIGRATIONS = [{ version: 1, statements: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);' }];

describe('sqlite helpers', () => {
  const dirs: string[] = [];
  const fresh = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-sqlite-'));
    dirs.push(dir);
    return join(dir, 'x.sqlite');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function countFromAnotherConnection(path: string): number {
    const reader = new DatabaseSync(path, { readOnly: true });
    try {
      return (reader.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
    } finally {
      reader.close();
    }
  }

  it('opens in WAL mode and refuses a second writer in the same process', () => {
    const path = fresh();
    const opened = openDatabase(path, MIGRATIONS);
    expect((opened.db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    expect(() => openDatabase(path, MIGRATIONS)).toThrow(StoreLockedError);
    opened.close();
    openDatabase(path, MIGRATIONS).close();
  });

  it('keeps group-committed writes invisible to other connections until the delayed commit lands', async () => {
    const path = fresh();
    const { db, close } = openDatabase(path, MIGRATIONS);
    const batch = new GroupCommit(db, () => {}, (error) => {
      throw error;
    }, 5);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    batch.write(() => insert.run('a'));
    batch.write(() => insert.run('b'));
    expect(countFromAnotherConnection(path)).toBe(0);
    await batch.whenCommitted();
    expect(countFromAnotherConnection(path)).toBe(2);
    close();
  });

  it('starts the WAL over right after a checkpoint, so the header sync that costs is not inside the next commit', async () => {
    const path = fresh();
    const { db, close } = openDatabase(path, MIGRATIONS);
    const batch = new GroupCommit(db, () => {}, (error) => {
      throw error;
    });
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    // The WAL header's salts change exactly when SQLite starts the WAL over (and syncs the new header).
    const salts = (): string => readFileSync(`${path}-wal`).subarray(16, 24).toString('hex');
    const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    for (let index = 0; index < CHECKPOINT_EVERY_COMMITS; index++) {
      batch.write(() => insert.run(`row ${index}`));
      batch.commit();
    }
    const beforeCheckpoint = salts();
    // The checkpoint runs in the tick after the commit that reached the count.
    await tick();
    const afterCheckpoint = salts();
    expect(afterCheckpoint).not.toBe(beforeCheckpoint);
    // An order's commit now appends to the restarted WAL: no new header, no sync of it.
    batch.write(() => insert.run('an order'));
    batch.commit();
    expect(salts()).toBe(afterCheckpoint);
    expect(countFromAnotherConnection(path)).toBe(CHECKPOINT_EVERY_COMMITS + 1);
    expect((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(1);
    close();
  });

  it('commits at once when asked, whatever the delay', async () => {
    const path = fresh();
    const { db, close } = openDatabase(path, MIGRATIONS);
    const batch = new GroupCommit(db, () => {}, (error) => {
      throw error;
    }, 60_000);
    batch.write(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('a'));
    batch.commit();
    expect(countFromAnotherConnection(path)).toBe(1);
    await batch.whenCommitted();
    close();
  });
});
