import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { StatementSync } from 'node:sqlite';
import { InvariantViolation, StoreLockedError } from './errors.ts';

/** One schema step; applied in order, each inside its own transaction, and recorded in user_version. */
export interface Migration {
  version: number;
  statements: string;
}

/**
 * How much a commit survives. NORMAL (WAL): a committed transaction survives any crash of this process,
 * which is what crash-only recovery needs; FULL also survives power loss, at the cost of an fsync per commit.
 */
export type Durability = 'NORMAL' | 'FULL';

export interface OpenedDatabase {
  db: DatabaseSync;
  /** Releases the writer lock and closes the file. */
  close(): void;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<file>.lock` for this process; a lock left by a dead process is taken over, a live one refuses. */
function acquireWriterLock(path: string): () => void {
  const lockPath = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(lockPath);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
      if (Number.isSafeInteger(holder) && holder !== process.pid && processIsAlive(holder)) {
        throw new StoreLockedError(`${path} is already open for writing by process ${holder}; one writer per file`);
      }
      if (holder === process.pid) {
        throw new StoreLockedError(`${path} is already open for writing in this process; one writer per file`);
      }
      unlinkSync(lockPath);
    }
  }
  throw new StoreLockedError(`could not take the writer lock on ${path}`);
}

/**
 * Creates the file, if it is new, readable and writable by the owner alone. SQLite gives the -wal and -shm files it
 * makes beside a database the database file's own permissions, so they follow.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}

/** Opens (creating if needed) a SQLite file in WAL mode as its only writer, and migrates it. */
export function openDatabase(path: string, migrations: readonly Migration[], durability: Durability = 'NORMAL'): OpenedDatabase {
  if (path !== ':memory:') createPrivately(path);
  const release = path === ':memory:' ? () => {} : acquireWriterLock(path);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
    // Checkpoints are the GroupCommit's to run, between requests (see CHECKPOINT_EVERY_COMMITS), never inside a commit.
    db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${durability}; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 0;`);
    migrate(db, migrations, path);
  } catch (error) {
    release();
    throw error;
  }
  return {
    db,
    close() {
      if (db.isOpen) db.close();
      release();
    },
  };
}

/** Opens a file written by another process, for reading only (operator tools, bots reading their own ledger). */
export function openDatabaseReadOnly(path: string): DatabaseSync {
  const db = new DatabaseSync(path, { readOnly: true });
  db.exec('PRAGMA busy_timeout = 5000;');
  return db;
}

function migrate(db: DatabaseSync, migrations: readonly Migration[], path: string): void {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  const current = row.user_version;
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > latest) {
    throw new InvariantViolation(`${path} has schema version ${current}, newer than this build knows (${latest}); refusing to touch it`);
  }
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (migration.version <= current) continue;
    transaction(db, () => {
      db.exec(migration.statements);
      db.exec(`PRAGMA user_version = ${migration.version}`);
    });
  }
}

/** Runs `work` in one transaction; a throw rolls everything back so no half-written state survives. */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** Writes per commit before the batch commits early; bounds how much a crash can lose and how large a commit grows. */
const MAX_WRITES_PER_COMMIT = 1000;

/**
 * Commits between two WAL checkpoints. SQLite's own automatic checkpoint runs inside whichever commit crosses its
 * threshold, adding milliseconds to that one (an order waiting to be sent); here it runs on its own, right after a
 * commit, once the caller has returned. A few hundred small commits keep the WAL to a few megabytes.
 */
export const CHECKPOINT_EVERY_COMMITS = 256;

/**
 * Group commit. A commit costs far more than the writes in it, so writes join one open transaction that commits
 * at the end of the current tick (or after MAX_WRITES_PER_COMMIT writes, or when flushed). A crash can therefore
 * lose the writes of the current tick only; a caller that must have a write on disk before it acts (an order
 * before it is sent) calls commit(). A failed write or commit leaves memory ahead of the file, so `fail` must
 * close the store and let recovery take over.
 */
export class GroupCommit {
  readonly #db: DatabaseSync;
  readonly #begin: StatementSync;
  readonly #commit: StatementSync;
  readonly #beforeCommit: () => void;
  readonly #fail: (error: unknown) => never;
  #open = false;
  #writes = 0;
  #scheduled = false;
  readonly #delayMs: number;
  #waiters: Array<() => void> = [];
  #commitsSinceCheckpoint = 0;
  #checkpointScheduled = false;
  readonly #checkpoint: StatementSync;
  readonly #primeWal: StatementSync;

  /**
   * `delayMs` 0 commits at the end of the current tick; a few ms instead lets one commit carry a burst of
   * writes arriving over several ticks, for stores where nothing is sent on the strength of the write alone.
   */
  constructor(db: DatabaseSync, beforeCommit: () => void, fail: (error: unknown) => never, delayMs = 0) {
    this.#delayMs = delayMs;
    this.#db = db;
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
    // Rewrites the schema version with its own value: the smallest write there is (page 1), and it changes nothing.
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    this.#primeWal = db.prepare(`PRAGMA user_version = ${version}`);
    this.#beforeCommit = beforeCommit;
    this.#fail = fail;
  }

  /** `work` makes the writes and the in-memory changes they stand for, so an early commit never splits them. */
  write<T>(work: () => T): T {
    let result: T;
    try {
      if (!this.#open) this.#beginAndSchedule();
      result = work();
    } catch (error) {
      this.#fail(error);
    }
    this.#writes += 1;
    if (this.#writes >= MAX_WRITES_PER_COMMIT) this.commit();
    return result;
  }

  #beginAndSchedule(): void {
    this.#begin.run();
    this.#open = true;
    if (this.#scheduled) return;
    this.#scheduled = true;
    const commit = (): void => {
      this.#scheduled = false;
      this.commit();
    };
    if (this.#delayMs === 0) setImmediate(commit);
    else setTimeout(commit, this.#delayMs).unref();
  }

  /** Resolves once everything written so far is committed; at once when nothing is pending. */
  whenCommitted(): Promise<void> {
    if (!this.#open) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  commit(): void {
    if (!this.#open) return;
    try {
      this.#beforeCommit();
      this.#commit.run();
    } catch (error) {
      this.#fail(error);
    }
    this.#open = false;
    this.#writes = 0;
    for (const resolve of this.#waiters.splice(0)) resolve();
    this.#commitsSinceCheckpoint += 1;
    if (this.#commitsSinceCheckpoint >= CHECKPOINT_EVERY_COMMITS && !this.#checkpointScheduled) {
      this.#checkpointScheduled = true;
      setImmediate(() => this.#runCheckpoint());
    }
  }

  #runCheckpoint(): void {
    this.#checkpointScheduled = false;
    this.#commitsSinceCheckpoint = 0;
    if (!this.#db.isOpen || this.#open) return;
    try {
      // PASSIVE never waits for readers; a checkpoint it could not finish is simply taken up by the next one.
      const result = this.#checkpoint.get() as { busy: number; log: number; checkpointed: number } | undefined;
      // A WAL checkpointed to its end is started over by the next write, which syncs the new WAL header first
      // (synchronous=NORMAL): done here, by rewriting the schema version, that sync is not inside an order's commit.
      if (result !== undefined && result.busy === 0 && result.log > 0 && result.checkpointed === result.log) {
        this.#begin.run();
        this.#primeWal.run();
        this.#commit.run();
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Drops the open transaction; only used on the way to closing after a failure. */
  rollback(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#writes = 0;
    try {
      this.#db.exec('ROLLBACK');
    } catch {
      // SQLite may already have rolled back on the error itself.
    }
  }
}
