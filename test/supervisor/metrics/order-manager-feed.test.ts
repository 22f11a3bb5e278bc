import { afterEach, describe, expect, it } from 'vitest';
import { FleetMetrics } from '../../../supervisor/metrics/metrics.ts';
import { parseOrderManagerConfig } from '../../../supervisor/order-manager/config.ts';
import type { Harness } from '../order-manager/fixture.ts';
import { ALPHA, BRAVO, BTC, CHARLIE, configInput, intent, makeHarness } from '../order-manager/fixture.ts';
import { counted, samples, valueOf } from './fixture.ts';

describe('metrics fed by a real order manager', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('when a listener forwards order-manager events, then decisions, order transitions, fills and state changes are counted', async () => {
    h = makeHarness();
    const config = parseOrderManagerConfig(configInput());
    const metrics = new FleetMetrics({ bots: [ALPHA, BRAVO, CHARLIE], instruments: [...config.instruments.values()], clock: h.clock, processMetrics: false });
    h.om.onEvent((event) => metrics.recordOrderManagerEvent(event));

    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000' })).outcome).toBe('APPROVED');
    const denied = h.om.submitIntent(intent(BRAVO, BTC, 'SELL', { quantity: '0.02', stop: '51000' }));
    expect(denied.outcome).toBe('DENIED');
    await h.om.idle();
    h.om.kill({ botId: CHARLIE });

    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_intents_total', { bot: 'alpha', outcome: 'APPROVED', reason: 'none' })).toBe(1);
    expect(valueOf(all, 'flotilla_intents_total', { bot: 'bravo', outcome: 'DENIED', reason: denied.reason ?? 'none' })).toBe(1);
    expect(valueOf(all, 'flotilla_decision_latency_seconds_count', { bot: 'alpha' })).toBe(1);
    expect(valueOf(all, 'flotilla_order_transitions_total', { bot: 'alpha', status: 'ACCEPTED' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(all, 'flotilla_order_transitions_total', { bot: 'alpha', status: 'FILLED' })).toBe(1);
    expect(valueOf(all, 'flotilla_fills_total', { bot: 'alpha', instrument: BTC, liquidity: 'TAKER' })).toBe(1);
    expect(valueOf(all, 'flotilla_filled_notional_quote_total', { bot: 'alpha', instrument: BTC })).toBeCloseTo(1000, 6);
    expect(valueOf(all, 'flotilla_trading_state_changes_total', { scope: 'bot:charlie', state: 'HALTED', reason: 'KILL_SWITCH' })).toBe(1);
    expect(valueOf(all, 'flotilla_bot_kill_switch_engaged', { bot: 'charlie' })).toBe(1);
    expect(counted(all, 'flotilla_metrics_refused_labels_total')).toEqual([]);
  });
});
