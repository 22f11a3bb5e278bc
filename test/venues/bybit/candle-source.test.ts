import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { ManualClock } from '../../../core/clock.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { MarketDataHub } from '../../../supervisor/market-data/hub.ts';
import { BybitCandleSource } from '../../../venues/bybit/candle-source.ts';
import { BTC, btc, eth } from './fixtures.ts';
import { startStandin, type Running } from './standin/harness.ts';

/** Bybit's klines as the market-data hub's candle source: REST history for warm-up, confirmed candles from the stream, gaps filled. */

let running: Running | undefined;
let source: BybitCandleSource | undefined;
let server: Server | undefined;
let sockets: WebSocketServer | undefined;

afterEach(async () => {
  await source?.stop();
  await running?.standin.stop();
  sockets?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  running = undefined;
  source = undefined;
  server = undefined;
});

const summary = (candles: readonly TimeframeCandle[]): Array<[string, number, string]> => candles.map((candle) => [candle.timeframe, candle.openTime, candle.close.toString()]);

/** Waits for `count` candles to have been delivered (woken by each delivery; a timer only bounds the wait). */
function collector(): { candles: TimeframeCandle[]; take: (candle: TimeframeCandle) => void; until: (count: number) => Promise<void> } {
  const candles: TimeframeCandle[] = [];
  const waiters: Array<() => void> = [];
  return {
    candles,
    take: (candle) => {
      candles.push(candle);
      for (const wake of waiters.splice(0)) wake();
    },
    until: async (count) => {
      const deadline = Date.now() + 10_000;
      while (candles.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${candles.length} of ${count} candles arrived: ${JSON.stringify(summary(candles))}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 100);
          waiters.push(() => (clearTimeout(timer), resolve()));
        });
      }
    },
  };
}

describe('BybitCandleSource on the stand-in', () => {
  it('warms up from REST history and then delivers only confirmed candles, through the hub', async () => {
    running = await startStandin();
    const minute = (close: string): void => {
      running?.clock.advance(60_000);
      running?.standin.pushCandle('BTCUSDT', { open: close, high: close, low: close, close });
    };
    // 12:00 to 12:09: two closed 5m candles, and the minutes of the third still to come.
    for (let index = 0; index < 10; index++) minute(String(60_000 + index));
    source = new BybitCandleSource({ name: 'BYBIT', environment: running.standin.url, instruments: [btc, eth], clock: running.clock, logger: silentLogger });
    await source.load([{ instrumentId: BTC, timeframe: '5m' }, { instrumentId: BTC, timeframe: '1m' }], 3);
    const hub = new MarketDataHub({ clock: running.clock, source, historyCandles: 3, onError: (error) => expect.fail(error.message) });
    const got = collector();
    const backfill = hub.subscribe('bot', [{ instrumentId: BTC, timeframe: '5m' }, { instrumentId: BTC, timeframe: '1m' }], got.take);
    const start = Date.UTC(2026, 0, 5, 12, 0);
    expect(summary(backfill.filter((candle) => candle.timeframe === '5m'))).toEqual([
      ['5m', start, '60004'],
      ['5m', start + 300_000, '60009'],
    ]);
    expect(summary(backfill.filter((candle) => candle.timeframe === '1m')).map(([, openTime]) => (openTime - start) / 60_000)).toEqual([7, 8, 9]);
    // Whether a candle closes before or after the subscription is live, it is delivered once (from REST if need be).
    for (let index = 10; index < 15; index++) minute(String(60_000 + index));
    await got.until(6);
    expect(summary(got.candles.filter((candle) => candle.timeframe === '1m'))).toEqual([
      ['1m', start + 10 * 60_000, '60010'],
      ['1m', start + 11 * 60_000, '60011'],
      ['1m', start + 12 * 60_000, '60012'],
      ['1m', start + 13 * 60_000, '60013'],
      ['1m', start + 14 * 60_000, '60014'],
    ]);
    expect(summary(got.candles.filter((candle) => candle.timeframe === '5m'))).toEqual([['5m', start + 600_000, '60014']]);
    hub.close();
  });

  it('refuses history for a stream it never loaded, and a stream it cannot serve', async () => {
    source = new BybitCandleSource({ name: 'BYBIT', environment: 'http://127.0.0.1:1', instruments: [btc], clock: new ManualClock(), logger: silentLogger });
    expect(() => source?.history(BTC, '1h', 10, Date.now())).toThrow(/call load\(\) for it before the hub opens the stream/);
    expect(() => source?.subscribe(eth.id, '1m', () => {})).toThrow(/has no stream/);
  });
});

describe('BybitCandleSource on a stream that misses candles', () => {
  /** A fake Bybit: REST klines from `klines`, and a public stream that pushes what the test tells it. */
  async function fake(klines: () => string[][]): Promise<{ url: string; push: (start: number, close: string, confirm?: boolean) => void; drop: () => void; subscribed: () => Promise<void> }> {
    let socket: WebSocket | undefined;
    let onSubscribe: (() => void) | undefined;
    server = createServer((request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ retCode: 0, retMsg: 'OK', result: { category: 'linear', symbol: 'BTCUSDT', list: klines() }, retExtInfo: {}, time: Date.now() }));
    });
    sockets = new WebSocketServer({ server });
    sockets.on('connection', (connection) => {
      socket = connection;
      connection.on('message', (data) => {
        const message = JSON.parse(data.toString()) as { op: string; req_id?: string };
        if (message.op === 'ping') connection.send(JSON.stringify({ success: true, ret_msg: 'pong', op: 'ping' }));
        if (message.op === 'subscribe') {
          connection.send(JSON.stringify({ success: true, ret_msg: '', op: 'subscribe', req_id: message.req_id }));
          onSubscribe?.();
        }
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      push: (start, close, confirm = true) =>
        socket?.send(JSON.stringify({ topic: 'kline.1.BTCUSDT', type: 'snapshot', ts: start, data: [{ start, end: start + 59_999, interval: '1', open: close, close, high: close, low: close, volume: '1', turnover: close, confirm, timestamp: start }] })),
      drop: () => socket?.terminate(),
      subscribed: () => new Promise<void>((resolve) => (onSubscribe = resolve)),
    };
  }

  const T = Date.UTC(2026, 0, 5, 12, 0);
  const row = (minute: number, close: string): string[] => [String(T + minute * 60_000), close, close, close, close, '1', close];

  it('fills a gap from REST before the candle after it, drops repeats, and catches up after a reconnect', async () => {
    const clock = new ManualClock(T + 3 * 60_000);
    let rest: string[][] = [row(2, '102'), row(1, '101'), row(0, '100')];
    const bybit = await fake(() => rest);
    source = new BybitCandleSource({ name: 'BYBIT', environment: bybit.url, instruments: [btc], clock, logger: silentLogger, timeouts: { reconnectMinMs: 20 } });
    await source.load([{ instrumentId: BTC, timeframe: '1m' }], 2);
    expect(summary(source.history(BTC, '1m', 10, clock.now())).map(([, , close]) => close)).toEqual(['101', '102']);
    const got = collector();
    const subscribed = bybit.subscribed();
    source.subscribe(BTC, '1m', got.take);
    await subscribed;

    // Minute 3 is never pushed; minute 4 arrives (and again, and a forming push): 3 comes from REST first.
    clock.set(T + 5 * 60_000);
    rest = [row(4, '104'), row(3, '103'), row(2, '102')];
    bybit.push(T + 4 * 60_000, '104');
    bybit.push(T + 4 * 60_000, '104');
    bybit.push(T + 5 * 60_000, '105', false);
    await got.until(2);
    // Dropped: minutes 5 and 6 close while the stream is down; they come from REST when it is back.
    const back = bybit.subscribed();
    bybit.drop();
    clock.set(T + 7 * 60_000);
    rest = [row(6, '106'), row(5, '105'), row(4, '104')];
    await back;
    await got.until(4);
    expect(summary(got.candles).map(([, openTime, close]) => [(openTime - T) / 60_000, close])).toEqual([
      [3, '103'],
      [4, '104'],
      [5, '105'],
      [6, '106'],
    ]);
  });
});
