import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotListing, DecisionInfo, FleetStatus, KillResult, OrderInfo } from '../../supervisor/control/fleet-control.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../supervisor/pm2/apps.ts';
import { FleetUnderTest } from './fleet-harness.ts';

const EXAMPLE_PARAMETERS = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'bots', '_example', 'manifest.json'), 'utf8')) as { parameters: Record<string, unknown> }).parameters;

/**
 * The real fleet under a throwaway pm2: npm start, trading on the paper venue, cross-bot denials, a bot killed
 * with SIGKILL and restarted, a bot dropped in, a malformed folder, the kill switch, npm stop.
 */
describe('the fleet under pm2', () => {
  const fleet = new FleetUnderTest({
    clock: { speed: 1200 },
    marketData: { historyCandles: 60 },
    control: { port: 0 },
    metrics: { port: 0 },
    discovery: { rescanMs: 500 },
  });
  const status = (): Promise<FleetStatus> => fleet.json<FleetStatus>('status');
  const bot = async (id: string) => (await status()).bots.find((candidate) => candidate.botId === id);

  beforeAll(async () => {
    // Two copies of the example on the same coins: the second is the first one's conflicting twin, entering with
    // resting limit orders so the kill switch has entries to cancel.
    fleet.addExampleBot('alpha');
    fleet.addExampleBot('bravo', { parameters: { ...EXAMPLE_PARAMETERS, entryOrderType: 'LIMIT', limitOffsetAtr: 3 } });
    fleet.addFolder('broken', { 'manifest.json': '{ "id": "broken", "surprise": true }', 'strategy.ts': 'export default {};' });
    const started = await fleet.script('supervisor/fleet-start.ts');
    expect(started.stdout).toContain('Fleet online');
  }, 120_000);

  afterAll(async () => {
    await fleet.destroy();
  }, 60_000);

  it('starts every loaded bot under pm2 and reports the malformed folder with its reason', async () => {
    const current = await status();
    expect(current.bots.map((b) => [b.botId, b.process.status, b.connected])).toEqual([
      ['alpha', 'online', true],
      ['bravo', 'online', true],
    ]);
    const listing = await fleet.json<BotListing[]>('bots');
    const broken = listing.find((row) => row.folder === 'broken');
    expect(broken).toMatchObject({ status: 'LOAD_FAILED' });
    expect(broken?.reason).toMatch(/surprise|Unrecognized key/i);
  });

  it('trades on the paper venue within the first minute', async () => {
    const orders = await fleet.until('a filled entry', async () => {
      const list = await fleet.json<OrderInfo[]>('orders', '--limit', '200');
      return list.some((order) => order.role === 'ENTRY' && order.status === 'FILLED') ? list : null;
    }, 60_000);
    expect(orders.length).toBeGreaterThan(0);
  }, 70_000);

  it("denies the second bot's conflicting intent with WOULD_STACK or WOULD_HEDGE", async () => {
    const denied = await fleet.until('a cross-bot denial', async () => {
      const list = await fleet.json<DecisionInfo[]>('decisions', '--denied', '--limit', '500');
      return list.find((decision) => decision.reason === 'WOULD_STACK' || decision.reason === 'WOULD_HEDGE');
    }, 90_000);
    expect(denied.detail).toMatch(/alpha|bravo/);
  }, 100_000);

  it('restarts a bot killed with SIGKILL, and no intent becomes two orders', async () => {
    const before = await bot('alpha');
    expect(before?.process.pid).toBeGreaterThan(0);
    process.kill(before?.process.pid ?? 0, 'SIGKILL');
    const after = await fleet.until('alpha back online', async () => {
      const current = await bot('alpha');
      return current !== undefined && current.process.restarts > (before?.process.restarts ?? 0) && current.process.status === 'online' && current.connected ? current : null;
    });
    expect(after.process.pid).not.toBe(before?.process.pid);
    for (const id of ['alpha', 'bravo']) {
      const doubled = fleet.ledgerRows<{ intent_id: string; n: number }>(id, "SELECT intent_id, COUNT(*) AS n FROM orders WHERE role IN ('ENTRY', 'CLOSE') GROUP BY intent_id HAVING n > 1");
      expect(doubled).toEqual([]);
    }
  }, 70_000);

  it('stops, starts and restarts one bot from the CLI through pm2', async () => {
    expect((await fleet.cli('stop', 'bravo')).code).toBe(0);
    await fleet.until('bravo stopped', async () => ((await bot('bravo'))?.process.status === 'stopped' ? true : null));
    expect((await bot('alpha'))?.process.status).toBe('online');
    expect((await fleet.cli('start', 'bravo')).code).toBe(0);
    await fleet.until('bravo online and connected again', async () => {
      const current = await bot('bravo');
      return current?.process.status === 'online' && current.connected ? current : null;
    });
    const before = (await bot('bravo'))?.process.pid;
    expect((await fleet.cli('restart', 'bravo')).code).toBe(0);
    await fleet.until('bravo restarted', async () => {
      const current = await bot('bravo');
      return current?.process.status === 'online' && current.connected && current.process.pid !== before ? current : null;
    });
    expect((await fleet.cli('stop', 'nobody')).code).toBe(4);
  }, 90_000);

  it('discovers a bot folder dropped into the running fleet, and it trades', async () => {
    fleet.addExampleBot('charlie', { instruments: ['SOLUSDT.BYBIT'] });
    await fleet.until('charlie online and connected', async () => {
      const current = await bot('charlie');
      return current?.process.status === 'online' && current.connected ? current : null;
    }, 60_000);
    await fleet.until('a decision for charlie', async () => {
      const list = await fleet.json<DecisionInfo[]>('decisions', '--bot', 'charlie', '--limit', '50');
      return list.length > 0 ? list : null;
    }, 90_000);
    expect((await status()).bots.map((b) => b.botId)).toEqual(['alpha', 'bravo', 'charlie']);
  }, 160_000);

  it('pulls the kill switch from the CLI: every entry order is cancelled and no new order goes out', async () => {
    const resting = await fleet.until('a resting entry order', async () => {
      const open = (await fleet.json<OrderInfo[]>('orders', '--open', '--limit', '1000')).filter((order) => order.role === 'ENTRY');
      return open.length > 0 ? open : null;
    }, 60_000);
    const killed = await fleet.json<KillResult>('kill');
    expect(killed.scope).toBe('fleet');
    expect(killed.canceled.length).toBeGreaterThan(0);
    expect(resting.every((order) => killed.canceled.includes(order.clientOrderId) || order.status !== 'ACCEPTED')).toBe(true);
    const current = await status();
    expect(current.killSwitchEngaged).toBe(true);
    expect(current.state.state).toBe('HALTED');
    const openEntries = (await fleet.json<OrderInfo[]>('orders', '--open', '--limit', '1000')).filter((order) => order.role === 'ENTRY');
    expect(openEntries).toEqual([]);
    const countOrders = (): number => ['alpha', 'bravo', 'charlie'].reduce((sum, id) => sum + (fleet.ledgerRows<{ n: number }>(id, "SELECT COUNT(*) AS n FROM orders WHERE role IN ('ENTRY', 'CLOSE')")[0]?.n ?? 0), 0);
    const ordersAtKill = countOrders();
    // Each real second is 20 market minutes here; once every bot has heartbeated twice more it has seen dozens of
    // candles since the kill, and a halted bot must have turned every one of them into nothing.
    const heartbeatsAtKill = new Map(current.bots.map((b) => [b.botId, b.lastHeartbeatAt ?? 0]));
    await fleet.until('two more heartbeats from every bot', async () => {
      const now = await status();
      return now.bots.every((b) => (b.lastHeartbeatAt ?? 0) >= (heartbeatsAtKill.get(b.botId) ?? 0) + 2_000) ? now : null;
    }, 30_000);
    expect(countOrders()).toBe(ordersAtKill);
    const fresh = (await fleet.json<DecisionInfo[]>('decisions', '--limit', '200')).filter((decision) => decision.decidedAt > current.state.changedAt);
    expect(fresh.filter((decision) => decision.outcome !== 'DENIED')).toEqual([]);
  }, 90_000);

  it('stops everything with npm stop', async () => {
    const stopped = await fleet.script('supervisor/fleet-stop.ts');
    expect(stopped.stdout).toMatch(/Stopped the supervisor and 3 bot/);
    const after = await fleet.cli('status');
    expect(after.code).toBe(3);
  }, 60_000);
});
