import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClientOrderId } from '../../../core/ids.ts';
import type { CommandResultWire } from '../../../core/protocol.ts';
import { BTC, ETH, FleetHarness, botIdOf, entryCommand, ledgerView, marketLong, quietBot, restingLong, venueView } from './fleet-harness.ts';

function decisionOf(result: CommandResultWire): Extract<CommandResultWire, { kind: 'decision' }>['decision'] {
  if (result.kind !== 'decision') throw new Error(`expected a decision, got ${JSON.stringify(result)}`);
  return result.decision;
}

/** Bot → channel → order manager → ledger → paper venue, and the reports back to the bot. */
describe('order path through the bot channel', () => {
  let h: FleetHarness;

  beforeEach(async () => {
    h = await FleetHarness.open({ bots: [quietBot('alpha', { instruments: [BTC, ETH] }), quietBot('bravo', { instruments: [BTC, ETH] })] });
  });
  afterEach(async () => {
    await h.dispose();
  });

  it('test_submit_order_when_market_entry_with_bracket_then_decision_returned_order_in_ledger_and_at_venue', async () => {
    // Arrange
    const alpha = await h.connectedBot('alpha');
    const command = marketLong(h, 'alpha', 'alpha-btc-1', BTC, '0.01');
    // Act
    const seq = alpha.send(command);
    const decision = decisionOf(await alpha.result(seq));
    await h.fleet.om.idle();
    // Assert: the decision.
    expect(decision).toMatchObject({ botId: 'alpha', intentId: 'alpha-btc-1', instrumentId: BTC, outcome: 'APPROVED', reason: null, approvedQuantity: '0.01' });
    const entryId = decision.clientOrderId as ClientOrderId;
    // The ledger: the entry filled, its stop and take-profit working, a position of 0.01.
    const ledger = h.fleet.om.ledger(alpha.botId);
    expect(ledger.ordersForIntent(decision.intentId).map((order) => [order.role, order.status])).toEqual([
      ['ENTRY', 'FILLED'],
      ['STOP', 'ACCEPTED'],
      ['TAKE_PROFIT', 'ACCEPTED'],
    ]);
    expect(ledger.order(entryId)?.filledQuantity.toString()).toBe('0.01');
    // The venue agrees with the ledger on open orders and positions.
    const books = ledgerView(h.fleet, 'alpha');
    expect(books.positions).toEqual([expect.objectContaining({ instrumentId: BTC, quantity: '0.01' })]);
    expect(books.orders).toHaveLength(2);
    expect(await venueView(h.fleet, 'alpha')).toEqual(books);
    // The bot heard every report on its orders and got its new state.
    const reported = await alpha.waitFor((message) => (message.t === 'state' && message.state.positions.length === 1 ? message.state : undefined), 'a state with the position');
    expect(reported.positions[0]).toMatchObject({ instrumentId: BTC, quantity: '0.01' });
    expect(reported.openOrders.map((order) => order.role).sort()).toEqual(['STOP', 'TAKE_PROFIT']);
    const reports = alpha.messages.flatMap((message) => (message.t === 'report' ? [message.report] : []));
    expect(reports.map((report) => report.type)).toEqual(expect.arrayContaining(['ORDER_ACCEPTED', 'ORDER_FILLED']));
    // The operator sees the same decision.
    expect(await h.fleet.control.decisions({ botId: 'alpha', deniedOnly: false, limit: 10 })).toEqual([expect.objectContaining({ intentId: 'alpha-btc-1', outcome: 'APPROVED', clientOrderId: entryId })]);
  });

  it('test_submit_order_when_limit_entry_rests_then_entry_and_waiting_bracket_are_open_in_ledger_and_at_venue', async () => {
    // Arrange
    const alpha = await h.connectedBot('alpha');
    // Act
    const decision = decisionOf(await alpha.execute(restingLong(h, 'alpha', 'alpha-eth-rest', ETH, '0.5')));
    await h.fleet.om.idle();
    // Assert
    expect(decision.outcome).toBe('APPROVED');
    const orders = h.fleet.om.ledger(alpha.botId).ordersForIntent(decision.intentId);
    expect(orders.map((order) => [order.role, order.status])).toEqual([
      ['ENTRY', 'ACCEPTED'],
      ['STOP', 'PENDING_SUBMIT'],
      ['TAKE_PROFIT', 'PENDING_SUBMIT'],
    ]);
    const books = ledgerView(h.fleet, 'alpha');
    expect(books).toEqual({ orders: orders.map((order) => order.clientOrderId as string).sort(), positions: [] });
    expect(await venueView(h.fleet, 'alpha')).toEqual(books);
  });

  it('test_submit_order_when_other_bot_holds_the_key_then_opposite_is_would_hedge_and_same_direction_is_would_stack', async () => {
    // Arrange: alpha is long BTC.
    const alpha = await h.connectedBot('alpha');
    const bravo = await h.connectedBot('bravo');
    expect(decisionOf(await alpha.execute(marketLong(h, 'alpha', 'alpha-long', BTC, '0.01'))).outcome).toBe('APPROVED');
    // Act
    const hedge = decisionOf(await bravo.execute(entryCommand({ botId: 'bravo', intentId: 'bravo-short', instrumentId: BTC, side: 'SELL', quantity: '0.01', stopLoss: h.priceAt(BTC, '1.1') })));
    const stack = decisionOf(await bravo.execute(marketLong(h, 'bravo', 'bravo-long', BTC, '0.01')));
    await h.fleet.om.idle();
    // Assert
    expect(hedge).toMatchObject({ botId: 'bravo', outcome: 'DENIED', reason: 'WOULD_HEDGE', clientOrderId: null });
    expect(hedge.detail).toContain('alpha');
    expect(stack).toMatchObject({ botId: 'bravo', outcome: 'DENIED', reason: 'WOULD_STACK', clientOrderId: null });
    expect(h.fleet.om.ledger(bravo.botId).recentOrders(100)).toEqual([]);
    expect(await venueView(h.fleet, 'bravo')).toEqual({ orders: [], positions: [] });
    const denied = await h.fleet.control.decisions({ botId: 'bravo', deniedOnly: true, limit: 10 });
    expect(denied.map((decision) => decision.reason).sort()).toEqual(['WOULD_HEDGE', 'WOULD_STACK']);
  });

  it('test_submit_order_when_other_bot_has_only_a_resting_entry_on_the_key_then_still_would_hedge', async () => {
    // Arrange
    const alpha = await h.connectedBot('alpha');
    const bravo = await h.connectedBot('bravo');
    decisionOf(await alpha.execute(restingLong(h, 'alpha', 'alpha-rest', ETH, '0.5')));
    // Act
    const hedge = decisionOf(await bravo.execute(entryCommand({ botId: 'bravo', intentId: 'bravo-short-eth', instrumentId: ETH, side: 'SELL', quantity: '0.5', stopLoss: h.priceAt(ETH, '1.1') })));
    // Assert
    expect(hedge).toMatchObject({ outcome: 'DENIED', reason: 'WOULD_HEDGE' });
    expect(ledgerView(h.fleet, 'bravo')).toEqual({ orders: [], positions: [] });
  });

  it('test_submit_order_when_same_intent_id_is_sent_again_then_same_decision_and_no_second_order', async () => {
    // Arrange
    const alpha = await h.connectedBot('alpha');
    const command = marketLong(h, 'alpha', 'alpha-once', BTC, '0.01');
    const first = decisionOf(await alpha.execute(command));
    // Act
    const again = decisionOf(await alpha.execute(command));
    await h.fleet.om.idle();
    // Assert
    expect(again).toEqual(first);
    expect(h.fleet.om.ledger(alpha.botId).recentOrders(100)).toHaveLength(3);
    expect((await venueView(h.fleet, 'alpha')).positions).toEqual([expect.objectContaining({ quantity: '0.01' })]);
  });

  it('test_cancel_order_when_own_resting_entry_then_accepted_and_gone_from_ledger_and_venue', async () => {
    // Arrange
    const alpha = await h.connectedBot('alpha');
    const entry = decisionOf(await alpha.execute(restingLong(h, 'alpha', 'alpha-to-cancel', ETH, '0.5')));
    // Act
    const result = await alpha.execute({ type: 'CANCEL_ORDER', botId: 'alpha', clientOrderId: String(entry.clientOrderId) });
    await h.fleet.om.idle();
    // Assert
    expect(result).toMatchObject({ kind: 'command', outcome: 'ACCEPTED', replacement: null });
    expect(h.fleet.om.ledger(alpha.botId).ordersForIntent(entry.intentId).map((order) => order.status)).toEqual(['CANCELED', 'CANCELED', 'CANCELED']);
    expect(ledgerView(h.fleet, 'alpha')).toEqual({ orders: [], positions: [] });
    expect(await venueView(h.fleet, 'alpha')).toEqual({ orders: [], positions: [] });
  });

  it('test_move_stop_when_position_is_open_then_replacement_at_venue_and_old_stop_canceled', async () => {
    // Arrange: the replacement path, as on a venue that cannot amend in place (the paper venue can: see the next test).
    const alpha = await h.connectedBot('alpha');
    (h.fleet.venue.capabilities as { amend: boolean }).amend = false;
    const entry = decisionOf(await alpha.execute(marketLong(h, 'alpha', 'alpha-move', BTC, '0.01')));
    const stop = h.fleet.om.ledger(alpha.botId).ordersForIntent(entry.intentId).find((order) => order.role === 'STOP')!;
    // Act
    const moved = await alpha.execute({ type: 'MOVE_STOP', botId: 'alpha', intentId: 'alpha-move-stop', clientOrderId: stop.clientOrderId, triggerPrice: h.priceAt(BTC, '0.95') });
    await h.fleet.om.idle();
    // Assert
    if (moved.kind !== 'command' || moved.replacement === null) throw new Error(`expected an accepted move, got ${JSON.stringify(moved)}`);
    const ledger = h.fleet.om.ledger(alpha.botId);
    expect(ledger.order(stop.clientOrderId)?.status).toBe('CANCELED');
    expect(ledger.order(moved.replacement as ClientOrderId)).toMatchObject({ role: 'STOP', status: 'ACCEPTED' });
    const books = ledgerView(h.fleet, 'alpha');
    expect(books.orders).toContain(moved.replacement);
    expect(books.orders).not.toContain(stop.clientOrderId);
    expect(await venueView(h.fleet, 'alpha')).toEqual(books);
  });

  it('test_move_stop_when_the_venue_amends_then_the_same_stop_carries_the_new_trigger_in_ledger_and_venue', async () => {
    // Arrange
    const alpha = await h.connectedBot('alpha');
    const entry = decisionOf(await alpha.execute(marketLong(h, 'alpha', 'alpha-amend', BTC, '0.01')));
    const stop = h.fleet.om.ledger(alpha.botId).ordersForIntent(entry.intentId).find((order) => order.role === 'STOP')!;
    const trigger = h.priceAt(BTC, '0.95');
    // Act
    const moved = await alpha.execute({ type: 'MOVE_STOP', botId: 'alpha', intentId: 'alpha-amend-stop', clientOrderId: stop.clientOrderId, triggerPrice: trigger });
    await h.fleet.om.idle();
    // Assert
    expect(moved).toMatchObject({ kind: 'command', outcome: 'ACCEPTED', replacement: null });
    const ledger = h.fleet.om.ledger(alpha.botId);
    expect(ledger.order(stop.clientOrderId)).toMatchObject({ status: 'ACCEPTED' });
    expect(ledger.order(stop.clientOrderId)?.triggerPrice?.toString()).toBe(trigger);
    const atVenue = await h.fleet.venue.queryOrder(stop.subAccountId, BTC, stop.clientOrderId);
    expect(atVenue?.triggerPrice?.toString()).toBe(trigger);
    expect(await venueView(h.fleet, 'alpha')).toEqual(ledgerView(h.fleet, 'alpha'));
    expect(h.fleet.om.unprotectedPositions(alpha.botId)).toEqual([]);
  });

  it('test_submit_order_when_command_is_malformed_then_denied_invalid_intent_without_a_decision', async () => {
    // Arrange
    const alpha = await h.connectedBot('alpha');
    // Act
    const badId = await alpha.execute({ ...marketLong(h, 'alpha', 'has spaces', BTC, '0.01') });
    const badInstrument = await alpha.execute(entryCommand({ botId: 'alpha', intentId: 'bad-instrument', instrumentId: 'btcusdt' as never, side: 'BUY', quantity: '0.01', stopLoss: '1' }));
    // Assert
    expect(badId).toMatchObject({ kind: 'command', outcome: 'DENIED', reason: 'INVALID_INTENT' });
    expect(badInstrument).toMatchObject({ kind: 'command', outcome: 'DENIED', reason: 'INVALID_INTENT' });
    expect(h.fleet.om.recentDecisions(10)).toEqual([]);
    expect(h.fleet.om.ledger(botIdOf('alpha')).recentOrders(10)).toEqual([]);
  });
});
