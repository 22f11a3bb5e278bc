import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import { parseSubAccountId } from '../../../core/ids.ts';
import { ALPHA, events, makeEngine, order, orderId, price } from './fixtures.ts';

const GAMMA = parseSubAccountId('gamma');

describe('sub-accounts opened and funded while the venue runs (a stand-in exchange creates sub-members)', () => {
  it('opens a new sub-account that trades on its own cash from then on', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.openAccount({ subAccountId: GAMMA, balance: dec('500'), leverage: dec('2') });

    expect(engine.balance(GAMMA).toString()).toBe('500');
    expect(engine.freeMargin(GAMMA).toString()).toBe('500');
    const id = orderId('ENTRY', 1, 'gamma');
    expect(events(engine.submit(order({ id, account: GAMMA, side: 'BUY', type: 'MARKET', quantity: '5' })))).toEqual([`ORDER_ACCEPTED ${id}`, `ORDER_FILLED ${id}`]);
    expect(engine.positions(GAMMA)).toMatchObject([{ quantity: dec('5') }]);
    // 5 at 100 with leverage 2 holds 250 of margin.
    expect(engine.freeMargin(GAMMA).toString()).toBe('250');
  });

  it('refuses to open a sub-account twice or with a bad balance or leverage', () => {
    const { engine } = makeEngine();
    expect(() => engine.openAccount({ subAccountId: ALPHA, balance: dec('1'), leverage: dec('1') })).toThrow(InvalidInputError);
    expect(() => engine.openAccount({ subAccountId: GAMMA, balance: dec('-1'), leverage: dec('1') })).toThrow(/balance must not be negative/);
    expect(() => engine.openAccount({ subAccountId: GAMMA, balance: dec('1'), leverage: dec('0') })).toThrow(/leverage must be positive/);
  });

  it('moves capital in and out of cash, but never more out than the free margin', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    expect(engine.transfer(ALPHA, dec('250'))).toBeNull();
    expect(engine.balance(ALPHA).toString()).toBe('10250');

    // 400 at 100 with leverage 5 holds 8000 of margin: 2250 is free.
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '400' }));
    expect(engine.freeMargin(ALPHA).toString()).toBe('2250');
    expect(engine.transfer(ALPHA, dec('-2250.01'))).toMatch(/exceeds its free margin 2250/);
    expect(engine.balance(ALPHA).toString()).toBe('10250');
    expect(engine.transfer(ALPHA, dec('-2250'))).toBeNull();
    expect(engine.balance(ALPHA).toString()).toBe('8000');
    expect(engine.freeMargin(ALPHA).toString()).toBe('0');
  });

  it('names an unknown sub-account instead of moving money', () => {
    const { engine } = makeEngine();
    expect(() => engine.transfer(GAMMA, dec('1'))).toThrow(/has no sub-account gamma/);
    expect(() => engine.freeMargin(GAMMA)).toThrow(/has no sub-account gamma/);
  });
});
