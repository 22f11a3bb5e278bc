import { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * The cost of a run's SQLite statements alone: every call a run makes (schema, pragmas, each statement with its
 * arguments, per database) is recorded, then replayed in the same order on fresh in-memory databases with nothing in
 * between. It bounds from below what any run issuing the same statements can cost, however fast its own code is.
 */

type Call = { kind: 'exec'; database: number; sql: string } | { kind: (typeof STATEMENT_METHODS)[number]; statement: number; args: unknown[] };
type StatementMethod = (this: StatementSync, ...args: unknown[]) => unknown;

const STATEMENT_METHODS = ['run', 'get', 'all', 'iterate'] as const;

export interface StatementRecording {
  /** Stops recording and puts node:sqlite back as it was; the calls are kept for replay(). */
  stop(): void;
  /** Seconds the recorded statements take when run back to back (schema, pragmas and preparing untimed), and how many there were. */
  replay(): { seconds: number; statements: number };
}

/**
 * Records every call on the databases opened and the statements prepared in this process until stop() (a statement
 * prepared before would be missed, which only lowers the replay's cost). Only one recording at a time.
 */
export function recordStatements(): StatementRecording {
  const calls: Call[] = [];
  const databases = new WeakMap<DatabaseSync, number>();
  /** Each prepared statement by number, with its database and text, so the replay prepares it once. */
  const statementIds = new WeakMap<StatementSync, number>();
  const statements: Array<{ database: number; sql: string }> = [];
  const exec = DatabaseSync.prototype.exec;
  const prepare = DatabaseSync.prototype.prepare;
  const methods = new Map(STATEMENT_METHODS.map((name) => [name, StatementSync.prototype[name] as StatementMethod]));
  let nextDatabase = 0;
  const idOf = (database: DatabaseSync): number => {
    let id = databases.get(database);
    if (id === undefined) {
      id = nextDatabase++;
      databases.set(database, id);
    }
    return id;
  };
  DatabaseSync.prototype.exec = function (this: DatabaseSync, sql: string): void {
    calls.push({ kind: 'exec', database: idOf(this), sql });
    exec.call(this, sql);
  };
  DatabaseSync.prototype.prepare = function (this: DatabaseSync, sql: string, ...rest: unknown[]): StatementSync {
    const statement = (prepare as (this: DatabaseSync, ...args: unknown[]) => StatementSync).call(this, sql, ...rest);
    statementIds.set(statement, statements.length);
    statements.push({ database: idOf(this), sql });
    return statement;
  } as typeof DatabaseSync.prototype.prepare;
  for (const [name, original] of methods) {
    (StatementSync.prototype as unknown as Record<string, StatementMethod>)[name] = function (this: StatementSync, ...args: unknown[]): unknown {
      const statement = statementIds.get(this);
      if (statement !== undefined) calls.push({ kind: name, statement, args });
      return original.apply(this, args);
    };
  }
  const stop = (): void => {
    DatabaseSync.prototype.exec = exec;
    DatabaseSync.prototype.prepare = prepare;
    for (const [name, original] of methods) (StatementSync.prototype as unknown as Record<string, StatementMethod>)[name] = original;
  };
  return {
    stop,
    replay() {
      stop();
      const fresh = new Map<number, DatabaseSync>();
      const open = (database: number): DatabaseSync => {
        let opened = fresh.get(database);
        if (opened === undefined) {
          opened = new DatabaseSync(':memory:');
          fresh.set(database, opened);
        }
        return opened;
      };
      const prepared: Array<StatementSync | undefined> = [];
      // The clock runs over stretches of statements and stops only for a schema change or a first prepare, so
      // reading it adds nothing per statement.
      let nanoseconds = 0n;
      let count = 0;
      let started = process.hrtime.bigint();
      for (const call of calls) {
        if (call.kind === 'exec') {
          nanoseconds += process.hrtime.bigint() - started;
          open(call.database).exec(call.sql);
          started = process.hrtime.bigint();
          continue;
        }
        let statement = prepared[call.statement];
        if (statement === undefined) {
          nanoseconds += process.hrtime.bigint() - started;
          const { database, sql } = statements[call.statement] as { database: number; sql: string };
          statement = open(database).prepare(sql);
          prepared[call.statement] = statement;
          started = process.hrtime.bigint();
        }
        const result = (methods.get(call.kind) as StatementMethod).apply(statement, call.args);
        if (call.kind === 'iterate') for (const _row of result as Iterable<unknown>);
        count++;
      }
      nanoseconds += process.hrtime.bigint() - started;
      for (const database of fresh.values()) database.close();
      calls.length = 0;
      return { seconds: Number(nanoseconds) / 1e9, statements: count };
    },
  };
}
