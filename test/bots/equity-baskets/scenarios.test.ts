import { afterEach, describe, expect, it } from 'vitest';
import { intent } from '../../supervisor/order-manager/fixture.ts';
import { AAPL, BOT, MSFT, OTHER, QQQ, SQQQ, Scenario, WARM_UP_MINUTES, megatechFalls } from './harness.ts';

/**
 * The failures of the system this bot replaces, each made impossible, on fixed candles through the real order
 * manager: per-stock signals bought the index's inverse ETF one by one (19 SQQQ buys in a second), four intended
 * 0.5% positions became 2% on one ETF, QQQ and SQQQ were held at once, and one stock's weakness read as the index's.
 */
describe('equity-baskets scenarios', () => {
  let s: Scenario;
  afterEach(() => s.close());

  it('one stock falling alone is not the index falling: only MSFT falls hard, no ETF order, suppressed BELOW_BREADTH', () => {
    s = new Scenario();
    for (let i = 0; i < 8; i++) s.minute({ MSFT: -0.01 });
    expect(s.signals.filter((signal) => signal.instrumentId === MSFT && signal.sign === -1).length).toBeGreaterThanOrEqual(5);
    expect(s.entries(SQQQ)).toEqual([]);
    expect(s.commands.filter((command) => command.type === 'SUBMIT_ORDER' && command.intent.instrumentId === SQQQ)).toEqual([]);
    const suppressed = s.notesNamed('suppress', SQQQ);
    expect(suppressed).toHaveLength(8);
    expect(new Set(suppressed.map((note) => note.value))).toEqual(new Set(['BELOW_BREADTH']));
    expect(new Set(s.notesNamed('basket_state', SQQQ).map((note) => note.value))).toEqual(new Set(['IDLE']));
    expect(s.errors).toEqual([]);
  });

  it('nineteen negative signals within one second are one SQQQ order: four of six MEGATECH fall for two evaluations with a falling trend', () => {
    s = new Scenario();
    s.minute(megatechFalls(-0.004, 0));
    // A backlog of five minutes reaches the bot at once (a reconnect), all within one second of market time; SQQQ rises
    // through them, so the bot would add if nothing held the key.
    s.minutes([megatechFalls(), megatechFalls(), megatechFalls(), megatechFalls(), megatechFalls()]);
    const burst = s.signals.filter((signal) => signal.minute >= 2 && signal.sign === -1);
    expect(burst.length).toBeGreaterThanOrEqual(19);
    expect(burst.at(-1)!.deliveredAt - burst[0]!.deliveredAt).toBeLessThan(1_000);
    expect(s.entries(SQQQ)).toHaveLength(1);
    expect(s.allEntries()).toHaveLength(1);
    expect(s.notesNamed('route', SQQQ).map((note) => note.value)).toEqual(['ENTRY', 'ADD']);
    // The add the bot asked for within the second is denied by the order manager's lock on NDX (entryLockMs 90 s), and
    // the bot leaves the key alone after that (suppressed LOCKED) rather than asking again.
    expect(s.notesNamed('suppress', SQQQ).map((note) => note.value)).toContain('LOCKED');
    const sqqq = s.decisions.filter((decision) => decision.instrumentId === SQQQ);
    expect(sqqq.map((decision) => decision.reason)).toEqual([null, 'IN_FLIGHT_LOCK']);
    expect(s.notesNamed('block', SQQQ).map((note) => note.value)).toEqual(['IN_FLIGHT_LOCK']);
    // Watching on the first evaluation, actionable on the second: persistence, not the first bad minute, makes the entry.
    expect(s.notesNamed('basket_state', SQQQ).slice(0, 2).map((note) => note.value)).toEqual(['WATCHING', 'ACTIONABLE']);
    expect(s.notesNamed('suppress', SQQQ)[0]?.value).toBe('NOT_PERSISTENT');
    expect(s.errors).toEqual([]);
  });

  it('QQQ and SQQQ are never held at once across the fleet: another bot is long QQQ, the SQQQ buy is denied WOULD_HEDGE and noted as a block', () => {
    s = new Scenario();
    expect(s.om.om.submitIntent(intent(OTHER, QQQ, 'BUY', { quantity: '10', stop: '470' })).outcome).toBe('APPROVED');
    for (let i = 0; i < 4; i++) s.minute(megatechFalls());
    const denied = s.decisions.filter((decision) => decision.instrumentId === SQQQ);
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ outcome: 'DENIED', reason: 'WOULD_HEDGE' });
    expect(s.entries(SQQQ)).toEqual([]);
    expect(s.notesNamed('block', SQQQ).map((note) => note.value)).toEqual(['WOULD_HEDGE']);
    // It does not ask again while the conflict stands: the next evaluations are suppressed CONFLICT.
    expect(s.notesNamed('suppress', SQQQ).at(-1)?.value).toBe('CONFLICT');
  });

  it('pyramiding is bounded: one add on a further decline, never a second', () => {
    s = new Scenario();
    // SQQQ is flat until the entry, then rises as the basket keeps falling: the further decline an add needs.
    s.minute(megatechFalls(-0.004, 0));
    s.minute(megatechFalls(-0.004, 0));
    for (let i = 0; i < 4; i++) s.minute(megatechFalls(-0.004, 0.0035));
    for (let i = 0; i < 6; i++) s.minute(megatechFalls(-0.004, 0));
    const orders = s.entries(SQQQ);
    expect(orders).toHaveLength(2);
    expect(s.notesNamed('route', SQQQ).map((note) => note.value)).toEqual(['ENTRY', 'ADD']);
    // The add is made above the entry: the ETF rose, the basket declined further.
    expect(orders[1]!.averageFillPrice!.gt(orders[0]!.averageFillPrice!)).toBe(true);
    const suppressed = s.notesNamed('suppress', SQQQ).map((note) => note.value);
    expect(suppressed).toContain('NO_FURTHER_DECLINE');
    expect(suppressed.at(-1)).toBe('ADD_USED');
    expect(s.notesNamed('basket_state', SQQQ).at(-1)?.value).toBe('ADDED');
    expect(s.om.ledgers.get(BOT)!.position(SQQQ)?.entryOrders).toBe(2);
  });

  it('an inverse ETF is never routed again: a signal on SQQQ itself is traded as SQQQ', () => {
    s = new Scenario();
    for (let i = 0; i < 3; i++) s.minute({ SQQQ: 0.006 });
    const orders = s.allEntries();
    expect(orders.map((order) => order.instrumentId)).toEqual([SQQQ]);
    expect(s.notesNamed('route').map((note) => [note.value, note.instrumentId])).toEqual([['ETF_DIRECT', SQQQ]]);
  });

  it('a falling inverse ETF buys nothing: a negative signal on SQQQ is not routed anywhere', () => {
    s = new Scenario();
    for (let i = 0; i < 5; i++) s.minute({ SQQQ: -0.006 });
    expect(s.signals.some((signal) => signal.instrumentId === SQQQ && signal.sign === -1)).toBe(true);
    expect(s.commands).toEqual([]);
  });

  it('signals while the market is closed send nothing', () => {
    // The warm-up ends at 16:00 New York time; every minute after it is outside the session.
    s = new Scenario({ start: Date.UTC(2026, 10, 2, 21, 0) - WARM_UP_MINUTES * 60_000 });
    for (let i = 0; i < 6; i++) s.minute({ ...megatechFalls(), GOOGL: 0.01, NVDA: -0.01, AMD: -0.01, AVGO: -0.01 });
    expect(s.signals.length).toBeGreaterThan(10);
    expect(s.commands).toEqual([]);
    expect(s.decisions).toEqual([]);
    const suppressed = s.notesNamed('suppress');
    expect(suppressed.length).toBeGreaterThan(0);
    expect(new Set(suppressed.map((note) => note.value))).toEqual(new Set(['MARKET_CLOSED']));
  });

  it('the venue’s session decides, not this machine’s calendar: a live candle the supervisor says came while the venue was closed sends nothing', () => {
    // Inside the bundled calendar's session, but the venue's clock (a holiday it knows, or a stand-in's market time) says closed.
    s = new Scenario({ sessionOpen: false });
    for (let i = 0; i < 6; i++) s.minute({ ...megatechFalls(), GOOGL: 0.01, NVDA: -0.01, AMD: -0.01, AVGO: -0.01 });
    expect(s.signals.length).toBeGreaterThan(10);
    expect(s.commands).toEqual([]);
    expect(new Set(s.notesNamed('suppress').map((note) => note.value))).toEqual(new Set(['MARKET_CLOSED']));
  });

  it('a candle after the close sends nothing even when the supervisor still thinks the venue is open (its view of a fast stand-in’s clock lags)', () => {
    s = new Scenario({ start: Date.UTC(2026, 10, 2, 21, 0) - WARM_UP_MINUTES * 60_000, sessionOpen: true });
    for (let i = 0; i < 6; i++) s.minute({ ...megatechFalls(), GOOGL: 0.01, NVDA: -0.01, AMD: -0.01, AVGO: -0.01 });
    expect(s.signals.length).toBeGreaterThan(10);
    expect(s.commands).toEqual([]);
    expect(new Set(s.notesNamed('suppress').map((note) => note.value))).toEqual(new Set(['MARKET_CLOSED']));
  });

  it.each([
    { layer: 'the bot’s own budget', openRiskBudget: 0.01, entries: 1, suppress: 'RISK_FULL' },
    { layer: 'the order manager’s maxOpenRisk, with the bot’s budget opened wide', openRiskBudget: 0.05, entries: 2, suppress: 'ADD_USED' },
  ])('four intended 0.5% positions never become more than the 1% open-risk budget on one ETF ($layer)', ({ openRiskBudget, entries, suppress }) => {
    // Every entry asks for 0.5%, the order manager allows 0.5% a trade and three adds; four MEGATECH stocks signal.
    s = new Scenario({ parameters: { riskFraction: 0.005, openRiskBudget, maxAdds: 1, addMinMove: 0.002 }, risk: { riskPerTrade: '0.005', maxAdds: 3, entryLockMs: 0, entryCooldownMs: 0, minAddDistance: '0' } });
    let peak = 0;
    s.minute(megatechFalls(-0.004, 0));
    for (let i = 0; i < 10; i++) {
      s.minute(megatechFalls(-0.004, i < 5 ? 0.003 : 0));
      const budget = s.equity().toNumber() * 0.01;
      // The loss at the stops of what was bought: each entry's filled quantity times its distance to its own stop.
      const ledger = s.om.ledgers.get(BOT)!;
      let risk = 0;
      for (const entry of s.entries(SQQQ)) {
        const stop = ledger.recentOrders(10_000).find((order) => order.role === 'STOP' && order.parentClientOrderId === entry.clientOrderId);
        if (entry.averageFillPrice === null || stop?.triggerPrice == null) continue;
        risk += entry.filledQuantity.toNumber() * (entry.averageFillPrice.toNumber() - stop.triggerPrice.toNumber());
      }
      peak = Math.max(peak, risk / budget);
      expect(risk).toBeLessThanOrEqual(budget);
    }
    expect(s.entries(SQQQ)).toHaveLength(entries);
    expect(s.signals.filter((signal) => signal.sign === -1 && signal.minute >= 2).length).toBeGreaterThanOrEqual(4);
    expect(peak).toBeGreaterThan(0.45);
    expect(s.notesNamed('suppress', SQQQ).map((note) => note.value)).toContain(suppress);
    if (entries === 2) expect(s.decisions.filter((decision) => decision.instrumentId === SQQQ).map((decision) => decision.reason)).toEqual([null, 'CONCURRENT_RISK_EXCEEDED']);
  });

  it('a stock’s own rise buys the stock itself, long only', () => {
    s = new Scenario();
    for (let i = 0; i < 4; i++) s.minute({ AAPL: 0.004 });
    expect(s.allEntries().map((order) => [order.instrumentId, order.side])).toEqual([[AAPL, 'BUY']]);
    expect(s.notesNamed('route').map((note) => note.value)).toEqual(['STOCK_LONG']);
  });
});
