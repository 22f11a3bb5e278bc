import { afterEach, describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.ts';
import type { BotId, ClientOrderId } from '../../../core/ids.ts';
import { parseClientOrderId, parseIntentId } from '../../../core/ids.ts';
import type { SubmitOrder } from '../../../core/order.ts';
import type { OrderManagerEvent } from '../../../supervisor/order-manager/order-manager.ts';
import type { Harness } from './fixture.ts';
import { ALPHA, BTC, ETH, configInput, d, intent, makeHarness } from './fixture.ts';

let moves = 0;
const move = () => parseIntentId(`protect-move-${++moves}`);

/**
 * The invariant, measured at the venue and independently of the order manager's own check: every position the venue
 * holds for a bot has reduce-only stops there covering all of it.
 */
async function assertEveryPositionHasAStop(h: Harness, botId: BotId): Promise<void> {
  const subAccount = h.subAccount(botId);
  const stops = (await h.venue.openOrders(subAccount)).filter((order) => parseClientOrderId(order.clientOrderId).role === 'STOP');
  for (const position of await h.venue.positions(subAccount)) {
    const covered = Decimal.sum(stops.filter((stop) => stop.instrumentId === position.instrumentId).map((stop) => stop.leavesQuantity));
    expect(covered.gte(position.quantity.abs()), `${botId} ${position.instrumentId}: ${position.quantity.toString()} held, stops cover ${covered.toString()}`).toBe(true);
  }
  expect(h.om.unprotectedPositions(botId)).toEqual([]);
}

/** Makes the venue refuse the next order of a role, as a venue would with a rejection report. */
function rejectNext(h: Harness, role: SubmitOrder['role'], times = 1): void {
  const submit = h.venue.submitOrder.bind(h.venue);
  let left = times;
  h.venue.submitOrder = async (order) => {
    if (order.role === role && left > 0) {
      left--;
      h.om.applyReport({ type: 'ORDER_REJECTED', subAccountId: order.subAccountId, clientOrderId: order.clientOrderId, reason: 'INVALID_ORDER', detail: 'refused for the test', at: h.clock.now() });
      return;
    }
    return submit(order);
  };
}

function events(h: Harness): OrderManagerEvent[] {
  const seen: OrderManagerEvent[] = [];
  h.om.onEvent((event) => seen.push(event));
  return seen;
}

function longWithBracket(h: Harness, quantity = '0.02'): { stop: ClientOrderId; takeProfit: ClientOrderId } {
  h.price(BTC, '50000');
  const decision = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity, stop: '49000', takeProfit: '53000' }));
  expect(decision.outcome).toBe('APPROVED');
  const open = h.ledgers.get(ALPHA)!.openOrders();
  return { stop: open.find((order) => order.role === 'STOP')!.clientOrderId, takeProfit: open.find((order) => order.role === 'TAKE_PROFIT')!.clientOrderId };
}

describe('a stop is never removed before its replacement is live (a venue that cannot amend)', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('keeps the old stop until the venue accepts the replacement', async () => {
    h = makeHarness(undefined, { venueAmends: false });
    const { stop } = longWithBracket(h);
    const held: SubmitOrder[] = [];
    const submit = h.venue.submitOrder.bind(h.venue);
    h.venue.submitOrder = async (order) => {
      held.push(order);
    };
    const result = h.om.moveStop(ALPHA, stop, d('49600'), move());
    await h.om.idle();
    expect(result.outcome).toBe('ACCEPTED');
    expect(h.ledgers.get(ALPHA)!.order(stop)?.status).toBe('ACCEPTED');
    expect((await h.venue.openOrders(h.subAccount(ALPHA))).map((order) => order.clientOrderId)).toContain(stop);
    // A second move while the first is in flight would leave two replacements; it is refused.
    expect(h.om.moveStop(ALPHA, stop, d('49700'), move())).toMatchObject({ outcome: 'DENIED', reason: 'STOP_MOVE_IN_FLIGHT' });
    h.venue.submitOrder = submit;
    await submit(held[0]!);
    await h.om.idle();
    expect(h.ledgers.get(ALPHA)!.order(stop)?.status).toBe('CANCELED');
    await assertEveryPositionHasAStop(h, ALPHA);
  });

  it('keeps the old stop working when the replacement is rejected, and reports the failure', async () => {
    h = makeHarness(undefined, { venueAmends: false });
    const seen = events(h);
    const { stop } = longWithBracket(h);
    rejectNext(h, 'STOP');
    const result = h.om.moveStop(ALPHA, stop, d('49600'), move());
    await h.om.idle();
    const replacement = result.outcome === 'ACCEPTED' ? result.replacement : null;
    expect(h.ledgers.get(ALPHA)!.order(replacement!)?.status).toBe('REJECTED');
    expect(h.ledgers.get(ALPHA)!.order(stop)?.status).toBe('ACCEPTED');
    expect(seen).toContainEqual(expect.objectContaining({ type: 'STOP_MOVE_FAILED', botId: ALPHA, replaced: stop, replacement, status: 'REJECTED' }));
    // The bot hears of it through the rejection report on its replacement.
    expect(seen).toContainEqual(expect.objectContaining({ type: 'REPORT_APPLIED', report: expect.objectContaining({ type: 'ORDER_REJECTED', clientOrderId: replacement }) }));
    await assertEveryPositionHasAStop(h, ALPHA);
  });

  it('finishes a move whose replacement was accepted before a crash, once the venue stands again', async () => {
    h = makeHarness(undefined, { venueAmends: false });
    const { stop } = longWithBracket(h);
    // The venue accepts the replacement, but the process dies before the old stop's cancel goes out.
    const cancel = h.venue.cancelOrder.bind(h.venue);
    h.venue.cancelOrder = async () => {};
    h.om.moveStop(ALPHA, stop, d('49600'), move());
    await h.om.idle();
    h.venue.cancelOrder = cancel;
    h.restart();
    expect(h.ledgers.get(ALPHA)!.order(stop)?.status).toBe('ACCEPTED');
    h.om.afterVenuesRestored();
    await h.om.idle();
    expect(h.ledgers.get(ALPHA)!.order(stop)?.status).toBe('CANCELED');
    await assertEveryPositionHasAStop(h, ALPHA);
  });

  it('never sizes a replacement above the position', async () => {
    h = makeHarness(undefined, { venueAmends: false });
    const { stop } = longWithBracket(h, '0.02');
    h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '0.005', reduceOnly: true }));
    await h.om.idle();
    const result = h.om.moveStop(ALPHA, stop, d('49600'), move());
    const replacement = result.outcome === 'ACCEPTED' ? h.ledgers.get(ALPHA)!.order(result.replacement!) : null;
    expect(replacement?.quantity.toString()).toBe('0.015');
    expect(replacement?.parentClientOrderId).toBeNull();
  });
});

describe('every open position has a working stop', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('places a stop at the last stop level when a bracket stop is rejected', async () => {
    h = makeHarness();
    const seen = events(h);
    h.price(BTC, '50000');
    rejectNext(h, 'STOP');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000' }));
    await h.om.idle();
    const repairs = seen.filter((event) => event.type === 'PROTECTION_REPAIRED');
    expect(repairs).toEqual([expect.objectContaining({ botId: ALPHA, instrumentId: BTC, repair: 'STOP_PLACED' })]);
    const placed = repairs[0]?.type === 'PROTECTION_REPAIRED' ? h.ledgers.get(ALPHA)!.order(repairs[0].clientOrderId) : null;
    expect(placed).toMatchObject({ role: 'STOP', status: 'ACCEPTED', reduceOnly: true, parentClientOrderId: null });
    expect(placed?.triggerPrice?.toString()).toBe('49000');
    expect(placed?.quantity.toString()).toBe('0.02');
    // The operator sees why, among the decisions.
    expect(h.om.recentDecisions(5).some((decision) => decision.clientOrderId === placed?.clientOrderId && /unprotected/.test(decision.detail))).toBe(true);
    await assertEveryPositionHasAStop(h, ALPHA);
  });

  it('closes the uncovered quantity when the stop placed for it is rejected too', async () => {
    h = makeHarness(configInput({ protectionGraceMs: 5_000 }));
    const seen = events(h);
    h.price(BTC, '50000');
    rejectNext(h, 'STOP', 2);
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000' }));
    await h.om.idle();
    expect(h.om.unprotectedPositions(ALPHA)).toEqual([expect.objectContaining({ instrumentId: BTC, cause: 'NO_WORKING_STOP' })]);
    // The next mark after the grace period looks again, and the rule escalates.
    h.price(BTC, '50010');
    await h.om.idle();
    expect(seen.filter((event) => event.type === 'PROTECTION_REPAIRED').map((event) => event.type === 'PROTECTION_REPAIRED' && event.repair)).toEqual(['STOP_PLACED', 'POSITION_REDUCED']);
    expect(h.ledgers.get(ALPHA)!.position(BTC)?.quantity.isZero()).toBe(true);
    expect(h.om.unprotectedPositions(ALPHA)).toEqual([]);
  });

  it('covers a partly filled entry with its stop and counts nothing as unprotected', async () => {
    h = makeHarness(configInput({}, {}));
    h.price(ETH, '3000');
    h.om.submitIntent(intent(ALPHA, ETH, 'BUY', { quantity: '2', stop: '2900', type: 'LIMIT', limitPrice: d('2990') }));
    // 1 of 2 fills: the harness lets one order take the candle's whole volume.
    h.candle(ETH, '3000', '3000', '2985', '2995', '1');
    await h.om.idle();
    expect(h.ledgers.get(ALPHA)!.position(ETH)?.quantity.toString()).toBe('1');
    await assertEveryPositionHasAStop(h, ALPHA);
    h.candle(ETH, '2995', '2995', '2980', '2990', '5');
    await h.om.idle();
    expect(h.ledgers.get(ALPHA)!.position(ETH)?.quantity.toString()).toBe('2');
    await assertEveryPositionHasAStop(h, ALPHA);
  });

  it('repairs a position whose stop the venue lost, found at start, with the invariant held after each restart', async () => {
    h = makeHarness();
    const { stop } = longWithBracket(h);
    await assertEveryPositionHasAStop(h, ALPHA);
    h.restart();
    h.om.afterVenuesRestored();
    await assertEveryPositionHasAStop(h, ALPHA);
    // The venue drops the stop (an operator at the exchange's website, say) while the supervisor is down.
    h.om.close();
    h.venue.engine.cancel(h.subAccount(ALPHA), stop);
    h.restart();
    // The ledger still thinks the stop works until the venue says otherwise; its cancel report comes in reconciliation.
    h.om.applyReport({ type: 'ORDER_CANCELED', subAccountId: h.subAccount(ALPHA), clientOrderId: stop, detail: 'canceled at the venue', at: h.clock.now() });
    h.om.afterVenuesRestored();
    await h.om.idle();
    await assertEveryPositionHasAStop(h, ALPHA);
  });

  it('gives a stop in flight its grace period before counting the position as unprotected', async () => {
    h = makeHarness(configInput({ protectionGraceMs: 30_000 }));
    h.price(BTC, '50000');
    const submit = h.venue.submitOrder.bind(h.venue);
    h.venue.submitOrder = async (order) => {
      if (order.role !== 'STOP') return submit(order);
    };
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000' }));
    await h.om.idle();
    h.om.checkProtection();
    expect(h.om.unprotectedPositions(ALPHA)).toEqual([]);
    h.clock.advance(31_000);
    h.venue.submitOrder = submit;
    h.om.checkProtection();
    expect(h.om.unprotectedPositions(ALPHA)).toEqual([expect.objectContaining({ instrumentId: BTC, uncovered: d('0.02') })]);
    await h.om.idle();
    // The repair stop took.
    h.om.checkProtection();
    await assertEveryPositionHasAStop(h, ALPHA);
  });
});
