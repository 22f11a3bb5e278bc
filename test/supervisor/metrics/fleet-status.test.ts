import { describe, expect, it } from 'vitest';
import { ALPHA, BRAVO, BTC, BTC_KEY, NDX_KEY, NOW, QQQ, SQQQ, botStatus, fleetStatus, makeMetrics, pnl, position, samples, stopOrder, valueOf } from './fixture.ts';

const noExtras = { lockedKeys: [], pnl: [] };

describe('the fleet status gauges', () => {
  it('when a bot holds QQQ long and SQQQ long, then its NDX exposure is the beta-weighted sum, signed', async () => {
    const { metrics } = makeMetrics();
    // 10 QQQ at 500 (beta 1) = +5000; 100 SQQQ at 9 (beta -3) = -2700.
    metrics.observeFleet(fleetStatus([botStatus(ALPHA, { openPositions: [position(ALPHA, QQQ, '10', '500'), position(ALPHA, SQQQ, '100', '9')] })]), noExtras);
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_exposure_notional_quote', { bot: 'alpha', key: 'NDX' })).toBe(2300);
    expect(valueOf(all, 'flotilla_position_quantity', { bot: 'alpha', instrument: SQQQ })).toBe(100);
  });

  it('values a position without a mark at its entry price, and a short as negative exposure', async () => {
    const { metrics } = makeMetrics();
    metrics.observeFleet(fleetStatus([botStatus(ALPHA, { openPositions: [position(ALPHA, BTC, '-0.5', null, '60000')] })]), noExtras);
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_position_quantity', { bot: 'alpha', instrument: BTC })).toBe(-0.5);
    expect(valueOf(all, 'flotilla_exposure_notional_quote', { bot: 'alpha', key: 'BTC' })).toBe(-30_000);
  });

  it('when a position goes flat, then its series read 0 instead of disappearing', async () => {
    const { metrics } = makeMetrics();
    metrics.observeFleet(fleetStatus([botStatus(ALPHA, { openPositions: [position(ALPHA, BTC, '0.2', '50000')] })]), noExtras);
    metrics.observeFleet(fleetStatus([botStatus(ALPHA, { openPositions: [] })]), noExtras);
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_position_quantity', { bot: 'alpha', instrument: BTC })).toBe(0);
    expect(valueOf(all, 'flotilla_exposure_notional_quote', { bot: 'alpha', key: 'BTC' })).toBe(0);
  });

  it('exports trading states as one-hot gauges and the kill switch as 0/1, for the fleet and each bot', async () => {
    const { metrics } = makeMetrics();
    const killed = { state: 'HALTED' as const, reason: 'KILL_SWITCH', detail: 'kill switch', changedAt: NOW, flattenPending: false };
    metrics.observeFleet(
      fleetStatus([botStatus(ALPHA, { state: killed, effectiveState: 'HALTED' }), botStatus(BRAVO, { effectiveState: 'REDUCING' })], {
        state: { state: 'REDUCING', reason: 'DRAWDOWN_HALT', detail: '', changedAt: NOW, flattenPending: false },
      }),
      noExtras,
    );
    const all = await samples(metrics);
    const fleet = (state: string) => valueOf(all, 'flotilla_fleet_trading_state', { state });
    expect([fleet('ACTIVE'), fleet('REDUCING'), fleet('HALTED')]).toEqual([0, 1, 0]);
    const own = (bot: string, state: string) => valueOf(all, 'flotilla_bot_trading_state', { bot, state });
    expect([own('alpha', 'ACTIVE'), own('alpha', 'REDUCING'), own('alpha', 'HALTED')]).toEqual([0, 0, 1]);
    expect([own('bravo', 'ACTIVE'), own('bravo', 'REDUCING'), own('bravo', 'HALTED')]).toEqual([1, 0, 0]);
    expect(valueOf(all, 'flotilla_bot_effective_trading_state', { bot: 'bravo', state: 'REDUCING' })).toBe(1);
    expect(valueOf(all, 'flotilla_bot_kill_switch_engaged', { bot: 'alpha' })).toBe(1);
    expect(valueOf(all, 'flotilla_bot_kill_switch_engaged', { bot: 'bravo' })).toBe(0);
    expect(valueOf(all, 'flotilla_fleet_kill_switch_engaged')).toBe(0);
    expect(valueOf(all, 'flotilla_fleet_mode', { mode: 'paper' })).toBe(1);
    expect(valueOf(all, 'flotilla_fleet_mode', { mode: 'live' })).toBe(0);
  });

  it('when a state change is recorded, then the state gauges and counter move at once, before the next status poll', async () => {
    const { metrics } = makeMetrics();
    metrics.recordStateChange({ scope: 'fleet', state: 'HALTED', reason: 'KILL_SWITCH', detail: 'kill switch', changedAt: NOW, flattenPending: true });
    metrics.recordStateChange({ scope: 'bot:bravo', state: 'REDUCING', reason: 'HEARTBEAT_LOST', detail: 'silent for 6 s', changedAt: NOW, flattenPending: false });
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_fleet_trading_state', { state: 'HALTED' })).toBe(1);
    expect(valueOf(all, 'flotilla_fleet_kill_switch_engaged')).toBe(1);
    expect(valueOf(all, 'flotilla_bot_trading_state', { bot: 'bravo', state: 'REDUCING' })).toBe(1);
    expect(valueOf(all, 'flotilla_trading_state_changes_total', { scope: 'fleet', state: 'HALTED', reason: 'KILL_SWITCH' })).toBe(1);
    expect(valueOf(all, 'flotilla_trading_state_changes_total', { scope: 'bot:bravo', state: 'REDUCING', reason: 'HEARTBEAT_LOST' })).toBe(1);
  });

  it('exports equity, drawdown against its threshold in every window, PnL and fees as numbers', async () => {
    const { metrics } = makeMetrics();
    metrics.observeFleet(fleetStatus([botStatus(ALPHA)]), { lockedKeys: [], pnl: [pnl(ALPHA, '250.5', '-40', '-1.5')] });
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_bot_equity_quote', { bot: 'alpha' })).toBe(100_250.5);
    expect(valueOf(all, 'flotilla_bot_drawdown_fraction', { bot: 'alpha', window: '1d' })).toBe(0.012);
    expect(valueOf(all, 'flotilla_bot_drawdown_threshold_fraction', { bot: 'alpha', window: '1d' })).toBe(0.1);
    expect(valueOf(all, 'flotilla_bot_drawdown_fraction', { bot: 'alpha', window: '30d' })).toBe(0.05);
    expect(valueOf(all, 'flotilla_bot_drawdown_threshold_fraction', { bot: 'alpha', window: '30d' })).toBe(0.2);
    expect(valueOf(all, 'flotilla_fleet_equity_quote')).toBe(200_500);
    expect(valueOf(all, 'flotilla_fleet_drawdown_threshold_fraction', { window: '1d' })).toBe(0.15);
    expect(valueOf(all, 'flotilla_fleet_drawdown_threshold_fraction', { window: '30d' })).toBe(0.2);
    expect(valueOf(all, 'flotilla_bot_realized_pnl_quote', { bot: 'alpha' })).toBe(250.5);
    expect(valueOf(all, 'flotilla_bot_unrealized_pnl_quote', { bot: 'alpha' })).toBe(-40);
    expect(valueOf(all, 'flotilla_bot_fees_quote', { bot: 'alpha' })).toBe(-1.5);
    expect(valueOf(all, 'flotilla_bot_open_orders', { bot: 'alpha' })).toBe(2);
  });

  it('shows a malformed amount as NaN instead of throwing into the status loop', async () => {
    const { metrics } = makeMetrics();
    expect(() => metrics.observeFleet(fleetStatus([botStatus(ALPHA, { equity: '1e5' })]), noExtras)).not.toThrow();
    expect(valueOf(await samples(metrics), 'flotilla_bot_equity_quote', { bot: 'alpha' })).toBeNaN();
  });

  it('exports process health: up, connected, memory, CPU and heartbeat age from the real-time clock', async () => {
    const { metrics, clock } = makeMetrics();
    clock.advance(2_000);
    metrics.observeFleet(fleetStatus([botStatus(ALPHA), botStatus(BRAVO, { connected: false, process: { status: 'errored', pid: null, restarts: 0, memoryBytes: null, cpuPercent: null, uptimeMs: null } })]), noExtras);
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_bot_up', { bot: 'alpha' })).toBe(1);
    expect(valueOf(all, 'flotilla_bot_up', { bot: 'bravo' })).toBe(0);
    expect(valueOf(all, 'flotilla_bot_connected', { bot: 'bravo' })).toBe(0);
    expect(valueOf(all, 'flotilla_bot_memory_bytes', { bot: 'alpha' })).toBe(52_428_800);
    expect(valueOf(all, 'flotilla_bot_cpu_percent', { bot: 'alpha' })).toBe(3.5);
    expect(valueOf(all, 'flotilla_bot_heartbeat_age_seconds', { bot: 'alpha' })).toBe(3.5);
    // Unknown readings are no series at all, not a made-up zero.
    expect(valueOf(all, 'flotilla_bot_memory_bytes', { bot: 'bravo' })).toBeUndefined();
    expect(valueOf(all, 'flotilla_bot_cpu_percent', { bot: 'bravo' })).toBeUndefined();
  });

  it('when time passes after the last status poll, then the heartbeat age read at the next scrape has grown', async () => {
    const { metrics, clock } = makeMetrics();
    metrics.observeFleet(fleetStatus([botStatus(ALPHA)]), noExtras);
    expect(valueOf(await samples(metrics), 'flotilla_bot_heartbeat_age_seconds', { bot: 'alpha' })).toBe(1.5);
    clock.advance(10_000);
    expect(valueOf(await samples(metrics), 'flotilla_bot_heartbeat_age_seconds', { bot: 'alpha' })).toBe(11.5);
    metrics.observeFleet(fleetStatus([botStatus(ALPHA, { lastHeartbeatAt: null })]), noExtras);
    expect(valueOf(await samples(metrics), 'flotilla_bot_heartbeat_age_seconds', { bot: 'alpha' })).toBeUndefined();
  });

  it('grows the restart counter by the increase of pm2\'s count, treating a lower count as pm2 starting over', async () => {
    const { metrics } = makeMetrics();
    const restarts = (count: number) => botStatus(ALPHA, { process: { status: 'online', pid: 1, restarts: count, memoryBytes: 1, cpuPercent: 1, uptimeMs: 1 } });
    for (const count of [5, 5, 7, 2]) metrics.observeFleet(fleetStatus([restarts(count)]), noExtras);
    // 5 is the baseline at first sight, then +2, then pm2 was reset and counted 2 more.
    expect(valueOf(await samples(metrics), 'flotilla_bot_restarts_total', { bot: 'alpha' })).toBe(4);
  });

  it('exports every configured exposure key\'s lock as 0 or 1 and the number of locked keys', async () => {
    const { metrics } = makeMetrics();
    let all = await samples(metrics);
    expect(valueOf(all, 'flotilla_in_flight_key_locked', { key: 'BTC' })).toBe(0);
    expect(valueOf(all, 'flotilla_in_flight_locked_keys')).toBe(0);
    metrics.observeFleet(fleetStatus([]), { lockedKeys: [BTC_KEY, NDX_KEY], pnl: [] });
    all = await samples(metrics);
    expect(valueOf(all, 'flotilla_in_flight_key_locked', { key: 'BTC' })).toBe(1);
    expect(valueOf(all, 'flotilla_in_flight_key_locked', { key: 'NDX' })).toBe(1);
    expect(valueOf(all, 'flotilla_in_flight_locked_keys')).toBe(2);
    metrics.observeLocks([NDX_KEY]);
    all = await samples(metrics);
    expect(valueOf(all, 'flotilla_in_flight_key_locked', { key: 'BTC' })).toBe(0);
    expect(valueOf(all, 'flotilla_in_flight_locked_keys')).toBe(1);
  });

  it('exports each position\'s stop as the one that triggers first: the highest under a long, the lowest over a short', async () => {
    const { metrics } = makeMetrics();
    const positions = [position(ALPHA, BTC, '0.2', '50000'), position(ALPHA, SQQQ, '-10', '9')];
    const openOrders = [
      // A stop move in flight: the replacement (49,000) already works beside the old stop (48,000).
      stopOrder(ALPHA, BTC, 'SELL', '48000'),
      stopOrder(ALPHA, BTC, 'SELL', '49000'),
      stopOrder(ALPHA, BTC, 'SELL', '52000', 'TAKE_PROFIT'),
      stopOrder(ALPHA, SQQQ, 'BUY', '9.5'),
      stopOrder(ALPHA, SQQQ, 'BUY', '9.8'),
      // Another bot's stop on the same instrument is not alpha's.
      stopOrder(BRAVO, BTC, 'SELL', '49500'),
    ];
    metrics.observeFleet(fleetStatus([botStatus(ALPHA, { openPositions: positions }), botStatus(BRAVO)]), { ...noExtras, openOrders });
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_position_stop_price', { bot: 'alpha', instrument: BTC })).toBe(49_000);
    expect(valueOf(all, 'flotilla_position_stop_price', { bot: 'alpha', instrument: SQQQ })).toBe(9.5);
    // bravo holds nothing: a stop of its own makes no series.
    expect(valueOf(all, 'flotilla_position_stop_price', { bot: 'bravo', instrument: BTC })).toBeUndefined();
  });

  it('when a position goes flat or loses its stop, then its stop price series goes away instead of reading 0', async () => {
    const { metrics } = makeMetrics();
    const long = botStatus(ALPHA, { openPositions: [position(ALPHA, BTC, '0.2', '50000'), position(ALPHA, QQQ, '5', '500')] });
    metrics.observeFleet(fleetStatus([long]), { ...noExtras, openOrders: [stopOrder(ALPHA, BTC, 'SELL', '48000'), stopOrder(ALPHA, QQQ, 'SELL', '480')] });
    const before = await samples(metrics);
    expect([valueOf(before, 'flotilla_position_stop_price', { bot: 'alpha', instrument: BTC }), valueOf(before, 'flotilla_position_stop_price', { bot: 'alpha', instrument: QQQ })]).toEqual([48_000, 480]);
    // BTC is flat now; QQQ is still held, but its stop has gone (rejected, say): unprotected, no stop to draw.
    metrics.observeFleet(fleetStatus([botStatus(ALPHA, { openPositions: [position(ALPHA, QQQ, '5', '500')] })]), { ...noExtras, openOrders: [] });
    const all = await samples(metrics);
    expect(all.filter((sample) => sample.name === 'flotilla_position_stop_price')).toEqual([]);
  });
});
