import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { BotId } from '../core/ids.ts';
import { silentLogger } from '../core/logger.ts';
import { EQUITY_RETENTION } from '../ledger/equity-retention.ts';
import { DEFAULT_DECISION_RETENTION_MS } from '../supervisor/order-manager/config.ts';
import { Fleet } from '../supervisor/fleet/fleet.ts';
import { PROJECT_ROOT } from '../supervisor/pm2/apps.ts';
import { botLaunch } from '../supervisor/pm2/bot-launch.ts';
import type { Benchmark, Figure } from './harness.ts';
import { round } from './harness.ts';

const DAY_MS = 86_400_000;
const MB = 1024 * 1024;
const SHIPPED_BOTS = ['adaptive', 'aggressive', 'equity-baskets', 'trend-following'] as const;
/** A Monday at 00:00 UTC: the 50 market hours of a default run hold two whole US sessions, as weekdays do. */
const MARKET_START = '2026-11-30T00:00:00.000Z';

/** Bytes of each table (its indexes included) of each SQLite file, and the size of every file, under a home. */
interface Usage {
  files: Map<string, number>;
  tables: Map<string, { bytes: number; rows: number }>;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * What FLOTILLA_HOME holds once every WAL is checkpointed into its database (the fleet is closed first, and the
 * checkpoint is run again to be sure): file sizes, and per table the pages it uses (dbstat) and its rows.
 */
function usage(home: string): Usage {
  const files = new Map<string, number>();
  const tables = new Map<string, { bytes: number; rows: number }>();
  for (const path of filesUnder(home)) {
    if (path.endsWith('-wal') || path.endsWith('-shm')) continue;
    const name = relative(home, path);
    if (path.endsWith('.sqlite')) {
      const db = new DatabaseSync(path);
      try {
        db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        const owners = new Map((db.prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index')").all() as Array<{ name: string; tbl_name: string }>).map((row) => [row.name, row.tbl_name]));
        for (const row of db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all() as Array<{ name: string; bytes: number }>) {
          const table = owners.get(row.name) ?? row.name;
          const key = `${name}:${table}`;
          const rows = table.startsWith('sqlite_') ? 0 : Number((db.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n);
          const seen = tables.get(key);
          tables.set(key, { bytes: (seen?.bytes ?? 0) + Number(row.bytes), rows });
        }
      } finally {
        db.close();
      }
    }
    files.set(name, statSync(path).size);
  }
  return { files, tables };
}

const total = (usage: Usage): number => [...usage.files.values()].reduce((sum, bytes) => sum + bytes, 0);

/**
 * A year of the same fleet with retention applied, from the measured growth per table: tables that only grow
 * (orders, fills, events, positions) grow for 365 days; decisions for their retention age (90 days); equity samples
 * in the supervisor's store are a staircase of peaks whose size does not grow with time, so they are counted as
 * measured; a ledger's equity curve settles at one day of snapshots at the measured rate plus two an hour for 29
 * days and two a day for the rest of the year. Free pages and file overhead are added as measured.
 */
function projectYear(start: Usage, end: Usage, days: number): number {
  const decisionDays = DEFAULT_DECISION_RETENTION_MS / DAY_MS;
  const [fullTier, hourlyTier] = EQUITY_RETENTION as [{ olderThanMs: number; bucketMs: number }, { olderThanMs: number; bucketMs: number }];
  const hourlyRows = 2 * ((hourlyTier.olderThanMs - fullTier.olderThanMs) / fullTier.bucketMs);
  const dailyRows = 2 * (365 - hourlyTier.olderThanMs / DAY_MS);
  let year = 0;
  let tableBytes = 0;
  for (const [key, after] of end.tables) {
    tableBytes += after.bytes;
    const before = start.tables.get(key) ?? { bytes: 0, rows: 0 };
    const perDay = Math.max(0, after.bytes - before.bytes) / days;
    const table = key.slice(key.lastIndexOf(':') + 1);
    if (table === 'equity_samples') year += after.bytes;
    else if (table === 'decisions') year += before.bytes + perDay * decisionDays;
    else if (table === 'equity_snapshots') {
      const bytesPerRow = after.rows > 0 ? after.bytes / after.rows : 0;
      const rowsPerDay = Math.max(0, after.rows - before.rows) / days;
      year += bytesPerRow * (Math.min(rowsPerDay, after.rows) + hourlyRows + dailyRows);
    } else year += before.bytes + perDay * 365;
  }
  return year + (total(end) - tableBytes);
}

/** Started as pm2 starts it: confined, with its node arguments and the compile cache its load probe filled. */
function startBot(home: string, botsRoot: string, _configPath: string, botId: string): ChildProcess {
  const launch = botLaunch({ home, logLevel: 'error' }, { path: join(botsRoot, botId), id: botId as BotId }, 'bot');
  return spawn(launch.node, [...launch.nodeArgs, launch.script], { cwd: launch.env.FLOTILLA_BOT_DIR, env: launch.env, stdio: 'ignore' });
}

async function stopBots(bots: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    bots.map(async (bot) => {
      if (bot.exitCode !== null || bot.signalCode !== null) return;
      const exited = new Promise((resolve) => bot.once('exit', resolve));
      bot.kill('SIGTERM');
      await exited;
    }),
  );
}

/** The fleet with the shipped bots, trading for `seconds` of real time; returns the market time it ran. */
async function trade(home: string, botsRoot: string, configPath: string, seconds: number): Promise<number> {
  const fleet = await Fleet.open({ home, botsRoot, configPath, logger: silentLogger, pm2: null, ports: { control: 0, metrics: 0 } });
  await fleet.start();
  const from = fleet.clock.now();
  const bots = SHIPPED_BOTS.map((id) => startBot(home, botsRoot, configPath, id));
  try {
    // Running the fleet for this long is the measurement itself, not a wait for an event.
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    if (!SHIPPED_BOTS.every((id) => fleet.sessions.isConnected(id as BotId))) throw new Error('a shipped bot never connected; the storage figure would not be theirs');
  } finally {
    await stopBots(bots);
  }
  const to = fleet.clock.now();
  await fleet.close();
  return to - from;
}

/**
 * The four shipped bots on paper at the fleet's clock (×300): bytes added under FLOTILLA_HOME per day of market
 * time. A first session warms up (files, schemas, warm-up history, the first positions) and is closed, so every WAL
 * is checkpointed; then the measured session runs on the same home and is closed the same way.
 */
async function storage(): Promise<Figure[]> {
  const seconds = Number(process.env.FLOTILLA_BENCH_STORAGE_SECONDS ?? 600);
  const home = mkdtempSync(join(tmpdir(), 'flotilla-bench-storage-'));
  const configPath = join(home, 'flotilla.config.json');
  writeFileSync(configPath, JSON.stringify({ control: { port: 0 }, metrics: { port: 0 }, clock: { start: MARKET_START } }));
  const botsRoot = join(PROJECT_ROOT, 'bots');
  try {
    await trade(home, botsRoot, configPath, 30);
    const start = usage(home);
    const marketMs = await trade(home, botsRoot, configPath, seconds);
    const end = usage(home);
    const days = marketMs / DAY_MS;
    const added = total(end) - total(start);
    // Where the bytes went, for whoever tunes retention: growth per market day of each table, on stderr.
    for (const [key, after] of end.tables) {
      const before = start.tables.get(key) ?? { bytes: 0, rows: 0 };
      if (after.bytes !== before.bytes) process.stderr.write(`storage: ${key}: ${Math.round((after.bytes - before.bytes) / days)} B and ${Math.round((after.rows - before.rows) / days)} rows per market day, ${after.rows} rows now\n`);
    }
    return [
      { name: 'storage.bytes_per_market_day', value: Math.round(added / days), unit: 'B' },
      { name: 'storage.year_projected_mb', value: round(projectYear(start, end, days) / MB, 1), unit: 'MB' },
      { name: 'storage.market_days', value: round(days, 3), unit: 'days' },
      { name: 'storage.home_mb', value: round(total(end) / MB, 2), unit: 'MB' },
    ];
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export const storageBenchmarks: Benchmark[] = [{ name: 'storage', run: storage }];
