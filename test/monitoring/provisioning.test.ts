import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS_DIR, allDashboards } from './dashboards.ts';
import { MONITORING, PROMETHEUS_CONFIG, tool } from './tools.ts';

const read = (...path: string[]): string => readFileSync(join(MONITORING, ...path), 'utf8');
const COMPOSE = read('compose.yaml');
const DATASOURCE = read('grafana', 'provisioning', 'datasources', 'prometheus.yml');
const PROVIDER = read('grafana', 'provisioning', 'dashboards', 'flotilla.yml');
const ALERTMANAGER_CONFIG = join(MONITORING, 'alertmanager', 'alertmanager.yml');

/** `- ./source:/target:ro` volume lines of the compose file, as source → target. */
function mounts(): Map<string, string> {
  return new Map([...COMPOSE.matchAll(/^\s+- (\.{1,2}\/[^:\s]*):([^:\s]+)(?::ro)?$/gm)].map((match) => [match[1] ?? '', match[2] ?? '']));
}

function one(text: string, pattern: RegExp): string {
  const match = pattern.exec(text);
  expect(match, String(pattern)).not.toBeNull();
  return match?.[1] ?? '';
}

describe('Grafana provisioning, Alertmanager and the compose file', () => {
  it('provisions every dashboard in dashboards/: the provider reads the folder compose mounts there', () => {
    const path = one(PROVIDER, /^\s+path: (\S+)$/m);
    expect(mounts().get('../dashboards')).toBe(path);
    expect(PROVIDER).toMatch(/^\s+type: file$/m);
    expect(allDashboards().length).toBe(4);
    // Grafana's home page is one of them.
    const home = one(COMPOSE, /GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: (\S+)$/m);
    expect(home.startsWith(`${path}/`)).toBe(true);
    expect(existsSync(join(DASHBOARDS_DIR, home.slice(path.length + 1)))).toBe(true);
    // Provisioning files live where Grafana looks for them.
    expect(mounts().get('./grafana/provisioning')).toBe('/etc/grafana/provisioning');
  });

  it('gives Grafana the Prometheus compose starts as its default data source, at the scrape interval of the configuration', () => {
    expect(DATASOURCE).toMatch(/^\s+type: prometheus$/m);
    expect(DATASOURCE).toMatch(/^\s+isDefault: true$/m);
    const url = one(DATASOURCE, /^\s+url: (\S+)$/m);
    expect(url).toBe(`http://${one(COMPOSE, /--web\.listen-address=(127\.0\.0\.1:9090)$/m)}`);
    expect(one(DATASOURCE, /^\s+timeInterval: (\S+)$/m)).toBe(one(readFileSync(PROMETHEUS_CONFIG, 'utf8'), /^\s+scrape_interval: (\S+)$/m));
  });

  it('runs Prometheus on the shipped configuration and sends its alerts to the Alertmanager compose starts', () => {
    expect(mounts().get('./prometheus')).toBe('/etc/prometheus');
    expect(COMPOSE).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(mounts().get('./alertmanager')).toBe('/etc/alertmanager');
    expect(COMPOSE).toContain('--config.file=/etc/alertmanager/alertmanager.yml');
    const alertmanager = one(COMPOSE, /--web\.listen-address=(127\.0\.0\.1:9093)$/m);
    expect(readFileSync(PROMETHEUS_CONFIG, 'utf8')).toContain(`- targets: ['${alertmanager}']`);
  });

  it('keeps every service on the host\'s loopback: host network, each listening on 127.0.0.1 only', () => {
    expect(COMPOSE.match(/^\s+network_mode: host$/gm)).toHaveLength(3);
    expect(COMPOSE.match(/^\s+image: \S+:v?\d+\.\d+\.\d+$/gm)).toHaveLength(3);
    expect(COMPOSE).toMatch(/GF_SERVER_HTTP_ADDR: 127\.0\.0\.1$/m);
    expect([...COMPOSE.matchAll(/--web\.listen-address=(\S+)$/gm)].map((match) => match[1]?.split(':')[0])).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('has an Alertmanager configuration amtool accepts, with the kill switch silencing the halted alert of its scope', () => {
    const result = spawnSync(tool('amtool'), ['check-config', ALERTMANAGER_CONFIG], { encoding: 'utf8' });
    expect(result.stdout).toContain('SUCCESS');
    expect(result.stdout).toContain('2 inhibit rules');
    expect(result.status).toBe(0);
  });
});
