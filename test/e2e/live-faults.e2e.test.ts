import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultSpecInput } from '../../venues/bybit/standin/faults.ts';
import { LiveFleet, PING_PONG } from './live-harness.ts';

/**
 * The fleet-level fault matrix: the supervisor and a bot as real processes under pm2, trading live on the Bybit
 * stand-in, meet each fault the stand-in can script, and two SIGKILLs of the supervisor at the worst moments. After
 * each, once the supervisor has settled (and restarted), the venue and the ledger must agree: no order placed twice
 * (by orderLinkId or by count), no fill lost (venue executions = ledger fills by trade ID), the same positions, and
 * every position with a working stop at the venue. The bot enters on one candle and exits on the next, so every
 * candle sends the venue an order; each fault is armed for that order.
 */
describe('the live fleet under faults and SIGKILLs', () => {
  let live: LiveFleet;
  const CREATE = 'POST /v5/order/create';

  /** Arms a fault for alpha, pushes the candle that makes alpha send an order, and waits for it to fire. */
  async function during(spec: FaultSpecInput): Promise<void> {
    const fault = live.running.standin.faults.add({ ...spec, uid: live.uids.get('alpha') });
    const before = live.venueOrders('alpha');
    live.candle('BTCUSDT');
    await live.within(fault.spent, `${spec.kind} to fire`);
    const firedAt = Date.now();
    // A dropped stream is reconciled when it is back; the bot trades again (and the next case may start) after that.
    if (spec.kind === 'ws-drop-mid-fill') await live.reconciledSince(firedAt, 'alpha reconciled after its stream came back');
    await live.fleet.until('the order at the venue', async () => live.venueOrders('alpha') > before, 20_000);
    await live.agreed(`venue and ledger to agree after ${spec.kind}`);
  }

  beforeAll(async () => {
    live = await LiveFleet.create([{ id: 'alpha', instruments: ['BTCUSDT.BYBIT'], strategy: PING_PONG }]);
    const started = await live.fleet.script('supervisor/fleet-start.ts');
    expect(started.stdout).toContain('Fleet online');
    await live.ready('alpha connected and reconciled');
    // A first round trip with no fault: an entry, its stop, and agreement.
    live.candle('BTCUSDT');
    await live.fleet.until('the first entry', async () => live.venueOrders('alpha') > 0, 30_000);
    await live.agreed('venue and ledger to agree before any fault');
  }, 120_000);

  afterAll(async () => {
    await live?.destroy();
  }, 60_000);

  it('a create carried out whose answer never comes is found by its orderLinkId, not sent again', async () => {
    await during({ kind: 'accept-then-timeout', route: CREATE });
  }, 40_000);

  it('a create carried out and answered with HTTP 503 is found by its orderLinkId, not sent again', async () => {
    await during({ kind: 'http-5xx', route: CREATE, processed: true });
  }, 40_000);

  it('a burst of 10006 holds the order and sends it once the window allows', async () => {
    await during({ kind: 'rate-limit-burst', route: CREATE, count: 3 });
  }, 40_000);

  it('a private stream dropped in the middle of a fill is gap-filled from REST', async () => {
    await during({ kind: 'ws-drop-mid-fill' });
  }, 40_000);

  it('duplicated pushes book each fill once', async () => {
    await during({ kind: 'ws-duplicate' });
  }, 40_000);

  it('reordered pushes (execution before order) leave the ledger as the venue', async () => {
    await during({ kind: 'ws-reorder' });
  }, 40_000);

  it('a slow answer is waited for', async () => {
    await during({ kind: 'slow', route: CREATE, delayMs: 400 });
  }, 40_000);

  it('a SIGKILL of the supervisor between the ledger write and the venue answer: the order is adopted after the restart, not sent twice', async () => {
    const { supervisor } = await live.status();
    // The stand-in places the order and holds its answer; the supervisor dies while it waits.
    const held = live.running.standin.faults.add({ kind: 'slow', route: CREATE, uid: live.uids.get('alpha'), delayMs: 60_000 });
    const before = live.venueOrders('alpha');
    live.candle('BTCUSDT');
    await live.within(held.spent, 'the held create');
    expect(live.venueOrders('alpha')).toBe(before + 1);
    const pending = live.fleet.ledgerRows<{ n: number }>('alpha', "SELECT COUNT(*) AS n FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_events e WHERE e.client_order_id = o.client_order_id)")[0]?.n ?? 0;
    expect(pending).toBeGreaterThan(0);
    process.kill(supervisor.pid, 'SIGKILL');
    await live.ready('the supervisor back and alpha reconciled', supervisor.pid);
    await live.agreed('venue and ledger to agree after the restart');
    expect(live.venueOrders('alpha')).toBeGreaterThan(before);
  }, 90_000);

  it('a SIGKILL of the supervisor between a fill and its report (the private stream dropped): the fill is booked once after the restart', async () => {
    const { supervisor } = await live.status();
    const uid = live.uids.get('alpha') as number;
    live.running.standin.faults.add({ kind: 'ws-drop-mid-fill', uid });
    let killed: () => void = () => {};
    const fillSeen = new Promise<void>((resolve) => (killed = resolve));
    let done = false;
    // The exchange's own event: the fill is recorded and its pushes dropped; the supervisor dies before any answer.
    const unsubscribe = live.running.standin.exchange.onPrivateBatch((batchUid, batch) => {
      if (done || batchUid !== uid || !batch.execution.some((execution) => execution['execType'] === 'Trade')) return;
      done = true;
      process.kill(supervisor.pid, 'SIGKILL');
      killed();
    });
    try {
      live.candle('BTCUSDT');
      await live.within(fillSeen, 'a fill at the venue');
    } finally {
      unsubscribe();
    }
    await live.ready('the supervisor back and alpha reconciled', supervisor.pid);
    await live.agreed('venue and ledger to agree after the restart');
  }, 90_000);

  it('goes on trading after all of it, still in agreement', async () => {
    const before = live.venueOrders('alpha');
    live.candle('BTCUSDT');
    await live.fleet.until('another order', async () => live.venueOrders('alpha') > before, 30_000);
    await live.agreed('venue and ledger to agree at the end');
  }, 40_000);
});
