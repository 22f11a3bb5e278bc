import { afterEach, describe, expect, it } from 'vitest';
import { parseOrderManagerConfig } from '../../../supervisor/order-manager/config.ts';
import type { Harness } from './fixture.ts';
import { ALPHA, BRAVO, QQQ, SQQQ, configInput, d, intent, makeHarness } from './fixture.ts';

describe('the in-flight lock lasts at least entryLockMs from an entry’s approval (risk.entryLockMs)', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('keeps the key locked for every bot after the entry filled, until entryLockMs of market time has passed', () => {
    h = makeHarness(configInput({}, { alpha: { entryLockMs: 90_000, maxAdds: 5, entryCooldownMs: 0, minAddDistance: '0' } }));
    h.price(SQQQ, '20');
    expect(h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })).outcome).toBe('APPROVED');
    expect(h.ledgers.get(ALPHA)!.position(SQQQ)?.quantity.toString()).toBe('10');
    h.clock.advance(30_000);
    // Filled 30 s ago: the entry is no longer in flight, but the key is still held, for itself and for others.
    const own = h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' }));
    expect(own).toMatchObject({ outcome: 'DENIED', reason: 'IN_FLIGHT_LOCK' });
    expect(own.detail).toContain('entryLockMs of 90 s');
    expect(h.om.lockedKeys()).toEqual(['NDX']);
    h.clock.advance(59_999);
    expect(h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })).reason).toBe('IN_FLIGHT_LOCK');
    h.clock.advance(1);
    expect(h.om.lockedKeys()).toEqual([]);
    expect(h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })).outcome).toBe('APPROVED');
  });

  it('locks the key for another bot too, and an entry that ended early (canceled) still holds it', () => {
    h = makeHarness(configInput({}, { alpha: { entryLockMs: 60_000 } }));
    h.price(SQQQ, '20');
    h.price(QQQ, '500');
    const entry = h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '1', stop: '480', type: 'LIMIT', limitPrice: d('490') }));
    expect(entry.outcome).toBe('APPROVED');
    h.clock.advance(10_000);
    expect(h.om.cancelOrder(ALPHA, entry.clientOrderId!).outcome).toBe('ACCEPTED');
    expect(h.ledgers.get(ALPHA)!.order(entry.clientOrderId!)?.status).toBe('CANCELED');
    // Nothing of alpha's is on NDX any more, so only the lock can stop bravo's SQQQ.
    expect(h.om.submitIntent(intent(BRAVO, SQQQ, 'BUY', { quantity: '10', stop: '19' }))).toMatchObject({ outcome: 'DENIED', reason: 'IN_FLIGHT_LOCK' });
    h.clock.advance(50_000);
    expect(h.om.submitIntent(intent(BRAVO, SQQQ, 'BUY', { quantity: '10', stop: '19' })).outcome).toBe('APPROVED');
  });

  it('survives a supervisor restart: the lock runs from the order’s recorded time, neither restarted nor forgotten', () => {
    h = makeHarness(configInput({}, { alpha: { entryLockMs: 90_000, entryCooldownMs: 0, minAddDistance: '0' } }));
    h.price(SQQQ, '20');
    expect(h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })).outcome).toBe('APPROVED');
    h.clock.advance(30_000);
    h.restart();
    // The venue keeps its price; the new order manager only needs its mark again (without moving the clock).
    h.om.updateMark(SQQQ, d('20'));
    expect(h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })).reason).toBe('IN_FLIGHT_LOCK');
    h.clock.advance(59_999);
    expect(h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })).reason).toBe('IN_FLIGHT_LOCK');
    // 90 s after the approval, not after the restart.
    h.clock.advance(1);
    expect(h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })).outcome).toBe('APPROVED');
  });

  it('changes nothing by default: a filled entry no longer locks its key', () => {
    h = makeHarness(configInput({}, { alpha: { entryCooldownMs: 0, minAddDistance: '0' } }));
    h.price(SQQQ, '20');
    expect(h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })).outcome).toBe('APPROVED');
    expect(h.om.lockedKeys()).toEqual([]);
    expect(h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })).outcome).toBe('APPROVED');
  });

  it('is validated: a negative or fractional entryLockMs is refused by its key, and it defaults to 0', () => {
    expect(() => parseOrderManagerConfig(configInput({}, { alpha: { entryLockMs: -1 } }))).toThrow(/bots\.0\.entryLockMs/);
    expect(() => parseOrderManagerConfig(configInput({}, { alpha: { entryLockMs: 1.5 } }))).toThrow(/bots\.0\.entryLockMs/);
    expect(parseOrderManagerConfig(configInput()).bots.get(ALPHA)?.entryLockMs).toBe(0);
  });
});
