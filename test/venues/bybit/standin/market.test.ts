import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../../../../core/clock.ts';
import { DEFAULT_INSTRUMENTS } from '../../../../supervisor/config/fleet-config.ts';
import { BybitStandin } from '../../../../venues/bybit/standin/standin.ts';
import { provision, rest, stream, wallClock } from './harness.ts';

/** The market from the synthetic source or replayed kline files, driven by an accelerated clock. */

const instruments = DEFAULT_INSTRUMENTS.filter((entry) => entry.id === 'BTCUSDT.BYBIT' || entry.id === 'ETHUSDT.BYBIT');
let standin: BybitStandin | undefined;
let directory: string | undefined;

afterEach(async () => {
  await standin?.stop();
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  standin = undefined;
  directory = undefined;
});

describe('the synthetic market', () => {
  it('starts with history on every interval and a price, then closes a 1m kline each market minute', async () => {
    const start = Date.UTC(2026, 2, 1, 10, 7, 30);
    // 60,000 times real time: a market minute every real millisecond.
    const clock = new AcceleratedClock({ startMs: start, speed: 60_000, realClock: wallClock });
    standin = await BybitStandin.start({ instruments, market: { kind: 'synthetic', seed: 11, historyDays: 2 }, clock, wallClock });
    const client = rest(standin, standin.master);
    const daily = await client.getKline({ category: 'linear', symbol: 'BTCUSDT', interval: 'D', limit: 5 });
    expect(daily.result.list.length).toBeGreaterThanOrEqual(2);
    const fourHours = await client.getKline({ category: 'linear', symbol: 'ETHUSDT', interval: '240', limit: 1000 });
    expect(fourHours.result.list.length).toBeGreaterThanOrEqual(12);
    const [newest, older] = fourHours.result.list;
    expect(Number(newest?.[0]) - Number(older?.[0])).toBe(4 * 3_600_000);
    expect((await client.getTickers({ category: 'linear', symbol: 'BTCUSDT' })).result.list[0]?.lastPrice).toMatch(/^\d+(\.\d)?$/);

    const klines = await stream(standin, ['kline.1.BTCUSDT'], undefined, '/v5/public/linear');
    await klines.next((message) => message.topic === 'kline.1.BTCUSDT' && klines.messages.filter((other) => other.topic !== undefined).length >= 3);
    const starts = klines.messages.filter((message) => message.topic !== undefined).map((message) => Number(message.data?.[0]?.['start']));
    expect(starts[1]! - starts[0]!).toBe(60_000);
    expect(starts[0]).toBeGreaterThanOrEqual(Date.UTC(2026, 2, 1, 10, 7));
    klines.socket.close();

    const alice = await provision(standin, 'alice01');
    const placed = await rest(standin, alice).submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: 'e1' });
    expect(placed.retCode).toBe(0);
    expect((await rest(standin, alice).getExecutionList({ category: 'linear', symbol: 'BTCUSDT' })).result.list).toHaveLength(1);
  });
});

describe('replayed kline files', () => {
  function writeFiles(files: Record<string, string>): string {
    directory = mkdtempSync(join(tmpdir(), 'standin-klines-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
    return directory;
  }

  const T0 = Date.UTC(2026, 0, 5, 0, 0);
  // A Bybit export: newest first, 7 columns.
  const btc = [4, 3, 2, 1, 0].map((index) => `${T0 + index * 60_000},${60000 + index},${60010 + index},${59990 + index},${60005 + index},1.5,90000`).join('\n');

  it('replays the files from their first candle, each minute when the clock passes its close, and then stands still', async () => {
    const path = writeFiles({ 'BTCUSDT-1m.csv': btc });
    standin = await BybitStandin.start({ instruments, market: { kind: 'replay', path }, speed: 600_000, wallClock });
    await standin.marketFinished;
    expect(standin.findings.join('\n')).toContain('5 1m candles');
    const rows = (await rest(standin, standin.master).getKline({ category: 'linear', symbol: 'BTCUSDT', interval: '1' })).result.list;
    expect(rows.map((row) => Number(row[0]))).toEqual([4, 3, 2, 1, 0].map((index) => T0 + index * 60_000));
    expect(rows[0]?.slice(1, 5)).toEqual(['60004', '60014', '59994', '60009']);
    expect(standin.exchange.lastPrice('BTCUSDT')?.toString()).toBe('60009');
    // ETHUSDT has no file: it is listed but has no price.
    expect(standin.exchange.lastPrice('ETHUSDT')).toBeNull();
  });

  it('refuses files that are not 1m, and a folder without a listed symbol', async () => {
    await expect(BybitStandin.start({ instruments, market: { kind: 'replay', path: writeFiles({ 'BTCUSDT-5m.csv': btc }) }, wallClock })).rejects.toThrow(/replays 1m klines only/);
    rmSync(directory!, { recursive: true, force: true });
    await expect(BybitStandin.start({ instruments, market: { kind: 'replay', path: writeFiles({ 'SOLUSDT-1m.csv': btc }) }, wallClock })).rejects.toThrow(/no kline file for any listed symbol/);
  });
});
