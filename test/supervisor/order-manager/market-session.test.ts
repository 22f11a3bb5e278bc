import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { sessionsFor, type MarketSession } from '../../../core/market-session.ts';
import { ALPHA, BTC, QQQ, intent, makeHarness, type Harness } from './fixture.ts';

/**
 * Equities follow the US equity session: an entry outside it is denied MARKET_CLOSED before anything else is
 * weighed, while closes and the stops already at the venue are left to rest as the venue allows. Crypto trades on.
 */

const MINUTE = 60_000;
/** Friday 2026-11-06, 15:58 in New York (EST): two minutes before the close. */
const FRIDAY_BEFORE_CLOSE = Date.UTC(2026, 10, 6, 20, 58);
/** Monday 2026-11-09, 09:30 in New York: the next open. */
const MONDAY_OPEN = Date.UTC(2026, 10, 9, 14, 30);

let h: Harness | null = null;
afterEach(() => {
  h?.close();
  h = null;
});

describe('the order manager and the US equity session', () => {
  it('test_entry_when_the_equity_session_is_closed_then_denied_market_closed_naming_the_next_open', () => {
    // Arrange: QQQ priced in the session, then the clock past Friday's close.
    h = makeHarness(undefined, { clock: new ManualClock(FRIDAY_BEFORE_CLOSE) });
    h.price(QQQ, '500');
    h.price(BTC, '60000');
    h.clock.advance(5 * MINUTE);
    // Act
    const decision = h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '10', stop: '495' }));
    // Assert
    expect(decision.outcome).toBe('DENIED');
    expect(decision.reason).toBe('MARKET_CLOSED');
    expect(decision.detail).toContain('QQQ.ALPACA trades in the US equity session, which is closed; it opens at 2026-11-09T14:30:00.000Z');
    expect(h.ledgers.get(ALPHA)!.openOrders()).toEqual([]);
    // Crypto is not in the session: the same minute, a BTC entry goes through.
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '59000' })).outcome).toBe('APPROVED');
  });

  it('test_close_and_stop_when_the_session_closes_then_the_close_is_approved_and_the_stop_keeps_working', () => {
    // Arrange: a QQQ position with its stop, entered before the close.
    h = makeHarness(undefined, { clock: new ManualClock(FRIDAY_BEFORE_CLOSE) });
    h.price(QQQ, '500');
    expect(h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '10', stop: '495' })).outcome).toBe('APPROVED');
    h.price(QQQ, '500');
    const ledger = h.ledgers.get(ALPHA)!;
    expect(ledger.position(QQQ)?.quantity.toString()).toBe('10');
    expect(ledger.openOrders().filter((order) => order.role === 'STOP')).toHaveLength(1);
    h.clock.advance(10 * MINUTE);
    // Act: a reduce-only close while the session is closed.
    const close = h.om.submitIntent(intent(ALPHA, QQQ, 'SELL', { quantity: '4', reduceOnly: true }));
    // Assert: the close is not the session's to deny; the stop is still working.
    expect(close.outcome).toBe('APPROVED');
    expect(ledger.openOrders().filter((order) => order.role === 'STOP')).toHaveLength(1);
  });

  it('test_entry_when_the_next_session_opens_then_trading_resumes', () => {
    h = makeHarness(undefined, { clock: new ManualClock(FRIDAY_BEFORE_CLOSE) });
    h.price(QQQ, '500');
    h.clock.advance(5 * MINUTE);
    expect(h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '10', stop: '495' })).reason).toBe('MARKET_CLOSED');
    // Act: Monday's open.
    h.clock.set(MONDAY_OPEN);
    const decision = h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '10', stop: '495' }));
    // Assert
    expect(decision.outcome).toBe('APPROVED');
  });

  it('test_entry_when_an_injected_session_source_says_closed_then_it_is_believed_over_the_bundled_calendar', () => {
    // A venue's clock may know better than the bundled calendar (an unscheduled closure): it is the one asked.
    let open = true;
    const venueClock: MarketSession = { name: 'ALPACA session', isOpen: () => open, nextOpen: () => null };
    h = makeHarness(undefined, { sessions: sessionsFor(venueClock) });
    h.price(QQQ, '500');
    open = false;
    const decision = h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '10', stop: '495' }));
    expect(decision).toMatchObject({ outcome: 'DENIED', reason: 'MARKET_CLOSED' });
    expect(decision.detail).toBe('QQQ.ALPACA trades in the ALPACA session, which is closed');
    open = true;
    expect(h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '10', stop: '495' })).outcome).toBe('APPROVED');
  });
});
