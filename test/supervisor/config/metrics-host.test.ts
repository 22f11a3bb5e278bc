import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLoopbackHost, loadFleetConfig } from '../../../supervisor/config/fleet-config.ts';

describe('metrics.host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-metrics-host-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const load = (metrics: Record<string, unknown>) => {
    const path = join(dir, 'flotilla.config.json');
    writeFileSync(path, JSON.stringify({ metrics }));
    return loadFleetConfig(path);
  };

  it.each(['0.0.0.0', '::', '192.168.1.20', 'metrics.example.com'])('test_config_when_metrics_host_is_%s_without_opt_in_then_refused_naming_the_key', (host) => {
    expect(() => load({ host })).toThrow(/flotilla\.config\.json: metrics\.host: must be a loopback address .*metrics\.exposeBeyondLoopback/);
  });

  it.each(['127.0.0.1', '127.0.0.53', '::1', 'localhost'])('test_config_when_metrics_host_is_loopback_%s_then_accepted', (host) => {
    expect(load({ host }).metrics).toEqual({ host, port: 9464, exposeBeyondLoopback: false });
  });

  it('test_config_when_non_loopback_host_is_opted_in_then_accepted', () => {
    expect(load({ host: '0.0.0.0', exposeBeyondLoopback: true }).metrics).toEqual({ host: '0.0.0.0', port: 9464, exposeBeyondLoopback: true });
  });

  it('test_config_when_no_metrics_key_then_loopback_default', () => {
    expect(loadFleetConfig(null).metrics).toEqual({ host: '127.0.0.1', port: 9464, exposeBeyondLoopback: false });
  });

  it('test_is_loopback_host_when_ipv4_mapped_or_written_out_then_recognised', () => {
    expect(['::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'].every(isLoopbackHost)).toBe(true);
    expect(['::ffff:10.0.0.1', '128.0.0.1', '::2'].some(isLoopbackHost)).toBe(false);
  });
});
