import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsServer } from '../../../supervisor/metrics/server.ts';
import { startMetricsServer } from '../../../supervisor/metrics/server.ts';
import { feedEverything, makeMetrics, parseExposition } from './fixture.ts';

describe('the metrics endpoint', () => {
  let server: MetricsServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('when started on port 0, then it listens on 127.0.0.1 on a real port and serves the text format on GET /metrics', async () => {
    const { metrics } = makeMetrics();
    feedEverything(metrics);
    server = await startMetricsServer({ port: 0, metrics });
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text).toContain('# TYPE flotilla_intents_total counter');
    expect(text).toContain('# TYPE flotilla_decision_latency_seconds histogram');
    expect(text).toContain('flotilla_supervisor_process_resident_memory_bytes');
    expect(parseExposition(text).some((sample) => sample.name === 'flotilla_intents_total' && sample.labels.bot === 'alpha')).toBe(true);
  });

  it('answers 404 for any other path and 405 for another method on /metrics', async () => {
    const { metrics } = makeMetrics();
    server = await startMetricsServer({ port: 0, metrics });
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/extra`)).status).toBe(404);
    expect((await fetch(`${base}/status`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${base}/metrics?name[]=x`)).status).toBe(200);
  });

  it('when collection fails, then the scrape gets a 500 without the cause', async () => {
    server = await startMetricsServer({
      port: 0,
      metrics: { contentType: 'text/plain', metricsText: () => Promise.reject(new Error('secret detail sk-live-123')) },
    });
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('sk-live');
  });

  it('when closed, then the port no longer answers', async () => {
    const { metrics } = makeMetrics();
    const started = await startMetricsServer({ port: 0, metrics });
    await fetch(`http://127.0.0.1:${started.port}/metrics`);
    await started.close();
    await expect(fetch(`http://127.0.0.1:${started.port}/metrics`)).rejects.toThrow();
  });

  it('when the port is taken, then starting fails instead of serving elsewhere', async () => {
    const { metrics } = makeMetrics();
    server = await startMetricsServer({ port: 0, metrics });
    // Said as a configuration error naming the key, so the supervisor stops rather than restart into it.
    await expect(startMetricsServer({ port: server.port, metrics })).rejects.toThrow(new RegExp(`^metrics.port: 127.0.0.1:${server.port} is already in use by another process`));
  });
});
