import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { parseSubAccountId } from '../../../core/ids.ts';
import type { FillCursor } from '../../../core/venue.ts';
import type { ExecutionRow } from '../../../venues/bybit/executions.ts';
import { encodeCursor, FillListing, WEEK_MS } from '../../../venues/bybit/fill-listing.ts';

/**
 * The gap-fill after a dropped private stream is the listing from the durable cursor, so a fill is lost only if the
 * listing can skip one. Here funding settlements, trades that become visible late (within the settle span Bybit is
 * allowed), pages of any size, and crashes that restart the adapter from an older durable cursor are interleaved at
 * random: every trade must still be delivered by the listings that follow, and without a crash exactly once.
 */

const ALPHA = parseSubAccountId('alpha');
const T0 = Date.UTC(2026, 0, 5, 23, 58);
const SETTLE_MS = 10_000;

interface Listed {
  row: ExecutionRow;
  visibleAt: number;
}

function execution(id: string, execTime: number, execType: string): ExecutionRow {
  return { execId: id, execType, orderId: `o-${id}`, orderLinkId: 'alpha_00000000_E1', symbol: 'BTCUSDT', side: 'BUY', price: dec('60000'), quantity: dec('0.01'), fee: dec('0.33'), feeRate: dec('0.00055'), isMaker: false, execTime, orderQuantity: dec('0.01'), leaves: dec('0'), sequence: null };
}

/** A fresh adapter's listing (a restart keeps nothing in memory) over a venue that shows each row from its visibleAt. */
function listingOver(rows: readonly Listed[], now: () => number, pageSize: number): FillListing {
  return new FillListing({
    fetchPage: async (_subAccountId, startTime, endTime, cursor) => {
      const to = endTime ?? now();
      const window = rows
        .filter((listed) => listed.visibleAt <= now() && listed.row.execTime >= startTime && listed.row.execTime <= to)
        .map((listed) => listed.row)
        .sort((a, b) => b.execTime - a.execTime);
      const from = cursor === '' ? 0 : Number(cursor);
      return { rows: window.slice(from, from + pageSize), next: from + pageSize < window.length ? String(from + pageSize) : '' };
    },
    now,
    settleMs: SETTLE_MS,
    lookbackMs: WEEK_MS,
  });
}

const rowArbitrary = fc.record({
  offsetMs: fc.integer({ min: 0, max: 240_000 }),
  lagMs: fc.integer({ min: 0, max: SETTLE_MS }),
  funding: fc.boolean(),
});

const callArbitrary = fc.record({
  advanceMs: fc.integer({ min: 0, max: 40_000 }),
  limit: fc.integer({ min: 1, max: 4 }),
  // The adapter restarts (crash) before this call and lists from the last durable cursor.
  restart: fc.boolean(),
  // The page's cursor is not made durable (the supervisor died before committing it).
  cursorLost: fc.boolean(),
});

describe('FillListing under interleaved funding, late trades and restarts', () => {
  it('delivers every trade at least once, and exactly once when nothing restarts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArbitrary, { minLength: 1, maxLength: 30 }), fc.array(callArbitrary, { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 5 }), async (specs, calls, pageSize) => {
        // Funding settles on the hour of 00:00 UTC, in the middle of the trades, as it does at Bybit.
        const fundingAt = Date.UTC(2026, 0, 6);
        const rows: Listed[] = specs.map((spec, index) => {
          const execTime = spec.funding ? fundingAt : T0 + spec.offsetMs;
          return { row: execution(`${spec.funding ? 'f' : 't'}${index}`, execTime, spec.funding ? 'Funding' : 'Trade'), visibleAt: execTime + spec.lagMs };
        });
        let now = T0;
        const clock = (): number => now;
        const start: FillCursor = encodeCursor({ from: T0, seen: [] });
        let durable = start;
        let listing = listingOver(rows, clock, pageSize);
        let cursor = start;
        let restarted = false;
        const delivered: string[] = [];
        const take = async (limit: number, cursorLost: boolean): Promise<boolean> => {
          const page = await listing.page(ALPHA, cursor, limit, (row) => row.execType === 'Trade');
          for (const row of page.rows) if (row.execType === 'Trade') delivered.push(row.execId);
          cursor = page.cursor;
          if (!cursorLost) durable = page.cursor;
          return page.complete;
        };
        for (const call of calls) {
          now += call.advanceMs;
          if (call.restart) {
            restarted = true;
            listing = listingOver(rows, clock, pageSize);
            cursor = durable;
          }
          await take(call.limit, call.cursorLost);
        }
        // Long after everything is visible, a gap-fill runs until the listing is complete, and another one a settle
        // span later: a listing handed out in pages was read once, so what became visible since is the next one's.
        now = Math.max(...rows.map((listed) => listed.visibleAt)) + 60_000;
        for (let pages = 0; pages < 100; pages++) if (await take(3, false)) break;
        now += SETTLE_MS + 1;
        for (let pages = 0; pages < 100; pages++) if (await take(3, false)) break;
        const trades = rows.filter((listed) => listed.row.execType === 'Trade').map((listed) => listed.row.execId);
        expect(new Set(delivered)).toEqual(new Set(trades));
        if (!restarted) expect(delivered).toHaveLength(trades.length);
      }),
      { numRuns: 400 },
    );
  });
});
