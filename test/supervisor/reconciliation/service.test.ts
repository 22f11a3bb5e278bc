import { afterEach, describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import type { ClientOrderId } from '../../../core/ids.ts';
import { parseIntentId } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { Venue } from '../../../core/venue.ts';
import { ReconciliationService } from '../../../supervisor/reconciliation/service.ts';
import type { Harness } from '../order-manager/fixture.ts';
import { ALPHA, BRAVO, BTC, ETH, intent, makeHarness } from '../order-manager/fixture.ts';

function service(h: Harness, venue: Venue = h.venue): ReconciliationService {
  return new ReconciliationService({
    om: h.om,
    targets: () => [ALPHA, BRAVO].map((botId) => ({ botId, subAccountId: h.subAccount(botId), venue, ledger: h.ledgers.get(botId)! })),
    clock: h.clock,
    logger: silentLogger,
    receiveWindowMs: 15_000,
    unansweredOrderMs: 10_000,
    onMismatch: 'HALTED',
    wait: async () => {},
  });
}

describe('reconciliation in the running fleet', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('lets no bot trade before its sub-account is reconciled, and lets it once it is', async () => {
    h = makeHarness(undefined, { requireReconciliation: true });
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' }))).toMatchObject({ outcome: 'DENIED', reason: 'NOT_RECONCILED' });
    const statuses = await service(h).reconcileAll();
    expect([...statuses.values()].map((status) => status.state)).toEqual(['RECONCILED', 'RECONCILED']);
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).outcome).toBe('APPROVED');
  });

  it('halts a bot whose position differs from the venue’s, with RECONCILIATION_MISMATCH, and trades nothing to hide it', async () => {
    h = makeHarness(undefined, { requireReconciliation: true });
    h.price(ETH, '3000');
    // A trade by hand on bravo's sub-account, with an ID that is not Flotilla's.
    await h.venue.submitOrder({
      clientOrderId: 'by-hand' as ClientOrderId, botId: BRAVO, subAccountId: h.subAccount(BRAVO), intentId: parseIntentId('by-hand'), instrumentId: ETH, role: 'ENTRY',
      side: 'BUY', type: 'MARKET', quantity: dec('1'), limitPrice: null, triggerPrice: null, timeInForce: 'GTC', reduceOnly: false, parentClientOrderId: null, activatesOnParentFill: false,
    });
    const ordersBefore = (await h.venue.openOrders(h.subAccount(BRAVO))).length;
    const statuses = await service(h).reconcileAll();
    expect(statuses.get(BRAVO)?.findings?.positionMismatches).toHaveLength(1);
    expect(h.om.scopeState(`bot:${BRAVO}`)).toMatchObject({ state: 'HALTED', reason: 'RECONCILIATION_MISMATCH' });
    expect(h.om.scopeState(`bot:${ALPHA}`).state).toBe('ACTIVE');
    expect(h.ledgers.get(BRAVO)!.recentOrders(10)).toEqual([]);
    expect((await h.venue.openOrders(h.subAccount(BRAVO))).length).toBe(ordersBefore);
  });

  it('stops a sub-account trading while its stream is down and reconciles it before it trades again', async () => {
    h = makeHarness(undefined, { requireReconciliation: true });
    h.price(BTC, '50000');
    const reconciler = service(h);
    await reconciler.reconcileAll();
    reconciler.onConnectionEvent(h.venue, { type: 'DISCONNECTED', subAccountId: h.subAccount(ALPHA), at: h.clock.now(), detail: 'socket closed' });
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' }))).toMatchObject({ outcome: 'DENIED', reason: 'NOT_RECONCILED', detail: expect.stringMatching(/stream is down: socket closed/) });
    expect(h.om.reconciliationBlock(BRAVO)).toBeNull();
    reconciler.onConnectionEvent(h.venue, { type: 'CONNECTED', subAccountId: h.subAccount(ALPHA), at: h.clock.now() });
    await reconciler.reconcileBot(ALPHA);
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).outcome).toBe('APPROVED');
  });

  it('keeps a bot from trading while its venue cannot be read, says why, and succeeds on a later try', async () => {
    h = makeHarness(undefined, { requireReconciliation: true });
    h.price(BTC, '50000');
    let down = true;
    const flaky: Venue = Object.create(h.venue, {
      fillsSince: {
        value: async (...args: Parameters<Venue['fillsSince']>) => {
          if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:443');
          return h.venue.fillsSince(...args);
        },
      },
    }) as Venue;
    const reconciler = service(h, flaky);
    const first = await reconciler.reconcileBot(ALPHA);
    expect(first).toMatchObject({ state: 'FAILED', detail: expect.stringMatching(/ECONNREFUSED/) });
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).reason).toBe('NOT_RECONCILED');
    down = false;
    expect((await reconciler.reconcileBot(ALPHA)).state).toBe('RECONCILED');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).outcome).toBe('APPROVED');
  });
});
