import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionReport } from '../../../core/order.ts';
import { parseSubAccountId } from '../../../core/ids.ts';
import type { OrderManagerEvent } from '../../../supervisor/order-manager/order-manager.ts';
import type { Harness } from './fixture.ts';
import { ALPHA, BRAVO, BTC, d, intent, makeHarness } from './fixture.ts';

/** A venue's funding settlement reaches the ledger of the bot holding the sub-account, once, and moves its equity. */

type Funding = Extract<ExecutionReport, { type: 'FUNDING_SETTLED' }>;

describe('funding settled by a venue', () => {
  let h: Harness;
  afterEach(() => h.close());

  function longBtc(): void {
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.1', stop: '49000' })).outcome).toBe('APPROVED');
    expect(h.ledgers.get(ALPHA)?.position(BTC)?.quantity.toString()).toBe('0.1');
  }

  function funding(overrides: Partial<Funding> = {}): Funding {
    return { type: 'FUNDING_SETTLED', subAccountId: h.subAccount(ALPHA), fundingId: 'fund-1', instrumentId: BTC, amount: d('-0.5'), rate: d('0.0001'), positionQuantity: d('0.1'), markPrice: d('50000'), at: h.clock.now(), ...overrides };
  }

  it('is booked once in the ledger of the bot on that sub-account, lowering its balance by what it paid', () => {
    h = makeHarness();
    longBtc();
    const ledger = h.ledgers.get(ALPHA)!;
    const before = ledger.balance();
    const events: OrderManagerEvent[] = [];
    h.om.onEvent((event) => events.push(event));
    h.om.applyReport(funding());
    h.om.applyReport(funding());
    expect(ledger.fundingPayments().map((payment) => [payment.fundingId, payment.amount.toString(), payment.rate.toString(), payment.positionQuantity.toString(), payment.markPrice.toString()])).toEqual([['fund-1', '-0.5', '0.0001', '0.1', '50000']]);
    expect(before.sub(ledger.balance()).toString()).toBe('0.5');
    expect(events.filter((event) => event.type === 'FUNDING_BOOKED').map((event) => event.type === 'FUNDING_BOOKED' && event.botId)).toEqual([ALPHA]);
    expect(h.ledgers.get(BRAVO)?.fundingPayments()).toEqual([]);
  });

  it('survives a restart as booked, and a replay after it books nothing again', () => {
    h = makeHarness();
    longBtc();
    h.om.applyReport(funding({ amount: d('0.25'), fundingId: 'fund-2' }));
    h.restart();
    h.om.applyReport(funding({ amount: d('0.25'), fundingId: 'fund-2' }));
    expect(h.ledgers.get(ALPHA)?.fundingPayments().map((payment) => payment.amount.toString())).toEqual(['0.25']);
  });

  it('takes the position from the ledger, the mark from the market and the rate from its definition when the venue leaves them out', () => {
    h = makeHarness();
    longBtc();
    h.om.applyReport(funding({ positionQuantity: null, markPrice: null, rate: null, amount: d('-0.5') }));
    const [payment] = h.ledgers.get(ALPHA)!.fundingPayments();
    expect([payment?.positionQuantity.toString(), payment?.markPrice.toString(), payment?.rate.toString()]).toEqual(['0.1', '50000', '0.0001']);
  });

  it('books nothing for a sub-account no bot holds, or when there is no position and no mark to book it on', () => {
    h = makeHarness();
    h.om.applyReport(funding({ subAccountId: parseSubAccountId('stranger') }));
    h.om.applyReport(funding({ positionQuantity: null, markPrice: null }));
    for (const ledger of h.ledgers.values()) expect(ledger.fundingPayments()).toEqual([]);
  });
});
