import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.ts';
import { DEFAULT_TIMEOUTS } from '../../../venues/bybit/config.ts';
import { TransportError, type Reply } from '../../../venues/bybit/http.ts';
import { NotSentError, RequestLane, type Priority } from '../../../venues/bybit/rate-limit.ts';

/** One sub-account's request lane: Bybit's limit headers followed, refusals waited out, the urgent first. */

const ok = (limit: Reply['limit'] = null): Reply => ({ retCode: 0, retMsg: 'OK', result: {}, retExtInfo: {}, limit });

function lane(overrides: Partial<typeof DEFAULT_TIMEOUTS> = {}): RequestLane {
  return new RequestLane({ timeouts: { ...DEFAULT_TIMEOUTS, overloadBackoffMs: 50, ipLimitBackoffMs: 50, rateLimitBackoffMs: 50, ...overrides }, logger: silentLogger, toLocal: (ms) => ms });
}

describe('RequestLane', () => {
  it('sends cancels, then protective orders, then reads, then new entries, when requests wait out a 429', async () => {
    const requests = lane();
    const started: string[] = [];
    let first = true;
    const run = (name: string) => async (): Promise<Reply> => {
      started.push(name);
      if (first) {
        first = false;
        throw new TransportError('POST /v5/order/create', { kind: 'HTTP', status: 429, detail: 'HTTP 429' });
      }
      return ok();
    };
    const done: Array<Promise<Reply>> = [requests.schedule('ENTRY', 'POST /v5/order/create', run('entry 1'))];
    // Queued while the lane waits out the 429: they go in order of urgency, then of arrival.
    await new Promise((resolve) => setImmediate(resolve));
    for (const [priority, name] of [['ENTRY', 'entry 2'], ['READ', 'read'], ['CANCEL', 'cancel of a stop'], ['PROTECT', 'stop'], ['CANCEL', 'kill-switch cancel']] as Array<[Priority, string]>) {
      done.push(requests.schedule(priority, priority === 'CANCEL' ? 'POST /v5/order/cancel' : priority === 'READ' ? 'GET /v5/order/realtime' : 'POST /v5/order/create', run(name)));
    }
    await Promise.all(done);
    expect(started).toEqual(['entry 1', 'cancel of a stop', 'kill-switch cancel', 'stop', 'read', 'entry 1', 'entry 2']);
  });

  it('waits out a 10006 until the reset time Bybit names, then sends the same request again', async () => {
    const requests = lane();
    const sent: number[] = [];
    const resetAt = Date.now() + 150;
    const reply = await requests.schedule('ENTRY', 'POST /v5/order/create', async () => {
      sent.push(Date.now());
      return sent.length === 1 ? { ...ok({ limit: 10, remaining: 0, resetAt }), retCode: 10006, retMsg: 'Too many visits' } : ok();
    });
    expect(reply.retCode).toBe(0);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBeGreaterThanOrEqual(resetAt);
  });

  it('follows the headers: with nothing left in the window, the next request waits for the reset', async () => {
    const requests = lane();
    const resetAt = Date.now() + 120;
    await requests.schedule('READ', 'GET /v5/position/list', async () => ok({ limit: 50, remaining: 0, resetAt }));
    let sentAt = 0;
    await requests.schedule('READ', 'GET /v5/position/list', async () => ((sentAt = Date.now()), ok()));
    expect(sentAt).toBeGreaterThanOrEqual(resetAt);
    // Another route has its own window.
    let otherAt = 0;
    const before = Date.now();
    await requests.schedule('READ', 'GET /v5/order/realtime', async () => ((otherAt = Date.now()), ok()));
    expect(otherAt - before).toBeLessThan(100);
  });

  it('refuses, unsent, a request that would wait past its deadline', async () => {
    const requests = lane({ overloadBackoffMs: 10_000 });
    const refused = requests.schedule('ENTRY', 'POST /v5/order/create', async () => {
      throw new TransportError('POST /v5/order/create', { kind: 'HTTP', status: 429, detail: 'HTTP 429' });
    }, Date.now() + 100);
    await expect(refused).rejects.toThrow(NotSentError);
    requests.stop();
  });

  it('refuses everything still waiting when stopped', async () => {
    const requests = lane({ ipLimitBackoffMs: 10_000 });
    const blocked = requests.schedule('CANCEL', 'POST /v5/order/cancel', async () => {
      throw new TransportError('POST /v5/order/cancel', { kind: 'HTTP', status: 403, detail: 'HTTP 403' });
    });
    await new Promise((resolve) => setImmediate(resolve));
    requests.stop();
    await expect(blocked).rejects.toThrow(/stopped before the request was sent/);
  });
});
