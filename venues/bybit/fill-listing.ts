import { InvalidInputError } from '../../core/errors.ts';
import type { SubAccountId } from '../../core/ids.ts';
import type { FillCursor } from '../../core/venue.ts';
import { byExecutionTime, type ExecutionRow } from './executions.ts';

/**
 * Paging through a sub-account's executions oldest first, from a durable cursor. Bybit lists executions newest
 * first, a week per request window, paged by its own cursor; what Flotilla needs is "everything after what I have
 * seen", in time order, across restarts. A cursor here is a time to ask from plus the IDs already delivered at or
 * after it: "bybit1:<fromMs>:<offset36>/<execId>,...". It re-asks from a little before the last execution it
 * delivered (fillSettleMs), because executions can become visible slightly out of time order, and skips the IDs it
 * remembers; so nothing is lost and nothing comes twice. One listing is fetched whole and handed out page by page,
 * so that a long gap costs one pass over Bybit's pages, not one per page.
 */

export const WEEK_MS = 7 * 86_400_000;
const PREFIX = 'bybit1';
const EXEC_ID = /^[\x21-\x2b\x2d-\x2e\x30-\x39\x3b-\x7e]{1,128}$/;

export interface CursorState {
  from: number;
  /** Executions already delivered at or after `from`. */
  seen: ReadonlyArray<{ time: number; id: string }>;
}

export function encodeCursor(state: CursorState): FillCursor {
  return `${PREFIX}:${state.from}:${state.seen.map((entry) => `${(entry.time - state.from).toString(36)}/${entry.id}`).join(',')}`;
}

export function decodeCursor(cursor: FillCursor): CursorState {
  const refuse = (why: string): never => {
    throw new InvalidInputError(`fill cursor ${JSON.stringify(cursor.length > 80 ? `${cursor.slice(0, 80)}…` : cursor)} is not one the Bybit adapter made: ${why}`);
  };
  const parts = cursor.split(':');
  if (parts.length !== 3 || parts[0] !== PREFIX) refuse(`it must read ${PREFIX}:<ms>:<seen>`);
  const from = Number(parts[1]);
  if (!/^\d{1,16}$/.test(parts[1] ?? '') || !Number.isSafeInteger(from)) refuse('its time is not a whole number of ms');
  const seen: { time: number; id: string }[] = [];
  for (const entry of (parts[2] ?? '') === '' ? [] : (parts[2] ?? '').split(',')) {
    const slash = entry.indexOf('/');
    const offset = slash > 0 ? Number.parseInt(entry.slice(0, slash), 36) : Number.NaN;
    const id = entry.slice(slash + 1);
    if (!/^[0-9a-z]{1,11}$/.test(entry.slice(0, slash)) || !Number.isSafeInteger(offset) || !EXEC_ID.test(id)) refuse(`${JSON.stringify(entry)} is not <offset>/<execution ID>`);
    seen.push({ time: from + offset, id });
  }
  return { from, seen };
}

/** The cursor after delivering `taken` (oldest first) from `state`. */
export function advanceCursor(state: CursorState, taken: readonly ExecutionRow[], settleMs: number): CursorState {
  const last = taken[taken.length - 1];
  if (last === undefined) return state;
  const from = Math.max(state.from, last.execTime - settleMs);
  const ids = new Set<string>();
  const seen: { time: number; id: string }[] = [];
  for (const entry of [...state.seen, ...taken.map((row) => ({ time: row.execTime, id: row.execId }))]) {
    if (entry.time < from || ids.has(entry.id)) continue;
    ids.add(entry.id);
    seen.push(entry);
  }
  return { from, seen };
}

export interface ExecutionPage {
  rows: ExecutionRow[];
  /** Bybit's cursor for the next page of the same window; "" after the last. */
  next: string;
}

export interface FillListingOptions {
  /** One page of GET /v5/execution/list for the window [startTime, endTime] (endTime null: as far as Bybit goes). */
  fetchPage: (subAccountId: SubAccountId, startTime: number, endTime: number | null, cursor: string) => Promise<ExecutionPage>;
  now: () => number;
  settleMs: number;
  lookbackMs: number;
}

export interface ListedPage {
  /** Oldest first; every execution type (the caller tells trades from funding). */
  rows: ExecutionRow[];
  cursor: FillCursor;
  complete: boolean;
}

export class FillListing {
  readonly #options: FillListingOptions;
  /** The rest of the last listing, per sub-account, waiting under the cursor that was handed out with its first page. */
  readonly #rest = new Map<SubAccountId, { cursor: FillCursor; state: CursorState; rows: ExecutionRow[] }>();

  constructor(options: FillListingOptions) {
    this.#options = options;
  }

  /**
   * The executions after `cursor`, oldest first: `take` decides for each whether it counts towards `limit` (trades
   * do, funding does not), so a page holds up to `limit` trades and everything between them.
   */
  async page(subAccountId: SubAccountId, cursor: FillCursor | null, limit: number, take: (row: ExecutionRow) => boolean): Promise<ListedPage> {
    const kept = this.#rest.get(subAccountId);
    let state: CursorState;
    let rows: ExecutionRow[];
    if (kept !== undefined && cursor !== null && kept.cursor === cursor) {
      state = kept.state;
      rows = kept.rows;
    } else {
      state = cursor === null ? { from: Math.max(0, this.#options.now() - this.#options.lookbackMs), seen: [] } : decodeCursor(cursor);
      rows = await this.#since(subAccountId, state);
    }
    let counted = 0;
    let end = 0;
    while (end < rows.length && counted < limit) {
      if (take(rows[end] as ExecutionRow)) counted++;
      end++;
    }
    // Whatever follows the last counted row but does not count (funding) goes with this page too.
    while (end < rows.length && !take(rows[end] as ExecutionRow)) end++;
    const page = rows.slice(0, end);
    const rest = rows.slice(end);
    const next = advanceCursor(state, page, this.#options.settleMs);
    const nextCursor = encodeCursor(next);
    if (rest.length > 0) this.#rest.set(subAccountId, { cursor: nextCursor, state: next, rows: rest });
    else this.#rest.delete(subAccountId);
    return { rows: page, cursor: nextCursor, complete: rest.length === 0 };
  }

  /** Everything Bybit lists at or after the cursor's time that the cursor has not delivered, oldest first. */
  async #since(subAccountId: SubAccountId, state: CursorState): Promise<ExecutionRow[]> {
    const seen = new Set(state.seen.map((entry) => entry.id));
    const found = new Map<string, ExecutionRow>();
    for (let start = state.from; ; start += WEEK_MS) {
      // Bybit answers at most a week per window; the last window is left open so Bybit's own clock bounds it.
      const last = start + WEEK_MS > this.#options.now();
      let bybitCursor = '';
      do {
        const page = await this.#options.fetchPage(subAccountId, start, last ? null : start + WEEK_MS - 1, bybitCursor);
        for (const row of page.rows) if (row.execTime >= state.from && !seen.has(row.execId)) found.set(row.execId, row);
        bybitCursor = page.next;
      } while (bybitCursor !== '');
      if (last) break;
    }
    return [...found.values()].sort(byExecutionTime);
  }
}
