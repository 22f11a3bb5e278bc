import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlError } from '../../../supervisor/control/fleet-control.ts';
import type { ScopeStateInfo } from '../../../supervisor/control/fleet-control.ts';
import { BTC, ETH, FleetHarness, botIdOf, entryCommand, marketLong, quietBot, restingLong } from './fleet-harness.ts';
import type { TestBot } from './fleet-harness.ts';

const decimal = expect.stringMatching(/^-?\d+(\.\d+)?$/);
const windowShape = { window: expect.stringMatching(/^\d+(d|h|m|s|ms)$/), windowMs: expect.any(Number), current: decimal, peak: decimal, threshold: decimal, action: expect.stringMatching(/^(REDUCING|HALTED)$/) };
const drawdownShape = { ...windowShape, windows: expect.arrayContaining([windowShape]) };
const stateShape = (state: string, reason: string | null = null) => ({ state, reason, detail: expect.any(String), changedAt: expect.any(Number), flattenPending: false });

async function expectControlError(call: Promise<unknown>, code: string): Promise<void> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ControlError);
  expect((error as ControlError).code).toBe(code);
}

/** The operator's view and hand on a real fleet: alpha holds BTC and rests an ETH entry; bravo is idle. */
describe('fleet control service', () => {
  let h: FleetHarness;
  let alpha: TestBot;
  let btcEntry: string;
  let ethEntry: string;

  beforeEach(async () => {
    h = await FleetHarness.open({ bots: [quietBot('alpha', { instruments: [BTC, ETH] }), quietBot('bravo', { instruments: [BTC, ETH] })] });
    alpha = await h.connectedBot('alpha');
    const btc = await alpha.execute(marketLong(h, 'alpha', 'alpha-btc', BTC, '0.01'));
    const eth = await alpha.execute(restingLong(h, 'alpha', 'alpha-eth', ETH, '0.5'));
    if (btc.kind !== 'decision' || eth.kind !== 'decision') throw new Error('expected decisions');
    btcEntry = String(btc.decision.clientOrderId);
    ethEntry = String(eth.decision.clientOrderId);
    await h.fleet.om.idle();
  });
  afterEach(async () => {
    await h.dispose();
  });

  it('test_status_when_one_bot_trades_then_fleet_and_bot_shapes_are_complete', async () => {
    // Act
    const marketBefore = h.fleet.clock.now();
    const status = await h.fleet.control.status();
    const marketAfter = h.fleet.clock.now();
    // Assert
    expect(status.supervisor.marketTime).toBeGreaterThanOrEqual(marketBefore);
    expect(status.supervisor.marketTime).toBeLessThanOrEqual(marketAfter);
    expect(status).toEqual({
      mode: 'paper',
      supervisor: { pid: process.pid, startedAt: expect.any(Number), clockSpeed: 3000, marketTime: expect.any(Number) },
      state: stateShape('ACTIVE'),
      killSwitchEngaged: false,
      equity: decimal,
      drawdown: drawdownShape,
      bots: [expect.objectContaining({ botId: 'alpha' }), expect.objectContaining({ botId: 'bravo' })],
    });
    const [a, b] = status.bots;
    expect(a).toEqual({
      botId: 'alpha',
      name: 'Test bot alpha',
      process: expect.objectContaining({ status: 'online' }),
      state: stateShape('ACTIVE'),
      effectiveState: 'ACTIVE',
      equity: decimal,
      drawdown: drawdownShape,
      openPositions: [{ botId: 'alpha', instrumentId: BTC, quantity: '0.01', averageEntryPrice: decimal, markPrice: decimal, unrealizedPnl: decimal, realizedPnl: '0', fees: decimal }],
      // The BTC stop and take-profit, the ETH entry and its waiting bracket.
      openOrders: 5,
      lastHeartbeatAt: expect.any(Number),
      connected: true,
      killSwitchEngaged: false,
      notes: {},
      botCodeErrors: 0,
      unprotectedPositions: [],
      reconciliation: { state: 'RECONCILED', at: expect.any(Number), detail: '0 fill(s) applied, positions agree' },
      riskInUse: { openRisk: decimal, fraction: decimal, target: '0.05' },
    });
    expect(b).toMatchObject({ botId: 'bravo', connected: false, process: { status: 'not-started' }, openPositions: [], openOrders: 0, equity: '100000' });
  });

  it('test_bots_orders_positions_pnl_decisions_when_asked_then_shapes_and_filters_hold', async () => {
    // Arrange: bravo gets one denial.
    const bravo = await h.connectedBot('bravo');
    await bravo.execute(entryCommand({ botId: 'bravo', intentId: 'bravo-hedge', instrumentId: BTC, side: 'SELL', quantity: '0.01', stopLoss: h.priceAt(BTC, '1.1') }));
    // Act
    const bots = await h.fleet.control.bots();
    const open = await h.fleet.control.orders({ openOnly: true, limit: 100 });
    const recent = await h.fleet.control.orders({ botId: 'alpha', openOnly: false, limit: 2 });
    const positions = await h.fleet.control.positions({});
    const pnl = await h.fleet.control.pnl({ botId: 'alpha' });
    const decisions = await h.fleet.control.decisions({ deniedOnly: false, limit: 10 });
    const denied = await h.fleet.control.decisions({ deniedOnly: true, limit: 10 });
    // Assert
    expect(bots).toEqual([
      { folder: 'alpha', botId: 'alpha', name: 'Test bot alpha', status: 'LOADED', reason: null, venue: 'BYBIT', instruments: [BTC, ETH], timeframes: ['1m'] },
      { folder: 'bravo', botId: 'bravo', name: 'Test bot bravo', status: 'LOADED', reason: null, venue: 'BYBIT', instruments: [BTC, ETH], timeframes: ['1m'] },
    ]);
    expect(open).toHaveLength(5);
    expect(open.map((order) => order.role).sort()).toEqual(['ENTRY', 'STOP', 'STOP', 'TAKE_PROFIT', 'TAKE_PROFIT']);
    expect(open.find((order) => order.clientOrderId === ethEntry)).toEqual({
      botId: 'alpha',
      clientOrderId: ethEntry,
      instrumentId: ETH,
      role: 'ENTRY',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '0.5',
      filledQuantity: '0',
      limitPrice: decimal,
      triggerPrice: null,
      status: 'ACCEPTED',
      createdAt: expect.any(Number),
      updatedAt: expect.any(Number),
      detail: expect.any(String),
    });
    expect(recent).toHaveLength(2);
    expect(recent[0]!.createdAt).toBeGreaterThanOrEqual(recent[1]!.createdAt);
    expect(positions).toEqual([expect.objectContaining({ botId: 'alpha', instrumentId: BTC, quantity: '0.01' })]);
    expect(pnl).toEqual([{ botId: 'alpha', capital: '100000', balance: decimal, equity: decimal, realizedPnl: '0', unrealizedPnl: decimal, fees: decimal }]);
    expect(Number(pnl[0]!.fees)).toBeGreaterThan(0);
    expect(decisions.map((decision) => [decision.botId, decision.intentId, decision.outcome])).toEqual([
      ['bravo', 'bravo-hedge', 'DENIED'],
      ['alpha', 'alpha-eth', 'APPROVED'],
      ['alpha', 'alpha-btc', 'APPROVED'],
    ]);
    expect(decisions[2]).toEqual({
      botId: 'alpha',
      intentId: 'alpha-btc',
      instrumentId: BTC,
      outcome: 'APPROVED',
      reason: null,
      detail: expect.any(String),
      requestedQuantity: '0.01',
      approvedQuantity: '0.01',
      clientOrderId: btcEntry,
      decidedAt: expect.any(Number),
      latencyUs: expect.any(Number),
    });
    expect(denied).toEqual([expect.objectContaining({ botId: 'bravo', reason: 'WOULD_HEDGE' })]);
  });

  it('test_decisions_when_filtered_by_a_bot_a_busier_bot_outnumbers_then_the_filter_applies_before_the_limit', async () => {
    // Arrange: bravo is denied once; then alpha decides 60 more times, far past ten times the limit asked for.
    const bravo = await h.connectedBot('bravo');
    await bravo.execute(entryCommand({ botId: 'bravo', intentId: 'bravo-hedge', instrumentId: BTC, side: 'SELL', quantity: '0.01', stopLoss: h.priceAt(BTC, '1.1') }));
    const template = h.fleet.store.decisionFor(botIdOf('alpha'), 'alpha-btc' as never);
    if (template === null) throw new Error('expected the alpha-btc decision');
    for (let i = 0; i < 60; i++) h.fleet.store.recordDecision({ ...template, intentId: `alpha-filler-${i}` as never }, '{}');
    // Act
    const bravoOnly = await h.fleet.control.decisions({ botId: 'bravo', deniedOnly: false, limit: 5 });
    const bravoDenied = await h.fleet.control.decisions({ botId: 'bravo', deniedOnly: true, limit: 5 });
    const alphaOnly = await h.fleet.control.decisions({ botId: 'alpha', deniedOnly: false, limit: 5 });
    // Assert
    expect(bravoOnly.map((decision) => decision.intentId)).toEqual(['bravo-hedge']);
    expect(bravoDenied.map((decision) => decision.reason)).toEqual(['WOULD_HEDGE']);
    expect(alphaOnly.map((decision) => decision.intentId)).toEqual(['alpha-filler-59', 'alpha-filler-58', 'alpha-filler-57', 'alpha-filler-56', 'alpha-filler-55']);
  });

  it('test_kill_when_fleet_wide_then_entries_canceled_stops_kept_and_status_shows_kill_switch_until_resume', async () => {
    // Act
    const report = await h.fleet.control.kill({ flatten: false });
    const status = await h.fleet.control.status();
    const afterKill = await alpha.execute(restingLong(h, 'alpha', 'after-kill', ETH, '0.5'));
    const resumed = await h.fleet.control.resume({});
    const afterResume = await h.fleet.control.status();
    // Assert
    expect(report).toEqual({ scope: 'fleet', canceled: [ethEntry], closing: [], protectiveCanceled: [] });
    const ledger = h.fleet.om.ledger(botIdOf('alpha'));
    expect(ledger.order(ethEntry as never)?.status).toBe('CANCELED');
    // The waiting bracket of the canceled entry went with it; the filled BTC position keeps its stop and take-profit.
    expect(ledger.openOrders().map((order) => [order.instrumentId, order.role]).sort()).toEqual([
      [BTC, 'STOP'],
      [BTC, 'TAKE_PROFIT'],
    ]);
    expect(status.killSwitchEngaged).toBe(true);
    expect(status.state).toMatchObject({ state: 'HALTED', reason: 'KILL_SWITCH' });
    expect(status.bots.map((bot) => bot.effectiveState)).toEqual(['HALTED', 'HALTED']);
    expect(afterKill).toMatchObject({ kind: 'decision', decision: { outcome: 'DENIED', reason: 'TRADING_HALTED' } });
    // The resume starts the fleet's drawdown afresh, from the equity it has now.
    expect(resumed).toEqual({ ...stateShape('ACTIVE', 'OPERATOR_RESUME'), drawdown: { ...drawdownShape, current: '0' } });
    expect(afterResume.killSwitchEngaged).toBe(false);
    expect(afterResume.bots.map((bot) => bot.effectiveState)).toEqual(['ACTIVE', 'ACTIVE']);
  });

  it('test_kill_when_one_bot_then_only_that_bot_halts_and_the_fleet_switch_stays_off', async () => {
    // Act
    const report = await h.fleet.control.kill({ botId: 'alpha', flatten: false });
    const status = await h.fleet.control.status();
    // Assert
    expect(report).toMatchObject({ scope: 'bot:alpha', canceled: [ethEntry] });
    expect(status.killSwitchEngaged).toBe(false);
    expect(status.bots.map((bot) => [bot.botId, bot.effectiveState, bot.state.reason, bot.killSwitchEngaged])).toEqual([
      ['alpha', 'HALTED', 'KILL_SWITCH', true],
      ['bravo', 'ACTIVE', null, false],
    ]);
  });

  it('test_halt_and_resume_when_one_bot_then_state_changes_and_intents_follow_it', async () => {
    // Act
    const halted: ScopeStateInfo = await h.fleet.control.halt({ botId: 'alpha', reason: 'looks wrong' });
    const denied = await alpha.execute(restingLong(h, 'alpha', 'while-halted', ETH, '0.5'));
    const fleetHalted = await h.fleet.control.halt({ reason: 'lunch' });
    const bravoStatus = (await h.fleet.control.status()).bots[1];
    await h.fleet.control.resume({});
    const resumed = await h.fleet.control.resume({ botId: 'alpha' });
    // Assert
    expect(halted).toEqual({ state: 'HALTED', reason: 'OPERATOR_HALT', detail: 'looks wrong', changedAt: expect.any(Number), flattenPending: false });
    expect(denied).toMatchObject({ kind: 'decision', decision: { outcome: 'DENIED', reason: 'TRADING_HALTED' } });
    expect(fleetHalted).toMatchObject({ state: 'HALTED', reason: 'OPERATOR_HALT', detail: 'lunch' });
    expect(bravoStatus).toMatchObject({ state: { state: 'ACTIVE' }, effectiveState: 'HALTED' });
    expect(resumed).toMatchObject({ state: 'ACTIVE', reason: 'OPERATOR_RESUME' });
    expect(h.fleet.om.effectiveState(botIdOf('alpha'))).toBe('ACTIVE');
  });

  it('test_set_drawdown_when_fleet_restarts_on_the_same_home_then_the_threshold_survives', async () => {
    // Arrange
    const set = await h.fleet.control.setDrawdown({ botId: 'alpha', thresholdPercent: '7.5' });
    const fleetSet = await h.fleet.control.setDrawdown({ window: '30d', thresholdPercent: '12' });
    // Act
    alpha.close();
    await h.closeFleet();
    await h.reopen();
    const after = await h.fleet.control.drawdown({});
    // Assert
    const alphaWindow = { window: '1d', current: decimal, peak: decimal, threshold: '0.075', action: 'HALTED', windowMs: 86_400_000 };
    expect(set).toEqual({ scope: 'bot:alpha', ...alphaWindow, windows: [alphaWindow] });
    expect(fleetSet.windows.map((window) => [window.window, window.threshold])).toEqual([
      ['1d', '0.15'],
      ['30d', '0.12'],
      ['90d', '0.25'],
    ]);
    expect(after.map((entry) => [entry.scope, entry.windows.map((window) => `${window.window} ${window.threshold}`)])).toEqual([
      ['fleet', ['1d 0.15', '30d 0.12', '90d 0.25']],
      ['bot:alpha', ['1d 0.075']],
      ['bot:bravo', ['1d 0.5']],
    ]);
  });

  it('test_set_drawdown_when_threshold_is_out_of_range_then_bad_request', async () => {
    await expectControlError(h.fleet.control.setDrawdown({ botId: 'alpha', thresholdPercent: '0' }), 'BAD_REQUEST');
    await expectControlError(h.fleet.control.setDrawdown({ botId: 'alpha', thresholdPercent: '101' }), 'BAD_REQUEST');
    await expectControlError(h.fleet.control.setDrawdown({ botId: 'alpha', thresholdPercent: 'ten' }), 'BAD_REQUEST');
  });

  it('test_set_drawdown_when_the_window_is_missing_or_not_the_scopes_then_bad_request_naming_its_windows', async () => {
    const control = h.fleet.control;
    await expect(control.setDrawdown({ thresholdPercent: '12' })).rejects.toThrow('fleet has 3 drawdown windows (1d, 30d, 90d); say which to change, e.g. --window 90d');
    await expect(control.setDrawdown({ window: '7d', thresholdPercent: '12' })).rejects.toThrow('fleet has no 7d drawdown window; its windows are 1d, 30d, 90d');
    await expect(control.setDrawdown({ window: 'a week', thresholdPercent: '12' })).rejects.toThrow(/window must be a whole number followed by d, h, m, s or ms/);
    await expectControlError(control.setDrawdown({ window: '7d', thresholdPercent: '12' }), 'BAD_REQUEST');
    // A bot with one window needs no --window, and may name it.
    expect((await control.setDrawdown({ botId: 'alpha', window: '24h', thresholdPercent: '9' })).threshold).toBe('0.09');
    expect((await control.drawdown({})).map((entry) => entry.threshold)).toEqual(['0.15', '0.09', '0.5']);
  });

  it('test_any_call_when_bot_is_unknown_then_unknown_bot_and_nothing_changes', async () => {
    // Act / Assert
    const control = h.fleet.control;
    await expectControlError(control.halt({ botId: 'ghost', reason: 'x' }), 'UNKNOWN_BOT');
    await expectControlError(control.resume({ botId: 'ghost' }), 'UNKNOWN_BOT');
    await expectControlError(control.kill({ botId: 'ghost', flatten: true }), 'UNKNOWN_BOT');
    await expectControlError(control.orders({ botId: 'ghost', openOnly: false, limit: 5 }), 'UNKNOWN_BOT');
    await expectControlError(control.positions({ botId: 'ghost' }), 'UNKNOWN_BOT');
    await expectControlError(control.pnl({ botId: 'ghost' }), 'UNKNOWN_BOT');
    await expectControlError(control.decisions({ botId: 'ghost', deniedOnly: false, limit: 5 }), 'UNKNOWN_BOT');
    await expectControlError(control.drawdown({ botId: 'ghost' }), 'UNKNOWN_BOT');
    await expectControlError(control.setDrawdown({ botId: 'ghost', thresholdPercent: '5' }), 'UNKNOWN_BOT');
    await expectControlError(control.halt({ botId: 'Not A Bot!', reason: 'x' }), 'BAD_REQUEST');
    await expectControlError(control.startBot('alpha'), 'CONFLICT');
    const status = await control.status();
    expect(status.state.state).toBe('ACTIVE');
    expect(status.bots.map((bot) => bot.effectiveState)).toEqual(['ACTIVE', 'ACTIVE']);
  });
});
