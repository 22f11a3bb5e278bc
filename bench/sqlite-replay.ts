import { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * The cost of a run's SQLite statements alone: every call a run makes (schema, pragmas, each statement with its
 * arguments, per database) is recorded, then replayed in the same order on fresh in-memory databases with nothing in
 * between. It bounds from below what any run issuing the same statements can cost, however fast its own code is.
 */

type Kind = 'exec' | 'run' | 'get' | 'all' | 'iterate';
interface Call {
  database: number;
  kind: Kind;
  sql: string;
  args: unknown[];
}
type StatementMethod = (this: StatementSync, ...args: unknown[]) => unknown;

const STATEMENT_METHODS = ['run', 'get', 'all', 'iterate'] as const;

export interface StatementRecording {
  /** Stops recording and puts node:sqlite back as it was; the calls are kept for replay(). */
  stop(): void;
  /** Seconds the recorded statements take when run back to back (schema and pragmas untimed), and how many there were. */
  replay(): { seconds: number; statements: number };
}

/** Records every node:sqlite call in this process until stop(). Only one recording at a time. */
export function recordStatements(): StatementRecording {
  const calls: Call[] = [];
  const databases = new WeakMap<DatabaseSync, number>();
  const statementDatabase = new WeakMap<StatementSync, number>();
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
    calls.push({ database: idOf(this), kind: 'exec', sql, args: [] });
    exec.call(this, sql);
  };
  DatabaseSync.prototype.prepare = function (this: DatabaseSync, sql: string, ...rest: unknown[]): StatementSync {
    const statement = (prepare as (this: DatabaseSync, ...args: unknown[]) => StatementSync).call(this, sql, ...rest);
    statementDatabase.set(statement, idOf(this));
    return statement;
  } as typeof DatabaseSync.prototype.prepare;
  for (const [name, original] of methods) {
    (StatementSync.prototype as unknown as Record<string, StatementMethod>)[name] = function (this: StatementSync, ...args: unknown[]): unknown {
      const database = statementDatabase.get(this);
      if (database !== undefined) calls.push({ database, kind: name, sql: this.sourceSQL, args });
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
      const prepared = new Map<string, StatementSync>();
      let nanoseconds = 0n;
      let statements = 0;
      for (const call of calls) {
        let database = fresh.get(call.database);
        if (database === undefined) {
          database = new DatabaseSync(':memory:');
          fresh.set(call.database, database);
        }
        if (call.kind === 'exec') {
          database.exec(call.sql);
          continue;
        }
        const key = `${call.database} ${call.sql}`;
        let statement = prepared.get(key);
        if (statement === undefined) {
          statement = database.prepare(call.sql);
          prepared.set(key, statement);
        }
        const method = methods.get(call.kind) as StatementMethod;
        const started = process.hrtime.bigint();
        const result = method.apply(statement, call.args);
        if (call.kind === 'iterate') for (const _row of result as Iterable<unknown>);
        nanoseconds += process.hrtime.bigint() - started;
        statements++;
      }
      for (const database of fresh.values()) database.close();
      calls.length = 0;
      return { seconds: Number(nanoseconds) / 1e9, statements };
    },
  };
}
