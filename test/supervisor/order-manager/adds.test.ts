import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from './fixture.ts';
import { ALPHA, BTC, SQQQ, configInput, d, intent, makeHarness } from './fixture.ts';

describe('adds need new information, not a repeated signal', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('turns 19 identical SQQQ buys on one candle into one entry, even once the first has filled', () => {
    h = makeHarness(configInput({}, { alpha: { maxAdds: 5 } }));
    h.price(SQQQ, '9');
    const decisions = Array.from({ length: 19 }, () => {
      h.clock.advance(13);
      return h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '8.5' }));
    });
    expect(decisions.filter((decision) => decision.outcome === 'APPROVED')).toHaveLength(1);
    expect(new Set(decisions.slice(1).map((decision) => decision.reason))).toEqual(new Set(['ENTRY_COOLDOWN']));
    const entries = h.ledgers.get(ALPHA)!.recentOrders(100).filter((order) => order.role === 'ENTRY');
    expect(entries).toHaveLength(1);
    expect(h.ledgers.get(ALPHA)!.position(SQQQ)?.quantity.toString()).toBe('10');
  });

  it('allows an add only after the cooldown, and only once the price has moved its distance in the position’s favour', () => {
    // Each price is a one-minute candle, so the cooldown here is longer than the two candles before it ends.
    h = makeHarness(configInput({}, { alpha: { maxAdds: 5, entryCooldownMs: 150_000, minAddDistance: '0.01' } }));
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).outcome).toBe('APPROVED');
    h.price(BTC, '51000');
    h.price(BTC, '51000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).reason).toBe('ENTRY_COOLDOWN');
    h.clock.advance(30_000);
    // 50,400 is 0.8% above the entry: not far enough.
    h.price(BTC, '50400');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' }))).toMatchObject({ outcome: 'DENIED', reason: 'ADD_TOO_CLOSE' });
    // Below the entry is against the position: an add there is averaging down, not a pyramid.
    h.price(BTC, '49500');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).reason).toBe('ADD_TOO_CLOSE');
    h.price(BTC, '50600');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).outcome).toBe('APPROVED');
  });

  it('measures a short’s favour downwards', () => {
    h = makeHarness(configInput({}, { alpha: { entryCooldownMs: 0 } }));
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '0.01', stop: '51000' })).outcome).toBe('APPROVED');
    h.price(BTC, '50050');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '0.01', stop: '51000' })).reason).toBe('ADD_TOO_CLOSE');
    h.price(BTC, '49850');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '0.01', stop: '51000' })).outcome).toBe('APPROVED');
  });

  it('defaults the cooldown to 90 s', () => {
    h = makeHarness(configInput());
    h.price(BTC, '50000');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' }));
    h.clock.advance(89_000);
    h.om.updateMark(BTC, d('51000'));
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).reason).toBe('ENTRY_COOLDOWN');
    h.clock.advance(1_000);
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).outcome).toBe('APPROVED');
  });

  it('remembers the last entry across a restart', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' }));
    h.restart();
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).reason).toBe('ENTRY_COOLDOWN');
    h.clock.advance(90_000);
    h.price(BTC, '50050');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).reason).toBe('ADD_TOO_CLOSE');
  });

  it('does not hold a fresh entry after the position was closed to the cooldown', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' }));
    h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '0.01', reduceOnly: true }));
    expect(h.ledgers.get(ALPHA)!.position(BTC)?.quantity.isZero()).toBe(true);
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).outcome).toBe('APPROVED');
  });
});
