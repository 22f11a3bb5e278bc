import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../../../core/logger.ts';
import { provision, raw, rest, startStandin, stream, trade, type Running } from './harness.ts';

/** Keys and secrets never appear in what the stand-in logs or answers with an error; the key file is the one place, mode 0600. */

function capturingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: (fields, message) => lines.push(`${message} ${JSON.stringify(fields)}`),
    info: (fields, message) => lines.push(`${message} ${JSON.stringify(fields)}`),
    warn: (fields, message) => lines.push(`${message} ${JSON.stringify(fields)}`),
    error: (fields, message) => lines.push(`${message} ${JSON.stringify(fields)}`),
    child: () => logger,
  };
  return logger;
}

let running: Running | undefined;
let directory: string | undefined;

afterEach(async () => {
  await running?.standin.stop();
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  running = undefined;
  directory = undefined;
});

describe('secrets', () => {
  it('never appear in the log or in error replies, whatever fails', async () => {
    const lines: string[] = [];
    running = await startStandin({ logger: capturingLogger(lines) });
    const { standin } = running;
    trade(running, 'BTCUSDT', '60000');
    const alice = await provision(standin, 'alice01');
    const client = rest(standin, alice);
    const replies: string[] = [];
    const keep = (reply: unknown): void => {
      replies.push(JSON.stringify(reply));
    };

    keep(await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: 'e1' }));
    keep(await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: 'e1' }));
    keep(await rest(standin, { key: alice.key, secret: `${alice.secret}x` }).getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' }));
    keep(await rest(standin, { key: `${alice.key}x`, secret: alice.secret }).getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' }));
    keep((await raw(standin, { method: 'GET', path: '/v5/position/list', query: 'category=linear&symbol=BTCUSDT', credentials: alice, timestamp: Date.now() - 60_000 })).text);
    keep((await raw(standin, { method: 'POST', path: '/v5/order/create', body: '{not json', credentials: alice })).text);
    keep(await rest(standin, standin.master).createUniversalTransfer({ transferId: randomUUID(), coin: 'USDT', amount: '1', fromMemberId: alice.uid, toMemberId: 1, fromAccountType: 'UNIFIED', toAccountType: 'UNIFIED' }));
    standin.faults.add({ kind: 'rate-limit-burst' });
    keep(await client.getPositionInfo({ category: 'linear', symbol: 'BTCUSDT' }));
    standin.faults.add({ kind: 'ws-drop-mid-fill' });
    const socket = await stream(standin, ['execution'], alice);
    await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: 'e2' });
    await socket.closed;
    const forged = await stream(standin, ['kline.1.BTCUSDT']);
    forged.socket.send(JSON.stringify({ op: 'auth', args: [alice.key, Date.now() + 5_000, 'forged'] }));
    keep(await forged.next((message) => message.op === 'auth'));
    forged.socket.close();

    const secrets = [standin.master.secret, alice.secret];
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.some((line) => line.includes('fault'))).toBe(true);
    for (const text of [...lines, ...replies]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toContain(alice.key);
      expect(text).not.toContain(standin.master.key);
    }
  });

  it('are written to the key file it is told to write, mode 0600, with what a client needs', async () => {
    directory = mkdtempSync(join(tmpdir(), 'standin-key-'));
    const keyFile = join(directory, 'nested', 'bybit-master.json');
    running = await startStandin({ keyFile });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const contents = JSON.parse(readFileSync(keyFile, 'utf8')) as Record<string, unknown>;
    expect(contents).toEqual({ key: running.standin.master.key, secret: running.standin.master.secret, uid: running.standin.master.uid, url: running.standin.url, wsUrl: running.standin.wsUrl, adminToken: running.standin.adminToken });
    const master = rest(running.standin, { key: String(contents['key']), secret: String(contents['secret']) });
    expect((await master.getQueryApiKey()).result).toMatchObject({ isMaster: true, userID: running.standin.master.uid, secret: '' });
  });
});
