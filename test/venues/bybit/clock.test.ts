import { afterEach, describe, expect, it } from 'vitest';
import type { SubAccountId } from '../../../core/ids.ts';
import { order, orderId, setupBybit, type BybitSetup } from './fixtures.ts';

/** Signatures carry Bybit's time, not ours: the offset is measured at start, and measured again on a 10002. */

let setup: BybitSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

const realNow = Date.now.bind(Date);

describe('the clock offset to Bybit', () => {
  it('lets a sub-account trade against a server whose clock is 30 s ahead (10002 without the offset), streams included', async () => {
    let skew = 0;
    setup = await setupBybit({ standin: { wallClock: { now: () => realNow() + skew, monotonicNs: () => process.hrtime.bigint() } }, start: false });
    const alpha = setup.accounts[0] as SubAccountId;
    skew = 30_000;
    await setup.venue.start();
    await setup.recorder.until(() => setup?.recorder.connections.some((event) => event.type === 'CONNECTED') ?? false, 'the private stream');
    const id = orderId('ENTRY', 1);
    await setup.venue.submitOrder(order({ id, side: 'BUY', type: 'MARKET', quantity: '0.01', account: alpha }));
    await setup.recorder.next('ORDER_FILLED', id);
    expect(setup.recorder.of(id)).not.toContain('ORDER_REJECTED');
  });

  it('measures the offset again on 10002 and sends once more', async () => {
    let skew = 0;
    setup = await setupBybit({ standin: { wallClock: { now: () => realNow() + skew, monotonicNs: () => process.hrtime.bigint() } } });
    const alpha = setup.accounts[0] as SubAccountId;
    // The server's clock jumps after the adapter measured it: the next signature is outside the receive window.
    skew = -20_000;
    const id = orderId('ENTRY', 1);
    await setup.venue.submitOrder(order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000', account: alpha }));
    await setup.recorder.next('ORDER_ACCEPTED', id);
    expect(await setup.venue.openOrders(alpha)).toHaveLength(1);
  });
});
