import { afterEach, describe, expect, it } from 'vitest';
import { renderStatus } from '../../../supervisor/cli/status.command.ts';
import { FleetHarness, quietBot } from './fleet-harness.ts';

describe('metrics exposed beyond loopback', () => {
  let h: FleetHarness;
  afterEach(async () => {
    await h.dispose();
  });

  it('test_status_when_operator_opted_in_to_a_non_loopback_metrics_host_then_status_says_where_metrics_are_exposed', async () => {
    h = await FleetHarness.open({ bots: [quietBot('alpha')], config: { metrics: { host: '0.0.0.0', port: 0, exposeBeyondLoopback: true } } });
    const status = await h.fleet.control.status();
    expect(status.metricsExposedOn).toBe(`0.0.0.0:${h.fleet.metricsPort}`);
    expect(renderStatus(status, Date.now())).toContain(`Metrics      EXPOSED beyond loopback on 0.0.0.0:${h.fleet.metricsPort}`);
  });

  it('test_status_when_metrics_on_loopback_then_nothing_said', async () => {
    h = await FleetHarness.open({ bots: [quietBot('alpha')] });
    const status = await h.fleet.control.status();
    expect(status.metricsExposedOn).toBeUndefined();
    expect(renderStatus(status, Date.now())).not.toContain('Metrics');
  });
});
