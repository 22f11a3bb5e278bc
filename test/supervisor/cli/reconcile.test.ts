import { afterEach, describe, expect, it } from 'vitest';
import type { RunningFleet } from './harness.ts';
import { run, startFleet } from './harness.ts';

describe('supervisor reconcile', () => {
  let fleet: RunningFleet;
  afterEach(async () => {
    await fleet.close();
  });

  it('test_reconcile_when_the_venue_agrees_then_says_what_it_applied_and_exits_0', async () => {
    fleet = await startFleet();
    const result = await run(['reconcile', '--bot', 'trend'], { home: fleet.home });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe('trend: RECONCILED, 2 fill(s) applied, positions agree\n  balance: ledger 5000, venue 5000\n');
    expect(fleet.fleet.calls).toContainEqual(['reconcile', { botId: 'trend' }]);
  });

  it('test_reconcile_when_a_position_differs_then_lists_it_and_exits_1', async () => {
    fleet = await startFleet({
      reconcile: async () => [
        { botId: 'grid', state: 'RECONCILED', detail: '0 fill(s) applied, 1 POSITION MISMATCH(ES)', fillsApplied: 0, foreignFills: 1, adopted: [], neverReceived: [], unsettled: [], settled: [], handedOver: [], foreignOrders: [{ clientOrderId: 'by-hand', instrumentId: 'ETHUSDT.BYBIT' }], positionMismatches: [{ instrumentId: 'ETHUSDT.BYBIT', ledger: '0', venue: '1' }], ledgerBalance: '100', venueBalance: '99' },
      ],
    });
    const result = await run(['reconcile'], { home: fleet.home });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('orders on the sub-account that are not Flotilla\'s (never touched):\n    by-hand ETHUSDT.BYBIT');
    expect(result.stdout).toContain('POSITION MISMATCHES (the bot is halted; nothing is traded to hide them):\n    ETHUSDT.BYBIT: ledger 0, venue 1');
    expect(result.stderr).toMatch(/reconciliation found problems for grid/);
  });
});
