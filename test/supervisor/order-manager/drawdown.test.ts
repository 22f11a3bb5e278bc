import { afterEach, describe, expect, it } from 'vitest';
import { botScope } from '../../../supervisor/store/supervisor-store.ts';
import type { Harness } from './fixture.ts';
import { ALPHA, BRAVO, BTC, ETH, configInput, d, intent, makeHarness } from './fixture.ts';

const HOUR = 3_600_000;

describe('the drawdown halt', () => {
  let h: Harness;
  afterEach(() => h.close());

  /** A long of 1 BTC at 50,000, its stop far enough below to survive marks moved without candles. */
  function longOneBitcoin(): void {
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '1', stop: '49500' })).approvedQuantity?.toString()).toBe('1');
  }

  it('halts a bot whose equity including unrealized PnL falls past its threshold, with the reason recorded', () => {
    h = makeHarness();
    longOneBitcoin();
    h.om.updateMark(BTC, d('42000')); // −8,000: under 10%
    expect(h.om.effectiveState(ALPHA)).toBe('ACTIVE');
    h.om.updateMark(BTC, d('39900')); // −10,100 and fees: past 10%
    expect(h.om.scopeState(botScope(ALPHA))).toMatchObject({ state: 'HALTED', reason: 'DRAWDOWN_HALT' });
    expect(h.om.scopeState(botScope(ALPHA)).detail).toMatch(/drawdown 10\.\d\d%/);
    expect(h.om.effectiveState(BRAVO)).toBe('ACTIVE');
  });

  it("keeps the bot's equity curve, balance plus unrealized PnL, in its own ledger", () => {
    h = makeHarness();
    longOneBitcoin();
    h.clock.advance(1_000);
    h.om.updateMark(BTC, d('51000'));
    const snapshots = h.ledgers.get(ALPHA)!.equitySnapshots(0);
    const last = snapshots.at(-1)!;
    expect(last.equity.eq(h.om.equity(ALPHA))).toBe(true);
    expect(last.unrealizedPnl.toString()).toBe('1000');
    expect(last.balance.add(last.unrealizedPnl).eq(last.equity)).toBe(true);
  });

  it('sets REDUCING instead when the configuration says so', () => {
    h = makeHarness(configInput({}, { alpha: { drawdown: { threshold: '0.05', windowMs: 24 * HOUR, action: 'REDUCING' } } }));
    longOneBitcoin();
    h.om.updateMark(BTC, d('44000'));
    expect(h.om.scopeState(botScope(ALPHA))).toMatchObject({ state: 'REDUCING', reason: 'DRAWDOWN_HALT' });
  });

  it('halts the fleet on the combined equity of all sub-accounts even when no single bot crossed its own threshold', () => {
    h = makeHarness(configInput({ fleetDrawdown: { threshold: '0.04', windowMs: 24 * HOUR, action: 'HALTED' } }));
    longOneBitcoin();
    h.price(ETH, '2000');
    expect(h.om.submitIntent(intent(BRAVO, ETH, 'BUY', { quantity: '10', stop: '1950' })).outcome).toBe('APPROVED');
    h.om.updateMark(BTC, d('45000')); // alpha −5,000: 5% of its own, 1.7% of the fleet
    h.om.updateMark(ETH, d('1300')); // bravo −7,000: 7% of its own; the fleet is down 12,000 of 300,000 = 4%
    expect(h.om.effectiveState(ALPHA)).toBe('HALTED');
    expect(h.om.scopeState('fleet').reason).toBe('DRAWDOWN_HALT');
    expect(h.om.scopeState(botScope(ALPHA)).state).toBe('ACTIVE');
  });

  it('measures from the peak inside the window only', () => {
    h = makeHarness(configInput({}, { alpha: { drawdown: { threshold: '0.10', windowMs: HOUR, action: 'HALTED' } } }));
    longOneBitcoin();
    h.om.updateMark(BTC, d('45000'));
    h.clock.advance(2 * HOUR);
    h.om.updateMark(BTC, d('40000')); // −10,000 from the start, but the start has left the one-hour window
    expect(h.om.effectiveState(ALPHA)).toBe('ACTIVE');
  });

  it('remembers the window peak across a restart', () => {
    h = makeHarness();
    longOneBitcoin();
    h.om.updateMark(BTC, d('52000'));
    h.clock.advance(5_000);
    h.restart();
    h.om.updateMark(BTC, d('41500')); // −10,500 from the 102,000 peak seen before the restart
    expect(h.om.scopeState(botScope(ALPHA)).reason).toBe('DRAWDOWN_HALT');
  });

  it('stays halted across a restart and only an explicit resume clears it, measuring afresh from there', () => {
    h = makeHarness();
    longOneBitcoin();
    h.om.updateMark(BTC, d('39000'));
    h.restart();
    h.om.updateMark(BTC, d('39000'));
    expect(h.om.effectiveState(ALPHA)).toBe('HALTED');
    h.om.resume(botScope(ALPHA));
    h.om.updateMark(BTC, d('38000'));
    expect(h.om.effectiveState(ALPHA)).toBe('ACTIVE');
    // The peak from before the resume is gone for good, restart or not.
    h.clock.advance(5_000);
    h.restart();
    h.om.updateMark(BTC, d('38000'));
    expect(h.om.effectiveState(ALPHA)).toBe('ACTIVE');
  });
});
