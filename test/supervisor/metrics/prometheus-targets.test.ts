import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../core/errors.ts';
import { loadFleetConfig } from '../../../supervisor/config/fleet-config.ts';
import { PROMETHEUS_TARGETS_FILE, prometheusTarget, prometheusTargetsFile } from '../../../supervisor/metrics/prometheus-targets.ts';
import { PROJECT_ROOT, projectNode } from '../../../supervisor/paths.ts';

const run = promisify(execFile);

describe('the Prometheus scrape target written from the fleet configuration', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it('ships the target the built-in defaults give: 127.0.0.1:9464', () => {
    expect(prometheusTarget(loadFleetConfig(null).metrics)).toBe('127.0.0.1:9464');
    expect(readFileSync(PROMETHEUS_TARGETS_FILE, 'utf8')).toBe(prometheusTargetsFile(loadFleetConfig(null).metrics));
  });

  it('follows a configured host and port, in brackets for IPv6, and on loopback for a wildcard', () => {
    expect(prometheusTarget({ host: '127.0.0.1', port: 19464 })).toBe('127.0.0.1:19464');
    expect(prometheusTarget({ host: 'localhost', port: 9500 })).toBe('localhost:9500');
    expect(prometheusTarget({ host: '::1', port: 9464 })).toBe('[::1]:9464');
    expect(prometheusTarget({ host: '0.0.0.0', port: 9464 })).toBe('127.0.0.1:9464');
    expect(prometheusTarget({ host: '192.168.1.20', port: 9464 })).toBe('192.168.1.20:9464');
  });

  it('refuses port 0, which leaves Prometheus nowhere to look', () => {
    expect(() => prometheusTarget({ host: '127.0.0.1', port: 0 })).toThrow(ConfigurationError);
    expect(() => prometheusTarget({ host: '127.0.0.1', port: 0 })).toThrow(/metrics\.port/);
  });

  it('when run as a script, reads FLOTILLA_CONFIG as npm start does and writes the file it is given', async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-targets-'));
    const config = join(dir, 'flotilla.config.json');
    const out = join(dir, 'flotilla.yml');
    writeFileSync(config, JSON.stringify({ metrics: { port: 19500 } }));
    const { stdout } = await run(projectNode(), [join(PROJECT_ROOT, 'supervisor', 'metrics', 'prometheus-targets.ts'), out], { env: { ...process.env, FLOTILLA_CONFIG: config } });
    expect(stdout).toContain('127.0.0.1:19500');
    expect(readFileSync(out, 'utf8')).toContain("- targets: ['127.0.0.1:19500']");
    writeFileSync(config, JSON.stringify({ metrics: { port: 0 } }));
    const refused = await run(projectNode(), [join(PROJECT_ROOT, 'supervisor', 'metrics', 'prometheus-targets.ts'), out], { env: { ...process.env, FLOTILLA_CONFIG: config } }).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 2 });
    expect((refused as { stderr: string }).stderr).toContain('metrics.port is 0');
  });
});
