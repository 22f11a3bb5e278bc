import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from './harness.ts';

/** `supervisor standin alpaca`: a real process that serves Alpaca's wire, writes its accounts' keys (0600) and stops on SIGTERM. */

const CLI = resolve(import.meta.dirname, '../../../supervisor/cli/main.ts');
let home: string | undefined;
let child: ChildProcess | undefined;

afterEach(() => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  if (home !== undefined) rmSync(home, { recursive: true, force: true });
  child = undefined;
  home = undefined;
});

describe('supervisor standin alpaca', () => {
  it.each([
    [['standin', 'alpaca', '--port', '0', '--klines', '.'], /--klines is not served by the Alpaca stand-in/],
    [['standin', 'alpaca', '--port', '0', '--accounts', '0'], /--accounts must be a whole number from 1 to 100/],
    [['standin', 'bybit', '--port', '0', '--accounts', '2'], /--accounts is for the Alpaca stand-in/],
  ])('refuses %j with exit code 2 and a sentence', async (argv, message) => {
    const result = await run(argv, { home: tmpdir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('listens, writes one key pair per account (0600), answers the account with them, and stops on SIGTERM', async () => {
    home = mkdtempSync(join(tmpdir(), 'flotilla-standin-alpaca-'));
    child = spawn(process.execPath, [CLI, 'standin', 'alpaca', '--port', '0', '--manual', '--accounts', '3', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOTILLA_HOME: home } });
    const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
    const summary = JSON.parse(chunk.toString().split('\n')[0] ?? '') as { url: string; keyFile: string; accounts: number };
    expect(summary.accounts).toBe(3);
    expect(statSync(summary.keyFile).mode & 0o777).toBe(0o600);
    const keys = JSON.parse(readFileSync(summary.keyFile, 'utf8')) as { accounts: Array<{ key: string; secret: string }> };
    expect(keys.accounts).toHaveLength(3);
    const [first] = keys.accounts;
    const response = await fetch(`${summary.url}/v2/account`, { headers: { 'APCA-API-KEY-ID': first!.key, 'APCA-API-SECRET-KEY': first!.secret } });
    expect(((await response.json()) as { cash: string }).cash).toBe('100000');
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
  }, 30_000);

  it('runs its synthetic market from --start: /v2/clock says the session opened there, and market time runs at --speed', async () => {
    home = mkdtempSync(join(tmpdir(), 'flotilla-standin-alpaca-'));
    const open = Date.UTC(2026, 10, 17, 14, 30);
    child = spawn(process.execPath, [CLI, 'standin', 'alpaca', '--port', '0', '--start', '2026-11-17T09:30-05:00', '--speed', '60', '--history-days', '1', '--accounts', '1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOTILLA_HOME: home } });
    const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
    const summary = JSON.parse(chunk.toString().split('\n')[0] ?? '') as { url: string; keyFile: string; marketTime: string; speed: number };
    expect(summary.speed).toBe(60);
    expect(Date.parse(summary.marketTime)).toBeGreaterThanOrEqual(open);
    const [account] = (JSON.parse(readFileSync(summary.keyFile, 'utf8')) as { accounts: Array<{ key: string; secret: string }> }).accounts;
    const headers = { 'APCA-API-KEY-ID': account!.key, 'APCA-API-SECRET-KEY': account!.secret };
    const clock = (await (await fetch(`${summary.url}/v2/clock`, { headers })).json()) as { timestamp: string; is_open: boolean; next_close: string };
    expect(clock.is_open).toBe(true);
    expect(Date.parse(clock.timestamp)).toBeGreaterThanOrEqual(open);
    // At 60x, an hour of market is a minute of real time: far below it unless the market ran from --start.
    expect(Date.parse(clock.timestamp)).toBeLessThan(open + 3_600_000);
    expect(Date.parse(clock.next_close)).toBe(Date.UTC(2026, 10, 17, 21, 0));
  }, 30_000);
});
