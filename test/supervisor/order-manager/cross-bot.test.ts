import { silentLogger } from '../../../core/logger.ts';
import { ReconciliationService } from '../../../supervisor/reconciliation/service.ts';
import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from './fixture.ts';
import { ALPHA, BRAVO, BTC, CHARLIE, ETH, QQQ, SQQQ, TQQQ, configInput, d, intent, makeHarness } from './fixture.ts';

describe('cross-bot exposure', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('denies WOULD_HEDGE when a second bot buys the inverse ETF of a key another bot is long', () => {
    h = makeHarness();
    h.price(QQQ, '500');
    h.price(SQQQ, '20');
    expect(h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '10', stop: '495' })).outcome).toBe('APPROVED');
    const hedge = h.om.submitIntent(intent(BRAVO, SQQQ, 'BUY', { quantity: '10', stop: '19' }));
    expect(hedge).toMatchObject({ outcome: 'DENIED', reason: 'WOULD_HEDGE' });
    expect(hedge.detail).toContain('alpha');
  });

  it('denies WOULD_HEDGE when a second bot shorts what another holds long', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' }));
    expect(h.om.submitIntent(intent(BRAVO, BTC, 'SELL', { quantity: '0.01', stop: '51000' })).reason).toBe('WOULD_HEDGE');
  });

  it('denies a bot hedging itself through an inverse instrument on the same key', () => {
    h = makeHarness();
    h.price(QQQ, '500');
    h.price(SQQQ, '20');
    h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '10', stop: '495' }));
    expect(h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })).reason).toBe('WOULD_HEDGE');
  });

  it('treats shorting the inverse ETF as the same direction as buying the index, so an exclusive key denies WOULD_STACK', () => {
    h = makeHarness();
    h.price(QQQ, '500');
    h.price(SQQQ, '20');
    h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '10', stop: '495' }));
    expect(h.om.submitIntent(intent(BRAVO, SQQQ, 'SELL', { quantity: '10', stop: '21' })).reason).toBe('WOULD_STACK');
  });

  it('denies WOULD_STACK on an exclusive key that another bot already holds in the same direction', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' }));
    expect(h.om.submitIntent(intent(BRAVO, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).reason).toBe('WOULD_STACK');
  });

  it('counts an unfilled entry of another bot as exposure on the key', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const resting = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '48000', type: 'LIMIT', limitPrice: d('49000') }));
    expect(h.ledgers.get(ALPHA)!.order(resting.clientOrderId!)?.status).toBe('ACCEPTED');
    expect(h.om.submitIntent(intent(BRAVO, BTC, 'SELL', { quantity: '0.01', stop: '51000' })).reason).toBe('WOULD_HEDGE');
    expect(h.om.submitIntent(intent(CHARLIE, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).reason).toBe('WOULD_STACK');
  });

  it('resizes to what is left under a capped key and then denies WOULD_STACK once the cap is used', () => {
    h = makeHarness();
    h.price(ETH, '2000');
    // ETH is capped at 20,000 beta-weighted notional across the fleet.
    expect(h.om.submitIntent(intent(ALPHA, ETH, 'BUY', { quantity: '6', stop: '1990' })).outcome).toBe('APPROVED');
    const second = h.om.submitIntent(intent(BRAVO, ETH, 'BUY', { quantity: '6', stop: '1990' }));
    expect(second).toMatchObject({ outcome: 'RESIZED', reason: 'WOULD_STACK' });
    expect(second.approvedQuantity?.toString()).toBe('4');
    expect(h.om.submitIntent(intent(CHARLIE, ETH, 'BUY', { quantity: '1', stop: '1990' })).reason).toBe('WOULD_STACK');
  });

  it('weights exposure by beta: three times leveraged TQQQ uses the cap three times as fast', () => {
    h = makeHarness(configInput({ exposureKeys: { BTC: { policy: 'exclusive' }, ETH: { policy: 'capped', maxNotional: '20000' }, PEPE: { policy: 'exclusive' }, NDX: { policy: 'capped', maxNotional: '30000' } } }));
    h.price(QQQ, '500');
    h.price(TQQQ, '100');
    expect(h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '30', stop: '499' })).outcome).toBe('APPROVED'); // 15,000
    const leveraged = h.om.submitIntent(intent(BRAVO, TQQQ, 'BUY', { quantity: '100', stop: '99.9' })); // asks 30,000 beta-weighted
    expect(leveraged).toMatchObject({ outcome: 'RESIZED', reason: 'WOULD_STACK' });
    expect(leveraged.approvedQuantity?.toString()).toBe('50'); // 50 × 100 × 3 = 15,000
  });
});

describe('in-flight locks', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('sends one order when a bot fires nineteen entries at an inverse ETF in the same instant', () => {
    h = makeHarness();
    h.price(SQQQ, '20');
    // The venue never answers these, as if the request were still on the wire.
    const sent: string[] = [];
    h.venue.submitOrder = async (order) => {
      sent.push(order.clientOrderId);
    };
    const outcomes = Array.from({ length: 19 }, () => h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })));
    expect(outcomes.filter((decision) => decision.outcome === 'APPROVED')).toHaveLength(1);
    expect(outcomes.slice(1).every((decision) => decision.reason === 'IN_FLIGHT_LOCK')).toBe(true);
    expect(sent.filter((id) => id.includes('_E'))).toHaveLength(1);
  });

  it('holds the lock of an entry the venue never answered until the venue is asked, never letting it lapse into a second entry', async () => {
    h = makeHarness(configInput({}, { alpha: { maxAdds: 3 } }));
    h.price(SQQQ, '20');
    const submit = h.venue.submitOrder.bind(h.venue);
    h.venue.submitOrder = async () => {};
    const first = h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' }));
    h.venue.submitOrder = submit;
    // However long it stays unanswered, the key is not free.
    h.clock.advance(3_600_000);
    expect(h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })).reason).toBe('IN_FLIGHT_LOCK');
    // Asked by its client order ID, the venue says it never received it: the entry is settled, the key free.
    const service = new ReconciliationService({
      om: h.om,
      targets: () => [{ botId: ALPHA, subAccountId: h.subAccount(ALPHA), venue: h.venue, ledger: h.ledgers.get(ALPHA)! }],
      clock: h.clock,
      logger: silentLogger,
      receiveWindowMs: 15_000,
      unansweredOrderMs: 10_000,
      onMismatch: 'HALTED',
      wait: async () => {},
    });
    await service.tick();
    expect(h.ledgers.get(ALPHA)!.order(first.clientOrderId!)?.status).toBe('EXPIRED');
    expect(h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })).outcome).toBe('APPROVED');
  });

  it('holds the lock while an acknowledged entry rests unfilled, and releases it when the entry fills', () => {
    h = makeHarness(configInput({}, { alpha: { maxAdds: 3 } }));
    h.price(BTC, '50000');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '48000', type: 'LIMIT', limitPrice: d('49500') }));
    h.clock.advance(600_000);
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '48000' })).reason).toBe('IN_FLIGHT_LOCK');
    h.candle(BTC, '50000', '50000', '49400', '49600');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '48000' })).outcome).toBe('APPROVED');
  });

  it('rebuilds locks from the ledger after a restart', () => {
    h = makeHarness();
    h.price(SQQQ, '20');
    h.venue.submitOrder = async () => {};
    h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' }));
    h.restart();
    h.om.updateMark(SQQQ, d('20'));
    expect(h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })).reason).toBe('IN_FLIGHT_LOCK');
  });
});

describe('pyramiding', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('allows one add by default and denies the next with PYRAMID_LIMIT', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).outcome).toBe('APPROVED');
    h.clock.advance(90_000);
    h.price(BTC, '50200');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).outcome).toBe('APPROVED');
    h.clock.advance(90_000);
    h.price(BTC, '50400');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).reason).toBe('PYRAMID_LIMIT');
  });

  it('honours a configured limit of zero adds', () => {
    h = makeHarness(configInput({}, { alpha: { maxAdds: 0 } }));
    h.price(BTC, '50000');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' }));
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).reason).toBe('PYRAMID_LIMIT');
  });
});
