import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import { parseSubAccountId } from '../../../core/ids.ts';
import type { ExecutionRow } from '../../../venues/bybit/executions.ts';
import { advanceCursor, decodeCursor, encodeCursor, FillListing, WEEK_MS } from '../../../venues/bybit/fill-listing.ts';

/** The durable fill cursor and the listing that pages Bybit's executions oldest first. */

const ALPHA = parseSubAccountId('alpha');
const T0 = Date.UTC(2026, 0, 5);

function execution(id: string, execTime: number, execType = 'Trade'): ExecutionRow {
  return { execId: id, execType, orderId: `o-${id}`, orderLinkId: 'alpha_00000000_E1', symbol: 'BTCUSDT', side: 'BUY', price: dec('60000'), quantity: dec('0.01'), fee: dec('0.33'), feeRate: dec('0.00055'), isMaker: false, execTime, orderQuantity: dec('0.01'), leaves: dec('0'), sequence: null };
}

/** A fake of GET /v5/execution/list: newest first, by window, 2 per page, and the requests it saw. */
function venue(rows: ExecutionRow[], now: () => number): { listing: FillListing; requests: Array<[number, number | null]> } {
  const requests: Array<[number, number | null]> = [];
  const listing = new FillListing({
    fetchPage: async (_subAccountId, startTime, endTime, cursor) => {
      requests.push([startTime, endTime]);
      const to = endTime ?? startTime + WEEK_MS;
      const window = rows.filter((row) => row.execTime >= startTime && row.execTime <= to).sort((a, b) => b.execTime - a.execTime);
      const from = cursor === '' ? 0 : Number(cursor);
      return { rows: window.slice(from, from + 2), next: from + 2 < window.length ? String(from + 2) : '' };
    },
    now,
    settleMs: 10_000,
    lookbackMs: 3 * WEEK_MS,
  });
  return { listing, requests };
}

const isTrade = (row: ExecutionRow): boolean => row.execType === 'Trade';

describe('the fill cursor', () => {
  it('round-trips, and refuses what it did not make with a message that says so', () => {
    const state = { from: T0, seen: [{ time: T0 + 5, id: 'a-1' }, { time: T0 + 9_000, id: 'b-2' }] };
    expect(decodeCursor(encodeCursor(state))).toEqual(state);
    expect(() => decodeCursor('s1:4')).toThrow(InvalidInputError);
    expect(() => decodeCursor('bybit1:12x:')).toThrow(/not one the Bybit adapter made/);
    expect(() => decodeCursor('bybit1:5:zz')).toThrow(/not <offset>\/<execution ID>/);
  });

  it('re-asks from a settle span before the last delivered execution, remembering what it delivered there', () => {
    const next = advanceCursor({ from: T0, seen: [{ time: T0 + 1, id: 'old' }] }, [execution('a', T0 + 20_000), execution('b', T0 + 30_000)], 10_000);
    expect(next).toEqual({ from: T0 + 20_000, seen: [{ time: T0 + 20_000, id: 'a' }, { time: T0 + 30_000, id: 'b' }] });
  });
});

describe('FillListing', () => {
  it('pages oldest first across Bybit pages and week windows, then continues from its cursor', async () => {
    const now = T0 + 2 * WEEK_MS;
    const rows = [execution('w1', T0 + 1_000), execution('w2a', T0 + WEEK_MS + 5), execution('w2b', T0 + WEEK_MS + 6), execution('w3', T0 + 2 * WEEK_MS - 10)];
    const { listing, requests } = venue(rows, () => now);
    const first = await listing.page(ALPHA, encodeCursor({ from: T0, seen: [] }), 3, isTrade);
    expect(first.rows.map((row) => row.execId)).toEqual(['w1', 'w2a', 'w2b']);
    expect(first.complete).toBe(false);
    expect(requests.map(([, end]) => end)).toEqual([T0 + WEEK_MS - 1, T0 + 2 * WEEK_MS - 1, T0 + 2 * WEEK_MS - 1, null]);
    requests.length = 0;
    // The rest of one listing is handed out without asking Bybit again.
    const second = await listing.page(ALPHA, first.cursor, 3, isTrade);
    expect(second.rows.map((row) => row.execId)).toEqual(['w3']);
    expect(second.complete).toBe(true);
    expect(requests).toEqual([]);
    const third = await listing.page(ALPHA, second.cursor, 3, isTrade);
    expect(third.rows).toEqual([]);
    expect(third.complete).toBe(true);
  });

  it('delivers an execution that became visible late with an earlier time, and nothing twice', async () => {
    let now = T0 + 60_000;
    const rows = [execution('a', T0 + 50_000)];
    const { listing } = venue(rows, () => now);
    const first = await listing.page(ALPHA, encodeCursor({ from: T0, seen: [] }), 10, isTrade);
    expect(first.rows.map((row) => row.execId)).toEqual(['a']);
    rows.push(execution('late', T0 + 45_000), execution('b', T0 + 70_000));
    now = T0 + 80_000;
    const second = await listing.page(ALPHA, first.cursor, 10, isTrade);
    expect(second.rows.map((row) => row.execId)).toEqual(['late', 'b']);
    const third = await listing.page(ALPHA, second.cursor, 10, isTrade);
    expect(third.rows).toEqual([]);
  });

  it('counts trades towards the limit and takes funding along without counting it', async () => {
    const now = T0 + 60_000;
    const rows = [execution('t1', T0 + 1), execution('f1', T0 + 2, 'Funding'), execution('t2', T0 + 3), execution('f2', T0 + 4, 'Funding'), execution('t3', T0 + 5)];
    const { listing } = venue(rows, () => now);
    const first = await listing.page(ALPHA, encodeCursor({ from: T0, seen: [] }), 2, isTrade);
    expect(first.rows.map((row) => row.execId)).toEqual(['t1', 'f1', 't2', 'f2']);
    const second = await listing.page(ALPHA, first.cursor, 2, isTrade);
    expect(second.rows.map((row) => row.execId)).toEqual(['t3']);
    expect(second.complete).toBe(true);
  });

  it('starts a listing without a cursor a lookback before now', async () => {
    const now = T0 + 4 * WEEK_MS;
    const { listing, requests } = venue([execution('old', T0), execution('recent', now - WEEK_MS)], () => now);
    const page = await listing.page(ALPHA, null, 10, isTrade);
    expect(page.rows.map((row) => row.execId)).toEqual(['recent']);
    expect(requests[0]?.[0]).toBe(now - 3 * WEEK_MS);
  });
});
