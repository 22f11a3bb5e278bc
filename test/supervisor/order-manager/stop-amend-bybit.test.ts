import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientOrderId, SubAccountId } from '../../../core/ids.ts';
import { parseIntentId } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import { parseOrderManagerConfig } from '../../../supervisor/order-manager/config.ts';
import { reconcile } from '../../../supervisor/reconciliation/reconcile.ts';
import { BybitVenue } from '../../../venues/bybit/bybit-venue.ts';
import { btc, eth, FAST, setupBybit, type BybitSetup } from '../../venues/bybit/fixtures.ts';
import { ALPHA, BTC, configInput, d, intent } from './fixture.ts';
import { Run } from './venue-run.ts';

/**
 * Stop moves by amend through the real Bybit adapter, against its stand-in on 127.0.0.1: the order manager, the bot's
 * ledger on a file, POST /v5/order/amend and the private stream.
 */
const config = parseOrderManagerConfig(
  configInput(
    {
      instruments: [{ id: BTC, kind: 'PERPETUAL', tickSize: '0.1', lotStep: '0.001', minQuantity: '0.001', minNotional: '5', exposure: { key: 'BTC', beta: '1' } }],
      exposureKeys: { BTC: { policy: 'exclusive' } },
    },
    { alpha: { subAccountId: 'alpha' } },
  ),
);

let moves = 0;
const move = () => parseIntentId(`bybit-amend-${++moves}`);

describe('moving a stop by amend on the Bybit adapter, against its stand-in', () => {
  let setup: BybitSetup | undefined;
  let dir = '';
  const runs: Run[] = [];
  const venues: BybitVenue[] = [];
  afterEach(async () => {
    for (const run of runs.splice(0)) run.close();
    for (const venue of venues.splice(0)) await venue.stop();
    await setup?.close();
    setup = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A long of 0.01 BTC at 60000 with its stop at 59000 working at Bybit. */
  async function longWithStop(): Promise<{ s: BybitSetup; run: Run; stop: ClientOrderId }> {
    setup = await setupBybit();
    const s = setup;
    dir = mkdtempSync(join(tmpdir(), 'flotilla-bybit-amend-'));
    const run = new Run(dir, config, s.venue, s.running.clock);
    runs.push(run);
    run.om.updateMark(BTC, d('60000'));
    expect(run.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '59000' })).outcome).toBe('APPROVED');
    const stop = run.ledger.openOrders().find((order) => order.role === 'STOP')!.clientOrderId;
    s.trade('60000');
    await run.until(() => run.ledger.position(BTC)?.quantity.eq(d('0.01')) === true && run.ledger.order(stop)?.status === 'ACCEPTED', 'the entry filled and its stop working at Bybit');
    return { s, run, stop };
  }

  async function bybitTrigger(s: BybitSetup, venue: BybitVenue, stop: ClientOrderId): Promise<string | undefined> {
    return (await venue.queryOrder(s.accounts[0] as SubAccountId, BTC, stop))?.triggerPrice?.toString();
  }

  it('test_move_when_bybit_amends_then_the_stop_keeps_its_id_and_carries_the_new_trigger', async () => {
    const { s, run, stop } = await longWithStop();
    const result = run.om.moveStop(ALPHA, stop, d('59500'), move());
    await run.until(() => run.ledger.order(stop)?.triggerPrice?.eq(d('59500')) === true, 'the amended trigger in the ledger');
    await run.om.idle();
    expect(result).toEqual({ outcome: 'ACCEPTED', clientOrderId: stop, replacement: null });
    expect(await bybitTrigger(s, s.venue, stop)).toBe('59500');
    expect(run.ledger.openOrders().filter((order) => order.role === 'STOP').map((order) => order.clientOrderId)).toEqual([stop]);
    expect(run.ledger.unsettledStopAmendments()).toEqual([]);
  });

  it('test_move_when_bybit_refuses_the_trigger_then_the_stop_stays_at_its_old_trigger_and_the_failure_is_counted', async () => {
    // A sell stop above the last price would trigger at once: Bybit refuses the amend.
    const { s, run, stop } = await longWithStop();
    run.om.moveStop(ALPHA, stop, d('61000'), move());
    await run.until(() => run.events.some((event) => event.type === 'STOP_MOVE_FAILED'), 'the failed move');
    await run.om.idle();
    expect(run.events).toContainEqual(expect.objectContaining({ type: 'REPORT_APPLIED', report: expect.objectContaining({ type: 'AMEND_REJECTED', clientOrderId: stop }) }));
    expect(run.events).toContainEqual(expect.objectContaining({ type: 'STOP_MOVE_FAILED', replaced: stop, replacement: null, status: 'ACCEPTED' }));
    expect(run.ledger.order(stop)).toMatchObject({ status: 'ACCEPTED', triggerPrice: d('59000') });
    expect(await bybitTrigger(s, s.venue, stop)).toBe('59000');
    expect(run.ledger.unsettledStopAmendments()).toEqual([]);
  });

  it('test_move_when_the_amend_answer_times_out_then_the_order_is_asked_for_by_id_and_the_new_trigger_recorded_once', async () => {
    const { s, run, stop } = await longWithStop();
    const fault = s.running.standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v5/order/amend', destroy: true });
    run.om.moveStop(ALPHA, stop, d('59500'), move());
    await fault.spent;
    await run.until(() => run.ledger.order(stop)?.triggerPrice?.eq(d('59500')) === true, 'the amended trigger in the ledger');
    await run.om.idle();
    expect(fault.fired).toBe(1);
    expect(await bybitTrigger(s, s.venue, stop)).toBe('59500');
    expect(run.events.filter((event) => event.type === 'STOP_MOVE_FAILED')).toEqual([]);
    expect(run.ledger.unsettledStopAmendments()).toEqual([]);
  });

  it('test_restart_when_the_supervisor_dies_between_the_amend_and_its_answer_then_reconciliation_records_the_bybit_trigger', async () => {
    // Arrange: Bybit carries the amend out and holds the answer; the supervisor dies meanwhile.
    const { s, run, stop } = await longWithStop();
    const fault = s.running.standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v5/order/amend' });
    run.om.moveStop(ALPHA, stop, d('59500'), move());
    await fault.spent;
    run.close();
    runs.splice(runs.indexOf(run), 1);
    await s.venue.stop();
    // Act: a new process on the same files: a new adapter, reconciliation, then the order manager's restart step.
    const alpha = s.accounts[0] as SubAccountId;
    const venue = new BybitVenue({ name: 'BYBIT', environment: s.running.standin.url, credentials: new Map([[alpha, s.credentials.get(alpha)!]]), instruments: [btc, eth], clock: s.running.clock, logger: silentLogger, timeouts: FAST });
    venues.push(venue);
    const after = new Run(dir, config, venue, s.running.clock);
    runs.push(after);
    expect(after.ledger.unsettledStopAmendments()).toMatchObject([{ clientOrderId: stop, triggerPrice: d('59500') }]);
    expect(after.ledger.order(stop)?.triggerPrice).toEqual(d('59000'));
    await venue.start();
    await reconcile({ botId: ALPHA, subAccountId: alpha, venue, ledger: after.ledger }, { apply: (report) => after.om.applyReport(report), now: () => s.running.clock.now(), receiveWindowMs: 10_000 });
    after.om.reconciled(ALPHA);
    after.om.afterVenuesRestored();
    await after.om.idle();
    // Assert: the ledger has the trigger Bybit holds, the move is settled, and nothing was counted as failed.
    expect(await bybitTrigger(s, venue, stop)).toBe('59500');
    expect(after.ledger.order(stop)).toMatchObject({ status: 'ACCEPTED', triggerPrice: d('59500') });
    expect(after.ledger.unsettledStopAmendments()).toEqual([]);
    expect(after.events.filter((event) => event.type === 'STOP_MOVE_FAILED')).toEqual([]);
    expect(after.om.unprotectedPositions(ALPHA)).toEqual([]);
  });
});
