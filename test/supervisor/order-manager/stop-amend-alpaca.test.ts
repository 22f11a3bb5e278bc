import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { dec } from '../../../core/decimal.ts';
import type { ClientOrderId } from '../../../core/ids.ts';
import { parseExposureKey, parseInstrumentId, parseIntentId, parseSubAccountId } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import { parseOrderManagerConfig } from '../../../supervisor/order-manager/config.ts';
import { AlpacaVenue } from '../../../venues/alpaca/alpaca-venue.ts';
import { AlpacaStandin } from '../../../venues/alpaca/standin/standin.ts';
import { ALPHA, configInput, d, intent } from './fixture.ts';
import { Run } from './venue-run.ts';

/**
 * Stop moves by amend through the Alpaca adapter (a replace by PATCH, the next order of the stop's chain, reported
 * under the stop's own client order ID), against its stand-in on 127.0.0.1, in session.
 */
const FRAC = parseInstrumentId('FRAC.ALPACA');
const config = parseOrderManagerConfig(
  configInput(
    {
      instruments: [{ id: FRAC, kind: 'EQUITY', tickSize: '0.1', lotStep: '0.001', minQuantity: '0.001', minNotional: '5', exposure: { key: 'FRAC', beta: '1' } }],
      exposureKeys: { FRAC: { policy: 'exclusive' } },
    },
    { alpha: { subAccountId: 'alpha' } },
  ),
);

let moves = 0;
const move = () => parseIntentId(`alpaca-amend-${++moves}`);

describe('moving a stop by amend on the Alpaca adapter, against its stand-in', () => {
  let standin: AlpacaStandin | undefined;
  let venue: AlpacaVenue | undefined;
  let run: Run | undefined;
  let dir = '';
  afterEach(async () => {
    run?.close();
    await venue?.stop();
    await standin?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function longWithStop(): Promise<{ run: Run; venue: AlpacaVenue; stop: ClientOrderId }> {
    const clock = new ManualClock(Date.UTC(2024, 10, 26, 15, 0));
    standin = await AlpacaStandin.start({
      instruments: [{ id: FRAC, kind: 'EQUITY', tickSize: '0.1', lotStep: '0.001', minQuantity: '0.001', minNotional: '5', exposure: { key: 'FRAC', beta: '1' }, startPrice: '60000' }],
      clock,
    });
    const bar = (price: string): void => {
      clock.advance(60_000);
      standin!.pushBar('FRAC', { open: price, high: price, low: price, close: price });
    };
    bar('60000');
    venue = new AlpacaVenue({
      name: 'ALPACA',
      environment: standin.url,
      credentials: new Map([[parseSubAccountId('alpha'), standin.createAccount()]]),
      instruments: [{ id: FRAC, kind: 'EQUITY', tickSize: dec('0.1'), lotStep: dec('0.001'), minQuantity: dec('0.001'), minNotional: dec('5'), exposureKey: parseExposureKey('FRAC'), beta: dec('1') }],
      clock,
      logger: silentLogger,
    });
    await venue.start();
    dir = mkdtempSync(join(tmpdir(), 'flotilla-alpaca-amend-'));
    run = new Run(dir, config, venue, clock);
    run.om.updateMark(FRAC, d('60000'));
    const decision = run.om.submitIntent(intent(ALPHA, FRAC, 'BUY', { quantity: '0.01', stop: '59000' }));
    expect(decision.outcome, decision.detail).toBe('APPROVED');
    const stop = run.ledger.openOrders().find((order) => order.role === 'STOP')!.clientOrderId;
    bar('60000');
    const r = run;
    await r.until(() => r.ledger.position(FRAC)?.quantity.eq(d('0.01')) === true && r.ledger.order(stop)?.status === 'ACCEPTED', 'the entry filled and its stop working at Alpaca');
    return { run: r, venue, stop };
  }

  it('test_move_when_alpaca_replaces_the_stop_then_the_ledger_keeps_its_id_with_the_new_trigger', async () => {
    const { run, venue, stop } = await longWithStop();
    const result = run.om.moveStop(ALPHA, stop, d('59500'), move());
    await run.until(() => run.ledger.order(stop)?.triggerPrice?.eq(d('59500')) === true, 'the amended trigger in the ledger');
    await run.om.idle();
    expect(result).toEqual({ outcome: 'ACCEPTED', clientOrderId: stop, replacement: null });
    expect((await venue.queryOrder(parseSubAccountId('alpha'), FRAC, stop))?.triggerPrice?.toString()).toBe('59500');
    expect(run.ledger.unsettledStopAmendments()).toEqual([]);
    expect(run.om.unprotectedPositions(ALPHA)).toEqual([]);
  });

  it('test_move_when_alpaca_refuses_the_stop_price_then_the_stop_stays_and_the_failure_is_counted', async () => {
    // A sell stop above the last price: the stand-in refuses the replace, as Alpaca does.
    const { run, venue, stop } = await longWithStop();
    run.om.moveStop(ALPHA, stop, d('61000'), move());
    await run.until(() => run.events.some((event) => event.type === 'STOP_MOVE_FAILED'), 'the failed move');
    await run.om.idle();
    expect(run.events).toContainEqual(expect.objectContaining({ type: 'REPORT_APPLIED', report: expect.objectContaining({ type: 'AMEND_REJECTED', clientOrderId: stop }) }));
    expect(run.ledger.order(stop)).toMatchObject({ status: 'ACCEPTED', triggerPrice: d('59000') });
    expect((await venue.queryOrder(parseSubAccountId('alpha'), FRAC, stop))?.triggerPrice?.toString()).toBe('59000');
  });
});
