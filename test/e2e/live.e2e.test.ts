import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KillResult, ReconcileResult } from '../../supervisor/control/fleet-control.ts';
import { LiveFleet, PING_PONG } from './live-harness.ts';

/**
 * The whole live path under a throwaway pm2 against the Bybit stand-in: sub-accounts provisioned with the master
 * key by `supervisor accounts provision`, the fleet started by npm start's script in live mode, a bot trading through the adapter, the kill switch
 * from the CLI, npm stop and npm start again, and `supervisor reconcile` finding the ledgers equal to the venue.
 */
describe('the live fleet under pm2 on the Bybit stand-in', () => {
  let live: LiveFleet;

  beforeAll(async () => {
    live = await LiveFleet.create([
      { id: 'alpha', instruments: ['BTCUSDT.BYBIT'], strategy: PING_PONG },
      { id: 'bravo', instruments: ['ETHUSDT.BYBIT'], strategy: PING_PONG },
    ], {}, 'cli');
  }, 60_000);

  afterAll(async () => {
    await live?.destroy();
  }, 60_000);

  it('starts live, trades, kills, restarts and reconciles with the ledgers equal to the venue', async () => {
    // Start: every bot reconciled with its sub-account before it may trade, its capital taken from the venue.
    const started = await live.fleet.script('supervisor/fleet-start.ts');
    expect(started.stdout).toContain('Fleet online');
    const first = await live.ready('both bots connected and reconciled');
    expect(first.mode).toBe('live');

    // Trade: each bot enters on its next candle, through the adapter, and its stop follows at the venue.
    live.candle('BTCUSDT');
    live.candle('ETHUSDT');
    await live.fleet.until('both entries at the venue', async () => live.venueOrders('alpha') >= 2 && live.venueOrders('bravo') >= 2, 30_000);
    await live.agreed('venue and ledgers to agree after the entries');
    expect(live.running.standin.exchange.position(live.uids.get('alpha') ?? 0, 'BTCUSDT').quantity.toString()).toBe('0.01');

    // Kill from the CLI: the fleet halts, the stops stay, and the next candles send nothing.
    const killed = await live.fleet.json<KillResult>('kill');
    expect(killed.scope).toBe('fleet');
    const ordersAtKill = live.venueOrders('alpha') + live.venueOrders('bravo');
    live.candle('BTCUSDT');
    live.candle('ETHUSDT');
    await live.fleet.until('the halted bots to be denied', async () => {
      const denied = await live.fleet.json<Array<{ reason: string | null }>>('decisions', '--denied', '--limit', '10');
      return denied.filter((decision) => decision.reason === 'TRADING_HALTED').length >= 2;
    }, 30_000);
    expect(live.venueOrders('alpha') + live.venueOrders('bravo')).toBe(ordersAtKill);

    // Restart: npm stop, npm start; startup is reconciliation, and the kill outlives the restart.
    const stopped = await live.fleet.script('supervisor/fleet-stop.ts');
    expect(stopped.stdout).toMatch(/Stopped the supervisor and 2 bot/);
    const restarted = await live.fleet.script('supervisor/fleet-start.ts');
    expect(restarted.stdout).toContain('Fleet online');
    const after = await live.ready('both bots back and reconciled', first.supervisor.pid);
    expect(after.killSwitchEngaged).toBe(true);

    // The accounts as the venue and the ledgers see them, side by side.
    const accounts = await live.fleet.json<{ ledgers: string | null; accounts: Array<{ botId: string; balance: string | null; ledgerBalance: string | null }> }>('accounts');
    expect(accounts.ledgers).toBeNull();
    for (const row of accounts.accounts) expect([row.botId, row.ledgerBalance]).toEqual([row.botId, row.balance]);
    expect(accounts.accounts.map((row) => row.botId).sort()).toEqual(['alpha', 'bravo']);

    // Reconcile on demand from the CLI: nothing to adopt, no mismatch, balances equal; and the ledgers equal the venue.
    const results = await live.fleet.json<ReconcileResult[]>('reconcile');
    expect(results.map((result) => [result.botId, result.state, result.positionMismatches])).toEqual([
      ['alpha', 'RECONCILED', []],
      ['bravo', 'RECONCILED', []],
    ]);
    for (const result of results) expect(result.ledgerBalance).toBe(result.venueBalance);
    expect((await live.status()).bots.map((bot) => bot.reconciliation.state)).toEqual(['RECONCILED', 'RECONCILED']);
    expect(live.problems()).toEqual([]);
  }, 150_000);
});
