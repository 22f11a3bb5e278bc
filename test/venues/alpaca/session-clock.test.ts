import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { parseInstrumentId, parseSubAccountId } from '../../../core/ids.ts';
import { dec } from '../../../core/decimal.ts';
import { silentLogger } from '../../../core/logger.ts';
import { AlpacaVenue } from '../../../venues/alpaca/alpaca-venue.ts';
import { AlpacaStandin } from '../../../venues/alpaca/standin/standin.ts';
import { CATALOG } from './standin/harness.ts';

/**
 * The adapter's session is Alpaca's own clock (GET /v2/clock), not the local calendar: asked at start and on a poll,
 * with the close and the open it announced honoured between two answers, and closed until it has answered once.
 */

const QQQ = { id: parseInstrumentId('QQQ.ALPACA'), kind: 'EQUITY' as const, tickSize: dec('0.01'), lotStep: dec('1'), minQuantity: dec('1'), minNotional: dec('1'), exposureKey: 'NDX' as never, beta: dec('1') };
/** Tuesday 2024-11-26, 15:59:30 in New York (EST): thirty seconds before the close. */
const BEFORE_CLOSE = Date.UTC(2024, 10, 26, 20, 59, 30);
/** Wednesday 2024-11-27, 09:30 in New York. */
const NEXT_OPEN = Date.UTC(2024, 10, 27, 14, 30);

let standin: AlpacaStandin | null = null;
let venue: AlpacaVenue | null = null;
afterEach(async () => {
  await venue?.stop();
  await standin?.stop();
  venue = null;
  standin = null;
});

async function open(venueTime: number, localTime: number, clockPollMs: number): Promise<{ venueClock: ManualClock; local: ManualClock; venue: AlpacaVenue }> {
  const venueClock = new ManualClock(venueTime);
  standin = await AlpacaStandin.start({ instruments: CATALOG, clock: venueClock });
  const keys = standin.createAccount();
  const local = new ManualClock(localTime);
  venue = new AlpacaVenue({ name: 'ALPACA', environment: standin.url, credentials: new Map([[parseSubAccountId('alpha'), keys]]), instruments: [QQQ], clock: local, logger: silentLogger, timeouts: { clockPollMs, requestMs: 2_000 } });
  return { venueClock, local, venue };
}

describe('the Alpaca adapter\'s market session', () => {
  it('test_session_when_the_venue_has_not_answered_then_closed', async () => {
    const { local, venue } = await open(BEFORE_CLOSE, BEFORE_CLOSE, 60_000);
    expect(venue.marketSession.isOpen(local.now())).toBe(false);
    expect(venue.marketSession.nextOpen(local.now())).toBeNull();
  });

  it('test_session_when_the_announced_close_passes_between_answers_then_closed_on_time_in_local_time', async () => {
    // Arrange: the local clock is an hour off the venue's; answers come once an hour.
    const offset = 3_600_000;
    const { local, venue } = await open(BEFORE_CLOSE, BEFORE_CLOSE - offset, 3_600_000);
    await venue.start();
    expect(venue.marketSession.isOpen(local.now())).toBe(true);
    // Act: 29 s, then 31 s of local time, with no new answer.
    local.advance(29_000);
    expect(venue.marketSession.isOpen(local.now())).toBe(true);
    local.advance(2_000);
    // Assert: closed at the venue's close, and its next open is given in local time.
    expect(venue.marketSession.isOpen(local.now())).toBe(false);
    expect(venue.marketSession.nextOpen(local.now())).toBe(NEXT_OPEN - offset);
  });

  it('test_session_when_the_clock_answered_once_then_the_calendar_knows_the_holiday_and_the_early_close_ahead', async () => {
    // Arrange: Wednesday 2024-11-27 15:59:30 in New York; Thursday is Thanksgiving, Friday closes at 13:00. The clock
    // answers once (its poll is ten days away): only the calendar read with it knows the days after.
    const wednesday = Date.UTC(2024, 10, 27, 20, 59, 30);
    const { local, venue } = await open(wednesday, wednesday, 10 * 86_400_000);
    await venue.start();
    expect(venue.marketSession.isOpen(local.now())).toBe(true);
    // Act and assert: Thanksgiving closed all day; Friday open from 09:30 and closed from its early close at 13:00.
    local.set(Date.UTC(2024, 10, 28, 16, 0));
    expect(venue.marketSession.isOpen(local.now())).toBe(false);
    expect(venue.marketSession.nextOpen(local.now())).toBe(Date.UTC(2024, 10, 29, 14, 30));
    local.set(Date.UTC(2024, 10, 29, 15, 0));
    expect(venue.marketSession.isOpen(local.now())).toBe(true);
    local.set(Date.UTC(2024, 10, 29, 17, 59, 59));
    expect(venue.marketSession.isOpen(local.now())).toBe(true);
    local.set(Date.UTC(2024, 10, 29, 18, 0));
    expect(venue.marketSession.isOpen(local.now())).toBe(false);
    expect(venue.marketSession.nextOpen(local.now())).toBe(Date.UTC(2024, 11, 2, 14, 30));
  });

  it('test_session_when_the_venue_clock_moves_to_the_next_open_then_the_poll_sees_it_open', async () => {
    const { venueClock, local, venue } = await open(BEFORE_CLOSE + 60_000, BEFORE_CLOSE, 20);
    await venue.start();
    expect(venue.marketSession.isOpen(local.now())).toBe(false);
    venueClock.set(NEXT_OPEN + 60_000);
    await vi.waitFor(() => expect(venue.marketSession.isOpen(local.now())).toBe(true), { timeout: 5_000, interval: 20 });
  });
});
