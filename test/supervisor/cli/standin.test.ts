import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from './harness.ts';

/** `supervisor standin bybit`: arguments refused with exit code 2, and a real process that serves, writes its key file and stops on SIGTERM. */

const CLI = resolve(import.meta.dirname, '../../../supervisor/cli/main.ts');
let home: string | undefined;
let child: ChildProcess | undefined;

afterEach(() => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  if (home !== undefined) rmSync(home, { recursive: true, force: true });
  child = undefined;
  home = undefined;
});

describe('supervisor standin: arguments', () => {
  it.each([
    [['standin', 'binance', '--port', '0'], /venue must be one of bybit/],
    [['standin', 'bybit'], /required option '--port <p>'/],
    [['standin', 'bybit', '--port', '70000'], /--port must be a whole number from 0 to 65535/],
    [['standin', 'bybit', '--port', '0', '--speed', '0'], /--speed must be a number above 0/],
    [['standin', 'bybit', '--port', '0', '--manual', '--klines', '.'], /--klines and --manual exclude each other/],
    [['standin', 'bybit', '--port', '0', '--manual', '--seed', '3'], /--seed and --history-days are for the synthetic market/],
    [['standin', 'bybit', '--port', '0', '--klines', '/no/such/folder'], /is not a folder/],
    [['standin', 'bybit', '--port', '0', '--history-days', '0'], /--history-days must be a whole number from 1/],
    [['standin', 'bybit', '--port', '0', '--funding-rate', '0.5'], /--funding-rate must be a decimal between -0.01 and 0.01/],
    [['standin', 'bybit', '--port', '0', '--funding-rate', '1e-4'], /--funding-rate must be a decimal/],
    [['standin', 'alpaca', '--port', '0', '--funding-rate', '0.0001'], /--funding-rate is for the Bybit stand-in/],
    [['standin', 'alpaca', '--port', '0', '--start', 'yesterday'], /--start must be a date like 2024-01-31 or 2024-01-31T12:00Z/],
    [['standin', 'alpaca', '--port', '0', '--start', '2026-11-17T25:00Z'], /--start must be a date/],
    [['standin', 'alpaca', '--port', '0', '--manual', '--start', '2026-11-17T14:30Z'], /--start is for the synthetic market \(the default\): a manual market runs on the wall clock/],
    [['standin', 'bybit', '--port', '0', '--klines', '.', '--start', '2026-11-17T14:30Z'], /--start is for the synthetic market \(the default\): a replay starts at its files' first candle/],
  ])('refuses %j with exit code 2 and a sentence', async (argv, message) => {
    const result = await run(argv, { home: tmpdir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});

function startCli(args: string[]): { process: ChildProcess; firstLine: Promise<string>; stderr: () => string } {
  const processHandle = spawn(process.execPath, [CLI, 'standin', 'bybit', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOTILLA_HOME: home } });
  let out = '';
  let err = '';
  processHandle.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const firstLine = new Promise<string>((resolveLine, reject) => {
    processHandle.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) resolveLine(out.slice(0, newline));
    });
    processHandle.once('exit', (code) => reject(new Error(`exited ${code} before listening: ${err}`)));
  });
  // A test that expects the process to fail never reads the line.
  firstLine.catch(() => undefined);
  return { process: processHandle, firstLine, stderr: () => err };
}

describe('supervisor standin bybit: the process', () => {
  it('listens on 127.0.0.1, writes the master key file (0600), serves Bybit V5, and stops on SIGTERM with exit code 0', async () => {
    home = mkdtempSync(join(tmpdir(), 'flotilla-standin-'));
    const cli = startCli(['--port', '0', '--manual', '--json']);
    child = cli.process;
    const summary = JSON.parse(await cli.firstLine) as { url: string; wsUrl: string; keyFile: string; masterUid: number; market: string };
    expect(summary).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), market: 'manual', keyFile: join(home, 'standin', 'bybit-master-key.json') });
    expect(statSync(summary.keyFile).mode & 0o777).toBe(0o600);
    const keyFile = JSON.parse(readFileSync(summary.keyFile, 'utf8')) as { key: string; secret: string; adminToken: string; uid: number };
    expect(keyFile.uid).toBe(summary.masterUid);

    const time = (await (await fetch(`${summary.url}/v5/market/time`)).json()) as { retCode: number };
    expect(time.retCode).toBe(0);
    const pushed = await fetch(`${summary.url}/standin/candles`, { method: 'POST', headers: { Authorization: `Bearer ${keyFile.adminToken}` }, body: JSON.stringify({ symbol: 'BTCUSDT', open: '60000', high: '60000', low: '60000', close: '60000' }) });
    expect(pushed.status).toBe(200);
    const tickers = (await (await fetch(`${summary.url}/v5/market/tickers?category=linear&symbol=BTCUSDT`)).json()) as { result: { list: { lastPrice: string }[] } };
    expect(tickers.result.list[0]?.lastPrice).toBe('60000');
    // The log is on stderr, and never carries the secret.
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(cli.stderr()).toContain('stopping');
    expect(cli.stderr()).not.toContain(keyFile.secret);
  });

  it('starts its synthetic market at --start: the newest kline is the minute before it', async () => {
    home = mkdtempSync(join(tmpdir(), 'flotilla-standin-'));
    const cli = startCli(['--port', '0', '--start', '2026-11-17T14:30Z', '--history-days', '1', '--json']);
    child = cli.process;
    const summary = JSON.parse(await cli.firstLine) as { url: string; market: string; marketTime: string };
    expect(summary.market).toBe('synthetic');
    expect(Date.parse(summary.marketTime) - Date.UTC(2026, 10, 17, 14, 30)).toBeGreaterThanOrEqual(0);
    expect(Date.parse(summary.marketTime) - Date.UTC(2026, 10, 17, 14, 30)).toBeLessThan(10_000);
    const klines = (await (await fetch(`${summary.url}/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=1`)).json()) as { result: { list: string[][] } };
    expect(Number(klines.result.list[0]?.[0])).toBe(Date.UTC(2026, 10, 17, 14, 29));
    child.kill('SIGTERM');
    await once(child, 'exit');
  });

  it('fails with exit code 1 and says so when the port is taken', async () => {
    home = mkdtempSync(join(tmpdir(), 'flotilla-standin-'));
    const blocker = createServer();
    await new Promise<void>((resolveListen) => blocker.listen(0, '127.0.0.1', () => resolveListen()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const cli = startCli(['--port', String(port), '--manual']);
      child = cli.process;
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(1);
      expect(cli.stderr()).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });
});
