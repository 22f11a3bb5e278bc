import { TIMEFRAME_MS, type Timeframe } from './strategy.ts';
import { FIRST_YEAR, LAST_YEAR, sessionOnDate } from './us-equity-calendar.ts';

const DAY_MS = TIMEFRAME_MS['1d'];

/**
 * How far back an equity's history must reach for `count` candles of `timeframe` that close by `endMs`, on the
 * bundled calendar: an intraday candle is a UTC-grid bucket holding session minutes (it closes at the bucket's end),
 * a daily candle is a session (it opens at the open and closes at the close). Returns the open time of the oldest of
 * those candles, or `earliestMs` when fewer than `count` close between `earliestMs` and `endMs`; dates outside the
 * calendar's years hold no session.
 */
export function sessionHistoryStart(endMs: number, count: number, timeframe: Timeframe, earliestMs: number): number {
  if (count <= 0) return Math.max(endMs, earliestMs);
  const frameMs = TIMEFRAME_MS[timeframe];
  let found = 0;
  // A session (13:30–21:00 UTC at the latest) falls on the UTC date of its New York date.
  for (let midnight = Math.floor(endMs / DAY_MS) * DAY_MS; midnight + DAY_MS > earliestMs; midnight -= DAY_MS) {
    const year = new Date(midnight).getUTCFullYear();
    if (year < FIRST_YEAR) break;
    if (year > LAST_YEAR) continue;
    const session = sessionOnDate(new Date(midnight).toISOString().slice(0, 10));
    if (session === null) continue;
    const opens = timeframe === '1d' ? [{ openTime: session.open, closeTime: session.close }] : bucketsOf(session.open, session.close, frameMs);
    for (const { openTime, closeTime } of opens) {
      if (closeTime > endMs) continue;
      if (openTime < earliestMs) return earliestMs;
      if (++found === count) return openTime;
    }
  }
  return earliestMs;
}

/** The UTC-grid buckets a session's minutes fall in, latest first. */
function bucketsOf(open: number, close: number, frameMs: number): { openTime: number; closeTime: number }[] {
  const buckets: { openTime: number; closeTime: number }[] = [];
  for (let openTime = Math.floor((close - 1) / frameMs) * frameMs; openTime + frameMs > open; openTime -= frameMs) buckets.push({ openTime, closeTime: openTime + frameMs });
  return buckets;
}
