import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.ts';
import { makeClientOrderId, parseBotId, parseInstrumentId, parseTradeId } from '../../../core/ids.ts';
import type { OrderRole } from '../../../core/ids.ts';
import type { Fill } from '../../../core/order.ts';
import { ACTIVITY_HOURS, botActivity, closesRoundTrip, ledgerEvents } from '../../../supervisor/control/activity.ts';
import { HOUR_MS } from '../../../supervisor/store/hourly-activity.ts';

const BOT = parseBotId('baskets');
const SQQQ = parseInstrumentId('SQQQ.ALPACA');
const AAPL = parseInstrumentId('AAPL.ALPACA');
/** 14:20 market time: the current hour is 14:00, the first shown 08:00. */
const NOW = Date.UTC(2026, 2, 2, 14, 20);
const HOUR = Date.UTC(2026, 2, 2, 14, 0);
const dec = (text: string) => Decimal.parse(text);
let sequence = 0;

function fill(role: OrderRole, instrumentId: typeof SQQQ, side: 'BUY' | 'SELL', quantity: string, at: number, orderSequence?: number): Fill {
  sequence += 1;
  const clientOrderId = makeClientOrderId(BOT, '0000beef', role, orderSequence ?? sequence);
  return { tradeId: parseTradeId(`t-${sequence}`), clientOrderId, instrumentId, side, quantity: dec(quantity), price: dec('10'), fee: dec('0'), liquidity: 'TAKER', at };
}

describe('per-hour activity', () => {
  it('closes a round trip back at flat or through it, never on the way in', () => {
    expect(closesRoundTrip(dec('0'), dec('1'))).toBe(false);
    expect(closesRoundTrip(dec('1'), dec('2'))).toBe(false);
    expect(closesRoundTrip(dec('2'), dec('1'))).toBe(false);
    expect(closesRoundTrip(dec('1'), dec('0'))).toBe(true);
    expect(closesRoundTrip(dec('-1'), dec('0'))).toBe(true);
    expect(closesRoundTrip(dec('1'), dec('-1'))).toBe(true);
  });

  it('counts an entry filled in parts once, at its first fill, and each close by the role that made it', () => {
    const events = ledgerEvents([
      fill('ENTRY', SQQQ, 'BUY', '5', HOUR - 10, 1),
      fill('ENTRY', SQQQ, 'BUY', '5', HOUR + 10, 1),
      fill('STOP', SQQQ, 'SELL', '10', HOUR + 20),
      fill('ENTRY', AAPL, 'BUY', '2', HOUR + 30),
      fill('TAKE_PROFIT', AAPL, 'SELL', '1', HOUR + 40),
      fill('CLOSE', AAPL, 'SELL', '1', HOUR + 50),
    ]);
    expect(events.entriesFilled).toEqual([HOUR - 10, HOUR + 30]);
    expect(events.closed).toEqual([
      { at: HOUR + 20, exit: 'STOP' },
      { at: HOUR + 50, exit: 'CLOSE' },
    ]);
  });

  it('puts notes, fills, closes and risk peaks in their hours, current first, and leaves other hours out', () => {
    const activity = botActivity({
      now: NOW,
      declaredNotes: ['route', 'suppress', 'basket_state'],
      notes: [
        { hour: HOUR, note: 'route', value: 'ENTRY', count: 1 },
        { hour: HOUR, note: 'route', value: 'STOCK_LONG', count: 2 },
        { hour: HOUR, note: 'suppress', value: 'BELOW_BREADTH', count: 7 },
        { hour: HOUR, note: 'suppress', value: 'LOCKED', count: 18 },
        { hour: HOUR, note: 'block', value: 'IN_FLIGHT_LOCK', count: 3 },
        { hour: HOUR - HOUR_MS, note: 'flip_flop', value: 'SIGN_CHANGED', count: 4 },
        // Before the first hour shown: left out.
        { hour: HOUR - 7 * HOUR_MS, note: 'route', value: 'ENTRY', count: 99 },
      ],
      riskPeaks: [{ hour: HOUR, peak: dec('0.0081') }],
      fills: [
        fill('ENTRY', SQQQ, 'BUY', '10', HOUR - HOUR_MS + 5),
        fill('STOP', SQQQ, 'SELL', '10', HOUR + 5),
        fill('ENTRY', AAPL, 'BUY', '2', HOUR + 6),
        fill('TAKE_PROFIT', AAPL, 'SELL', '2', HOUR + 7),
        fill('ENTRY', AAPL, 'BUY', '2', HOUR + 8),
      ],
    });
    expect(activity.countedNotes).toEqual(['route', 'suppress']);
    expect(activity.hours).toHaveLength(ACTIVITY_HOURS);
    expect(activity.hours.map((hour) => hour.hour)).toEqual(Array.from({ length: ACTIVITY_HOURS }, (_, index) => HOUR - index * HOUR_MS));
    expect(activity.hours[0]).toEqual({
      hour: HOUR,
      actionable: 3,
      filled: 2,
      suppressed: 25,
      suppressedBy: { BELOW_BREADTH: 7, LOCKED: 18 },
      blockedBy: { IN_FLIGHT_LOCK: 3 },
      flipFlops: 0,
      closed: 2,
      stoppedOut: 1,
      stopOutRatio: '0.5',
      peakRiskInUse: '0.0081',
    });
    expect(activity.hours[1]).toMatchObject({ actionable: 0, filled: 1, flipFlops: 4, closed: 0, stopOutRatio: null, peakRiskInUse: null });
    expect(activity.hours.slice(2).every((hour) => hour.actionable === 0 && hour.filled === 0 && hour.closed === 0)).toBe(true);
  });
});
