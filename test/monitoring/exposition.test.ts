import { Registry, collectDefaultMetrics } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SUPERVISOR_PROCESS_PREFIX } from '../../supervisor/metrics/definitions.ts';
import { feedEverything, makeMetrics } from '../supervisor/metrics/fixture.ts';
import { promtool } from './tools.ts';

describe('the exposition under promtool check metrics', () => {
  it('has nothing to report on the supervisor\'s /metrics, every kind of observation fed and the process metrics on', async () => {
    const { metrics } = makeMetrics();
    feedEverything(metrics);
    const text = await metrics.metricsText();
    expect(text).toContain('flotilla_supervisor_nodejs_active_handles{');
    const result = promtool(['check', 'metrics'], text);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('leaves out exactly the three gauges prom-client names like counters, whose by-type gauges carry the same', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: SUPERVISOR_PROCESS_PREFIX });
    const report = promtool(['check', 'metrics'], await registry.metrics());
    const flagged = (report.stdout + report.stderr).split('\n').filter((line) => line !== '').map((line) => line.split(' ')[0]);
    expect(flagged.sort()).toEqual(['flotilla_supervisor_nodejs_active_handles_total', 'flotilla_supervisor_nodejs_active_requests_total', 'flotilla_supervisor_nodejs_active_resources_total']);
    const ours = await makeMetrics().metrics.metricsText();
    for (const name of flagged) expect(ours).not.toContain(`${name} `);
  });
});
