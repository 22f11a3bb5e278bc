import { afterEach, describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { parseInstrumentId } from '../../../core/ids.ts';
import type { Harness } from './fixture.ts';
import { ALPHA, BTC, PEPE, QQQ, configInput, d, intent, makeHarness } from './fixture.ts';

describe('risk sizing', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('sizes a risk request so the loss at the stop is that fraction of equity', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const decision = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { size: { kind: 'RISK', riskFraction: dec('0.004') }, stop: '49500' }));
    expect(decision).toMatchObject({ outcome: 'APPROVED', reason: null });
    expect(decision.approvedQuantity?.toString()).toBe('0.8'); // 100,000 × 0.004 ÷ 500
  });

  it('keeps every digit when sizing a coin priced in millionths', () => {
    h = makeHarness();
    h.price(PEPE, '0.0000123');
    const decision = h.om.submitIntent(intent(ALPHA, PEPE, 'BUY', { size: { kind: 'RISK', riskFraction: dec('0.001') }, stop: '0.0000120' }));
    // 100,000 × 0.001 ÷ 0.0000003 = 333,333,333.3…, rounded down to the lot step of 100.
    expect(decision.approvedQuantity?.toString()).toBe('333333300');
  });

  it('resizes an entry whose loss at the stop exceeds the per-trade risk cap', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const decision = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '1', stop: '49000' }));
    expect(decision).toMatchObject({ outcome: 'RESIZED', reason: 'RISK_PER_TRADE_EXCEEDED' });
    expect(decision.approvedQuantity?.toString()).toBe('0.5');
    expect(decision.requestedQuantity?.toString()).toBe('1');
  });

  it('honours a configured per-trade risk fraction', () => {
    h = makeHarness(configInput({}, { alpha: { riskPerTrade: '0.001' } }));
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '1', stop: '49000' })).approvedQuantity?.toString()).toBe('0.1');
  });

  it('resizes an order whose notional exceeds the per-order maximum', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const decision = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '2', stop: '49990' }));
    expect(decision).toMatchObject({ outcome: 'RESIZED', reason: 'NOTIONAL_EXCEEDS_MAX' });
    expect(decision.approvedQuantity?.toString()).toBe('1');
  });

  it("applies a bot's drawdown scale after the caps, so a capped entry is cut too", () => {
    h = makeHarness();
    h.price(BTC, '50000');
    // Risk asks for 400 ÷ 10 = 40 BTC; the 50,000 notional cap allows 1; the scale of 0.5 leaves 0.5.
    const decision = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { size: { kind: 'RISK', riskFraction: dec('0.004'), scale: dec('0.5') }, stop: '49990' }));
    expect(decision).toMatchObject({ outcome: 'RESIZED', reason: 'NOTIONAL_EXCEEDS_MAX' });
    expect(decision.approvedQuantity?.toString()).toBe('0.5');
    expect(decision.requestedQuantity?.toString()).toBe('20'); // 40 × 0.5, what the bot asked for in all
    expect(decision.detail).toContain("(1 × the bot's drawdown scale of 0.5)");
  });

  it('applies the scale to an uncapped risk size as well', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const decision = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { size: { kind: 'RISK', riskFraction: dec('0.004'), scale: dec('0.25') }, stop: '49500' }));
    expect(decision).toMatchObject({ outcome: 'APPROVED', reason: null });
    expect(decision.approvedQuantity?.toString()).toBe('0.2'); // 0.8 × 0.25
  });

  it('applies the scale to a quantity request after its caps', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const decision = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { size: { kind: 'QUANTITY', quantity: dec('2'), scale: dec('0.5') }, stop: '49990' }));
    expect(decision).toMatchObject({ outcome: 'RESIZED', reason: 'NOTIONAL_EXCEEDS_MAX' });
    expect(decision.approvedQuantity?.toString()).toBe('0.5'); // capped to 1, then halved
  });

  it('approves a scaled entry no cap touched, reporting what the bot asked for after its scale', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const decision = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { size: { kind: 'QUANTITY', quantity: dec('0.5'), scale: dec('0.5') }, stop: '49900' }));
    expect(decision).toMatchObject({ outcome: 'APPROVED', reason: null });
    expect(decision.requestedQuantity?.toString()).toBe('0.25');
    expect(decision.approvedQuantity?.toString()).toBe('0.25');
    expect(decision.detail).toContain("entry of 0.25 (0.5 × the bot's drawdown scale of 0.5)");
  });

  it('denies BELOW_MIN_QUANTITY, not the cap, when only the scale leaves too little', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const decision = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { size: { kind: 'QUANTITY', quantity: dec('2'), scale: dec('0.00000001') }, stop: '49990' }));
    expect(decision).toMatchObject({ outcome: 'DENIED', reason: 'BELOW_MIN_QUANTITY' });
    expect(decision.detail).toContain("(1 × the bot's drawdown scale of 0.00000001) is too small");
  });

  it('denies a scale outside (0, 1] as an invalid intent, naming it', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    for (const scale of ['0', '1.5']) {
      const decision = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { size: { kind: 'RISK', riskFraction: dec('0.004'), scale: dec(scale) }, stop: '49500' }));
      expect(decision).toMatchObject({ outcome: 'DENIED', reason: 'INVALID_INTENT' });
      expect(decision.detail).toContain(`size scale must be above 0 and at most 1, got ${scale}`);
    }
  });

  it('resizes to the open-risk room left and then denies CONCURRENT_RISK_EXCEEDED', () => {
    h = makeHarness(configInput({}, { alpha: { maxOpenRisk: '0.005', riskPerTrade: '0.005' } }));
    h.price(BTC, '50000');
    h.price(QQQ, '500');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.8', stop: '49500' })).outcome).toBe('APPROVED'); // risks 400
    const second = h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '100', stop: '495' })); // asks 500, about 100 left
    expect(second).toMatchObject({ outcome: 'RESIZED', reason: 'CONCURRENT_RISK_EXCEEDED' });
    expect(Number(second.approvedQuantity?.toString())).toBeGreaterThanOrEqual(19);
    expect(Number(second.approvedQuantity?.toString())).toBeLessThanOrEqual(20);
    const third = h.om.submitIntent(intent(ALPHA, parseInstrumentId('ETHUSDT.BYBIT'), 'BUY', { quantity: '1', stop: '1' , type: 'LIMIT', limitPrice: d('2000') }));
    expect(third).toMatchObject({ outcome: 'DENIED', reason: 'CONCURRENT_RISK_EXCEEDED' });
  });

  it('counts an unprotected position at its whole notional against open risk', () => {
    h = makeHarness(configInput({}, { alpha: { maxOpenRisk: '0.1' } }));
    h.price(BTC, '50000');
    const entry = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.1', stop: '49000' }));
    const stop = h.ledgers.get(ALPHA)!.openOrders().find((order) => order.role === 'STOP');
    expect(stop).toBeDefined();
    expect(entry.outcome).toBe('APPROVED');
    h.om.cancelOrder(ALPHA, stop!.clientOrderId);
    // 0.1 BTC at 50,000 unprotected is 5,000 at risk; the cap is 10,000, so 5,000 of room remains.
    h.price(QQQ, '500');
    const next = h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '100', stop: '400' })); // asks 10,000 of risk
    expect(next.reason === 'CONCURRENT_RISK_EXCEEDED' || next.reason === 'RISK_PER_TRADE_EXCEEDED').toBe(true);
    expect(Number(next.approvedQuantity?.toString() ?? '0')).toBeLessThanOrEqual(50);
  });

  it('denies BELOW_MIN_QUANTITY when the order is under the venue minimum notional', () => {
    h = makeHarness();
    h.price(PEPE, '0.0000123');
    expect(h.om.submitIntent(intent(ALPHA, PEPE, 'BUY', { quantity: '200', stop: '0.0000120' })).reason).toBe('BELOW_MIN_QUANTITY');
  });

  it('names the binding cap when a resize leaves less than the venue minimum', () => {
    h = makeHarness(configInput({}, { alpha: { riskPerTrade: '0.00001', maxOpenRisk: '0.02' } }));
    h.price(BTC, '50000');
    // One unit of risk budget over a 10,000 stop distance leaves 0.0001 BTC, under the 0.001 minimum.
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '40000' })).reason).toBe('RISK_PER_TRADE_EXCEEDED');
  });

  it('denies RATE_LIMIT_EXCEEDED past the sub-account budget and allows again when the window moves on', () => {
    h = makeHarness(configInput({}, { alpha: { orderRateLimit: { maxRequests: 5, windowMs: 1000 } } }));
    h.price(BTC, '50000');
    h.price(QQQ, '500');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000', takeProfit: '52000' })).outcome).toBe('APPROVED');
    expect(h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '1', stop: '490', takeProfit: '520' })).reason).toBe('RATE_LIMIT_EXCEEDED');
    h.clock.advance(1001);
    h.om.updateMark(QQQ, d('500'));
    expect(h.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '1', stop: '490', takeProfit: '520' })).outcome).toBe('APPROVED');
  });
});

describe('intent validation', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('denies an entry without a stop-loss, since its risk cannot be measured', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01' }))).toMatchObject({ outcome: 'DENIED', reason: 'INVALID_INTENT' });
  });

  it('denies a stop on the winning side and a take-profit on the losing side', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '51000' })).detail).toMatch(/losing side/);
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000', takeProfit: '48000' })).detail).toMatch(/winning side/);
  });

  it('denies a market entry before any price is known, and an unknown instrument or bot', () => {
    h = makeHarness();
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).reason).toBe('NO_MARK_PRICE');
    expect(h.om.submitIntent(intent(ALPHA, parseInstrumentId('DOGEUSDT.BYBIT'), 'BUY', { quantity: '1', stop: '0.1' })).reason).toBe('UNKNOWN_INSTRUMENT');
    expect(h.om.submitIntent(intent('zulu' as typeof ALPHA, BTC, 'BUY', { quantity: '1', stop: '0.1' })).reason).toBe('INVALID_INTENT');
  });

  it('denies a short entry on a spot instrument, which has nothing to borrow', () => {
    const input = configInput();
    input.instruments[0]!.kind = 'SPOT';
    h = makeHarness(input);
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '0.01', stop: '51000' })).detail).toMatch(/spot/);
  });

  it('denies a limit intent without a limit price', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000', type: 'LIMIT' })).detail).toMatch(/limit price/);
  });

  it('rounds prices to the tick so a buy never pays more and a stop never sits further away than asked', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const decision = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '48000.03', type: 'LIMIT', limitPrice: d('49000.08') }));
    const orders = h.ledgers.get(ALPHA)!.recentOrders(5);
    const entry = orders.find((order) => order.clientOrderId === decision.clientOrderId);
    const stop = orders.find((order) => order.role === 'STOP');
    expect(entry?.limitPrice?.toString()).toBe('49000');
    expect(stop?.triggerPrice?.toString()).toBe('48000.1');
  });
});

describe('risk per trade holds at the fill', () => {
  let h: Harness;
  afterEach(() => h.close());

  // A coarse-tick coin: at 0.15 with a 0.001 tick, a stop a few ticks away makes each tick of slippage a large share of the risk.
  const COARSE = parseInstrumentId('COARSEUSDT.BYBIT');
  const coarseConfig = () =>
    configInput({
      instruments: [{ id: COARSE, kind: 'PERPETUAL', tickSize: '0.001', lotStep: '1', minQuantity: '1', minNotional: '5', exposure: { key: 'COARSE', beta: '1' } }],
      exposureKeys: { COARSE: { policy: 'exclusive' } },
      slippageAllowanceBps: '30',
      // Forty losing trades in a row: no drawdown halt may end the experiment early.
      fleetDrawdown: { threshold: '0.9', windowMs: 86_400_000, action: 'HALTED' },
    }, { alpha: { maxNotionalPerOrder: '10000000', riskPerTrade: '0.005', maxOpenRisk: '0.5', entryCooldownMs: 0, minAddDistance: '0', maxAdds: 1000, drawdown: { threshold: '0.9', windowMs: 86_400_000, action: 'HALTED' } } });

  it('never loses more than the budget at the stop, with the entry and the stop both filled as takers with slippage', async () => {
    h = makeHarness(coarseConfig(), { slippage: { baseBps: '10', jitterBps: '20' } });
    const ledger = h.ledgers.get(ALPHA)!;
    let worst = 0;
    for (let step = 0; step < 40; step++) {
      const mark = (0.15 + step * 0.0007).toFixed(4);
      h.price(COARSE, mark);
      const budget = h.om.equity(ALPHA).mul(dec('0.005'));
      const stop = dec(mark).sub(dec('0.003')).sub(dec(String((step % 4) * 0.001)));
      const decision = h.om.submitIntent(intent(ALPHA, COARSE, 'BUY', { size: { kind: 'RISK', riskFraction: dec('0.005') }, stop: stop.toString() }));
      expect(decision.outcome, decision.detail).not.toBe('DENIED');
      // A candle through the stop: the stop fills as a taker, with slippage, and the position is flat again.
      h.candle(COARSE, mark, mark, stop.sub(dec('0.002')).toString(), stop.sub(dec('0.001')).toString());
      await h.om.idle();
      expect(ledger.position(COARSE)?.quantity.isZero()).toBe(true);
      const fills = ledger.fills().slice(-2);
      const [entry, exit] = fills;
      const lost = entry!.price.sub(exit!.price).mul(entry!.quantity);
      worst = Math.max(worst, lost.div(budget).toNumber());
      expect(lost.lte(budget), `step ${step}: lost ${lost.toString()} at the stop against a budget of ${budget.toString()}`).toBe(true);
    }
    // The allowance is not wasted either: the worst trade used most of its budget.
    expect(worst).toBeGreaterThan(0.6);
  });
});
