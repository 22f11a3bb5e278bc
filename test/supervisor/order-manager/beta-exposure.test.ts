import { afterEach, describe, expect, it } from 'vitest';
import { parseInstrumentId } from '../../../core/ids.ts';
import type { Harness } from './fixture.ts';
import { ALPHA, BRAVO, CHARLIE, QQQ, SQQQ, configInput, intent, makeHarness } from './fixture.ts';

const AAPL = parseInstrumentId('AAPL.ALPACA');
const stock = (exposure: { key: string; beta: string }) => ({ id: AAPL, kind: 'EQUITY' as const, tickSize: '0.01', lotStep: '1', minQuantity: '1', minNotional: '1', exposure });

/** The fixture's catalog plus AAPL, on the exposure given; NDX capped at 50,000 beta-weighted notional. */
function catalogWith(exposure: { key: string; beta: string }) {
  const base = configInput();
  return configInput({
    instruments: [...base.instruments, stock(exposure)],
    exposureKeys: { ...base.exposureKeys, NDX: { policy: 'capped', maxNotional: '50000' }, ...(exposure.key === 'AAPL' ? { AAPL: { policy: 'exclusive' } } : {}) },
  });
}

describe('a stock that carries index exposure with a beta (AAPL as { key: NDX, beta: 1.2 })', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('counts a long AAPL as +1.2 × its notional of NDX: any bot’s SQQQ buy is then a hedge, denied WOULD_HEDGE', () => {
    h = makeHarness(catalogWith({ key: 'NDX', beta: '1.2' }));
    h.price(AAPL, '200');
    h.price(SQQQ, '20');
    expect(h.om.submitIntent(intent(ALPHA, AAPL, 'BUY', { quantity: '100', stop: '196' })).outcome).toBe('APPROVED');
    const other = h.om.submitIntent(intent(BRAVO, SQQQ, 'BUY', { quantity: '10', stop: '19' }));
    expect(other).toMatchObject({ outcome: 'DENIED', reason: 'WOULD_HEDGE' });
    expect(other.detail).toContain('alpha');
    expect(h.om.submitIntent(intent(ALPHA, SQQQ, 'BUY', { quantity: '10', stop: '19' })).reason).toBe('WOULD_HEDGE');
  });

  it('caps QQQ together with it: 100 AAPL at 200 take 24,000 of the 50,000 NDX cap, so a QQQ buy of 50,000 is resized to 26,000', () => {
    h = makeHarness(catalogWith({ key: 'NDX', beta: '1.2' }));
    h.price(AAPL, '200');
    h.price(QQQ, '500');
    expect(h.om.submitIntent(intent(ALPHA, AAPL, 'BUY', { quantity: '100', stop: '199' })).outcome).toBe('APPROVED');
    const qqq = h.om.submitIntent(intent(CHARLIE, QQQ, 'BUY', { quantity: '100', stop: '499' }));
    expect(qqq).toMatchObject({ outcome: 'RESIZED', reason: 'WOULD_STACK' });
    expect(qqq.approvedQuantity?.toString()).toBe('52');
    expect(qqq.detail).toContain('24000');
  });

  it('on its own key (the catalog’s default), a long AAPL says nothing about NDX: the same SQQQ buy is approved', () => {
    h = makeHarness(catalogWith({ key: 'AAPL', beta: '1' }));
    h.price(AAPL, '200');
    h.price(SQQQ, '20');
    expect(h.om.submitIntent(intent(ALPHA, AAPL, 'BUY', { quantity: '100', stop: '196' })).outcome).toBe('APPROVED');
    expect(h.om.submitIntent(intent(BRAVO, SQQQ, 'BUY', { quantity: '10', stop: '19' })).outcome).toBe('APPROVED');
  });
});
