import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OutcomeUnknownError } from '../../../core/errors.ts';
import type { ClientOrderId } from '../../../core/ids.ts';
import { parseIntentId } from '../../../core/ids.ts';
import type { OrderChanges } from '../../../core/venue.ts';
import type { OrderManagerEvent } from '../../../supervisor/order-manager/order-manager.ts';
import { reconcile } from '../../../supervisor/reconciliation/reconcile.ts';
import type { Harness } from './fixture.ts';
import { ALPHA, BTC, d, intent, makeHarness } from './fixture.ts';

let moves = 0;
const move = () => parseIntentId(`amend-move-${++moves}`);

function events(h: Harness): OrderManagerEvent[] {
  const seen: OrderManagerEvent[] = [];
  h.om.onEvent((event) => seen.push(event));
  return seen;
}

function longWithBracket(h: Harness): { stop: ClientOrderId; takeProfit: ClientOrderId } {
  h.price(BTC, '50000');
  expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000', takeProfit: '53000' })).outcome).toBe('APPROVED');
  const open = h.ledgers.get(ALPHA)!.openOrders();
  return { stop: open.find((order) => order.role === 'STOP')!.clientOrderId, takeProfit: open.find((order) => order.role === 'TAKE_PROFIT')!.clientOrderId };
}

/** Every amend the venue is asked for; `answer` decides what happens to each (the real paper venue by default). */
function interceptAmends(h: Harness, answer?: (changes: OrderChanges, clientOrderId: ClientOrderId) => Promise<void>): OrderChanges[] {
  const asked: OrderChanges[] = [];
  const amend = h.venue.amendOrder.bind(h.venue);
  h.venue.amendOrder = async (subAccountId, instrumentId, clientOrderId, changes) => {
    asked.push(changes);
    return answer === undefined ? amend(subAccountId, instrumentId, clientOrderId, changes) : answer(changes, clientOrderId);
  };
  return asked;
}

/** The venue carries the amend out, and its answer never comes back (a timeout, a lost reply, a crash). */
function applyWithoutAnswer(h: Harness): (changes: OrderChanges, clientOrderId: ClientOrderId) => Promise<void> {
  return async (changes, clientOrderId) => {
    h.venue.engine.amend(h.subAccount(ALPHA), clientOrderId, changes, BTC);
  };
}

async function venueStop(h: Harness, stop: ClientOrderId): Promise<string | undefined> {
  return (await h.venue.queryOrder(h.subAccount(ALPHA), BTC, stop))?.triggerPrice?.toString();
}

async function reconcileAlpha(h: Harness): Promise<void> {
  const ledger = h.ledgers.get(ALPHA)!;
  await reconcile({ botId: ALPHA, subAccountId: h.subAccount(ALPHA), venue: h.venue, ledger }, { apply: (report) => h.om.applyReport(report), now: () => h.clock.now(), receiveWindowMs: 10_000 });
  h.om.reconciled(ALPHA);
  h.om.afterVenuesRestored();
  await h.om.idle();
}

describe('moving a stop by amending it in place, on a venue that can', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('test_move_when_the_venue_amends_then_the_same_stop_carries_the_new_trigger_and_nothing_is_cancelled', async () => {
    // Arrange
    h = makeHarness();
    const { stop, takeProfit } = longWithBracket(h);
    const ledger = h.ledgers.get(ALPHA)!;
    const ordersBefore = ledger.recentOrders(100).length;
    // Act
    const result = h.om.moveStop(ALPHA, stop, d('49600'), move());
    await h.om.idle();
    // Assert: no new order, the stop keeps its ID and now has the new trigger at the venue and in the ledger.
    expect(result).toEqual({ outcome: 'ACCEPTED', clientOrderId: stop, replacement: null });
    expect(ledger.recentOrders(100)).toHaveLength(ordersBefore);
    expect(ledger.order(stop)).toMatchObject({ status: 'ACCEPTED', triggerPrice: d('49600'), quantity: d('0.02') });
    expect(await venueStop(h, stop)).toBe('49600');
    expect(ledger.order(takeProfit)?.status).toBe('ACCEPTED');
    expect(ledger.unsettledStopAmendments()).toEqual([]);
    expect(h.om.unprotectedPositions(ALPHA)).toEqual([]);
  });

  it('test_move_when_the_answer_is_pending_then_the_old_trigger_protects_and_a_second_move_waits', async () => {
    // Arrange: the venue holds its answer back.
    h = makeHarness();
    const { stop } = longWithBracket(h);
    const ledger = h.ledgers.get(ALPHA)!;
    let release: () => Promise<void> = async () => {};
    let committedWhenAsked: unknown[] = [];
    const amend = h.venue.amendOrder.bind(h.venue);
    const asked = interceptAmends(h, async (changes, clientOrderId) => {
      // What a crash at this moment would leave: only committed rows, read through a second connection.
      const reader = new DatabaseSync(join(h.dir, `${ALPHA}.ledger.sqlite`), { readOnly: true });
      committedWhenAsked = reader.prepare('SELECT client_order_id, trigger_price FROM stop_amendments').all();
      reader.close();
      release = () => amend(h.subAccount(ALPHA), BTC, clientOrderId, changes);
    });
    const id = move();
    // Act
    h.om.moveStop(ALPHA, stop, d('49600'), id);
    await h.om.idle();
    // Assert: recorded as asked, the ledger's stop unchanged, no protection gap, one move at a time, and the same
    // move sent again asks nothing more of the venue.
    expect(committedWhenAsked).toEqual([{ client_order_id: stop, trigger_price: '49600' }]);
    expect(ledger.unsettledStopAmendments()).toMatchObject([{ clientOrderId: stop, triggerPrice: d('49600'), intentId: id }]);
    expect(ledger.order(stop)).toMatchObject({ status: 'ACCEPTED', triggerPrice: d('49000') });
    h.om.checkProtection();
    await h.om.idle();
    expect(h.om.unprotectedPositions(ALPHA)).toEqual([]);
    expect(h.om.moveStop(ALPHA, stop, d('49700'), move())).toMatchObject({ outcome: 'DENIED', reason: 'STOP_MOVE_IN_FLIGHT' });
    expect(h.om.moveStop(ALPHA, stop, d('49600'), id)).toMatchObject({ outcome: 'ACCEPTED', replacement: null });
    expect(asked).toHaveLength(1);
    // Once the venue answers, the new trigger is the ledger's and the stop may move again.
    await release();
    await h.om.idle();
    expect(ledger.order(stop)?.triggerPrice).toEqual(d('49600'));
    expect(h.om.moveStop(ALPHA, stop, d('49700'), move())).toMatchObject({ outcome: 'ACCEPTED' });
  });

  it('test_move_when_the_venue_refuses_the_amend_then_the_stop_stays_and_the_failure_is_reported_and_counted', async () => {
    // Arrange
    h = makeHarness();
    const seen = events(h);
    const { stop } = longWithBracket(h);
    interceptAmends(h, async (_changes, clientOrderId) => {
      h.om.applyReport({ type: 'AMEND_REJECTED', subAccountId: h.subAccount(ALPHA), clientOrderId, reason: 'INVALID_ORDER', detail: 'refused for the test', at: h.clock.now() });
    });
    // Act
    h.om.moveStop(ALPHA, stop, d('49600'), move());
    await h.om.idle();
    // Assert: the stop works as it was; the bot hears the refusal; the failure is the same event a failed replacement makes.
    const ledger = h.ledgers.get(ALPHA)!;
    expect(ledger.order(stop)).toMatchObject({ status: 'ACCEPTED', triggerPrice: d('49000') });
    expect(await venueStop(h, stop)).toBe('49000');
    expect(seen).toContainEqual(expect.objectContaining({ type: 'REPORT_APPLIED', report: expect.objectContaining({ type: 'AMEND_REJECTED', clientOrderId: stop }) }));
    expect(seen).toContainEqual(expect.objectContaining({ type: 'STOP_MOVE_FAILED', botId: ALPHA, replaced: stop, replacement: null, status: 'ACCEPTED' }));
    expect(ledger.unsettledStopAmendments()).toEqual([]);
    expect(h.om.unprotectedPositions(ALPHA)).toEqual([]);
    expect(h.om.moveStop(ALPHA, stop, d('49700'), move())).toMatchObject({ outcome: 'ACCEPTED' });
  });

  it('test_move_when_the_answer_times_out_after_the_venue_amended_then_a_query_by_id_records_the_new_trigger_without_asking_again', async () => {
    // Arrange: the venue amends, and the request still fails as if it had timed out.
    h = makeHarness();
    const seen = events(h);
    const { stop } = longWithBracket(h);
    const applied = applyWithoutAnswer(h);
    const asked = interceptAmends(h, async (changes, clientOrderId) => {
      await applied(changes, clientOrderId);
      throw new OutcomeUnknownError('timed out after 1000 ms');
    });
    // Act
    h.om.moveStop(ALPHA, stop, d('49600'), move());
    await h.om.idle();
    // Assert
    const ledger = h.ledgers.get(ALPHA)!;
    expect(asked).toHaveLength(1);
    expect(ledger.order(stop)).toMatchObject({ status: 'ACCEPTED', triggerPrice: d('49600') });
    expect(seen.filter((event) => event.type === 'STOP_MOVE_FAILED')).toEqual([]);
    expect(ledger.unsettledStopAmendments()).toEqual([]);
  });

  it('test_move_when_the_answer_times_out_and_the_venue_never_got_it_then_the_old_stop_stays_and_nothing_is_sent_again', async () => {
    // Arrange
    h = makeHarness();
    const seen = events(h);
    const { stop } = longWithBracket(h);
    const asked = interceptAmends(h, async () => {
      throw new OutcomeUnknownError('timed out after 1000 ms');
    });
    // Act
    h.om.moveStop(ALPHA, stop, d('49600'), move());
    await h.om.idle();
    // Assert
    const ledger = h.ledgers.get(ALPHA)!;
    expect(asked).toHaveLength(1);
    expect(ledger.order(stop)).toMatchObject({ status: 'ACCEPTED', triggerPrice: d('49000') });
    expect(await venueStop(h, stop)).toBe('49000');
    expect(seen).toContainEqual(expect.objectContaining({ type: 'STOP_MOVE_FAILED', replaced: stop, replacement: null, detail: expect.stringContaining('holds trigger 49000') }));
    expect(ledger.unsettledStopAmendments()).toEqual([]);
  });

  it('test_restart_when_the_venue_amended_before_the_crash_then_reconciliation_records_the_venue_trigger', async () => {
    // Arrange: the amend is recorded and carried out at the venue; the process dies before the answer arrives.
    h = makeHarness();
    const { stop } = longWithBracket(h);
    interceptAmends(h, applyWithoutAnswer(h));
    h.om.moveStop(ALPHA, stop, d('49600'), move());
    await h.om.idle();
    expect(h.ledgers.get(ALPHA)!.order(stop)?.triggerPrice).toEqual(d('49000'));
    // Act
    h.restart();
    const seen = events(h);
    expect(h.om.moveStop(ALPHA, stop, d('49700'), move())).toMatchObject({ outcome: 'DENIED', reason: 'STOP_MOVE_IN_FLIGHT' });
    await reconcileAlpha(h);
    // Assert: the venue's trigger is the ledger's, the move is done, and a reopened ledger agrees.
    expect(h.ledgers.get(ALPHA)!.order(stop)?.triggerPrice).toEqual(d('49600'));
    expect(await venueStop(h, stop)).toBe('49600');
    expect(seen.filter((event) => event.type === 'STOP_MOVE_FAILED')).toEqual([]);
    expect(h.ledgers.get(ALPHA)!.unsettledStopAmendments()).toEqual([]);
    h.restart();
    expect(h.ledgers.get(ALPHA)!.order(stop)?.triggerPrice).toEqual(d('49600'));
    expect(h.ledgers.get(ALPHA)!.unsettledStopAmendments()).toEqual([]);
  });

  it('test_restart_when_the_venue_never_got_the_amend_then_the_old_trigger_stands_the_failure_is_reported_and_the_stop_can_move_again', async () => {
    // Arrange: the amend is recorded; the process dies before the request leaves.
    h = makeHarness();
    const { stop } = longWithBracket(h);
    interceptAmends(h, async () => {});
    h.om.moveStop(ALPHA, stop, d('49600'), move());
    await h.om.idle();
    // Act
    h.restart();
    const seen = events(h);
    await reconcileAlpha(h);
    // Assert
    const ledger = h.ledgers.get(ALPHA)!;
    expect(ledger.order(stop)?.triggerPrice).toEqual(d('49000'));
    expect(await venueStop(h, stop)).toBe('49000');
    expect(seen).toContainEqual(expect.objectContaining({ type: 'STOP_MOVE_FAILED', replaced: stop, replacement: null }));
    expect(h.om.unprotectedPositions(ALPHA)).toEqual([]);
    // The venue's own amend is back (the stub was on the venue object the restart kept): the next move goes through.
    h.venue.amendOrder = Object.getPrototypeOf(h.venue).amendOrder.bind(h.venue);
    expect(h.om.moveStop(ALPHA, stop, d('49700'), move())).toMatchObject({ outcome: 'ACCEPTED' });
    await h.om.idle();
    expect(ledger.order(stop)?.triggerPrice).toEqual(d('49700'));
  });
});
