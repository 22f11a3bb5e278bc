import { afterEach, describe, expect, it } from 'vitest';
import type { SubAccountId } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import { BybitVenue } from '../../../venues/bybit/bybit-venue.ts';
import { btc, eth, FAST, order, Recorder, setupBybit, type BybitSetup } from '../../venues/bybit/fixtures.ts';
import { LedgerCheck } from '../../venues/bybit/ledger-check.ts';

/**
 * The Bybit adapter holds a bracket's children until their entry fills, and a restart loses what it held: the ledger
 * has them PENDING_SUBMIT and Bybit never saw them. Reconciliation hands them to the venue again, under the same
 * client order ID, instead of writing them off: a position is never left without the stop it was given.
 */
describe('reconciliation of bracket children a restart lost', () => {
  let setup: BybitSetup | undefined;
  const extra: BybitVenue[] = [];
  afterEach(async () => {
    for (const venue of extra.splice(0)) await venue.stop();
    await setup?.close();
    setup = undefined;
  });

  it('hands a held child to the venue again and the venue sends it once its entry has filled', async () => {
    setup = await setupBybit();
    const s = setup;
    const alpha = s.accounts[0] as SubAccountId;
    const check = new LedgerCheck(s.venue, s.running.clock, alpha);
    const entry = order({ id: check.ledger.allocateClientOrderId('ENTRY'), side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59900', account: alpha });
    const stop = order({ id: check.ledger.allocateClientOrderId('STOP'), side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', trigger: '59000', account: alpha, parent: entry.clientOrderId });
    check.ledger.recordOrders([entry, stop], s.running.clock.now());
    await s.venue.submitOrder(entry);
    await s.venue.submitOrder(stop);
    await s.recorder.next('ORDER_ACCEPTED', entry.clientOrderId);
    // The supervisor goes down with the child held in memory; the entry fills while nobody listens.
    await s.venue.stop();
    s.trade('59850');

    const restarted = new BybitVenue({ name: 'BYBIT', environment: s.running.standin.url, credentials: new Map([[alpha, s.credentials.get(alpha)!]]), instruments: [btc, eth], clock: s.running.clock, logger: silentLogger, timeouts: FAST });
    extra.push(restarted);
    const recorder = new Recorder();
    restarted.onExecutionReport((report) => {
      recorder.report(report);
      if (report.subAccountId === alpha && report.type !== 'FUNDING_SETTLED') check.ledger.applyReport(report);
    });
    await restarted.start();
    // Well past the receive window: a plain order Bybit never had would be written off now.
    s.running.clock.advance(60_000);
    const findings = await check.reconcile(restarted, alpha, s.running.clock.now());
    expect(findings.handedOver).toEqual([stop.clientOrderId]);
    expect(findings.neverReceived).toEqual([]);
    await recorder.next('ORDER_ACCEPTED', stop.clientOrderId);
    expect(check.ledger.order(stop.clientOrderId)?.status).toBe('ACCEPTED');
    expect(check.ledger.position(btc.id)?.quantity.toString()).toBe('0.01');
    check.close();
  });
});
