import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFleetConfig } from '../../supervisor/config/fleet-config.ts';
import type { OrderInfo } from '../../supervisor/control/fleet-control.ts';
import { prometheusTargetsFile } from '../../supervisor/metrics/prometheus-targets.ts';
import { PROJECT_ROOT } from '../../supervisor/paths.ts';
import { FleetUnderTest } from '../e2e/fleet-harness.ts';
import { allDashboards, botValue, dataLinks, eventOnlyPanels, substitute } from './dashboards.ts';
import { MONITORING, alertNames, promtool, tool } from './tools.ts';

/** The fleet's four shipped bots, as `npm start` runs them. */
const SHIPPED_BOTS = ['adaptive', 'aggressive', 'equity-baskets', 'trend-following'];
/** Short intervals so that the whole test, fleet start included, takes under two minutes. */
const SCRAPE_INTERVAL = '1s';
/** Grafana's $__rate_interval for a 1 s scrape interval is 4 s; a little more keeps a late scrape from emptying a rate. */
const RATE_INTERVAL = '10s';

interface PromVector {
  metric: Record<string, string>;
  value: [number, string];
}

interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The shipped Prometheus configuration in a folder of its own: the shipped rules, the targets file as the writer
 * makes it from the fleet's configuration, and the intervals shortened. Alerts stay in this Prometheus (no
 * Alertmanager), which is where the test reads them.
 */
function prometheusFolder(configPath: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'flotilla-prometheus-'));
  cpSync(join(MONITORING, 'prometheus'), folder, { recursive: true });
  writeFileSync(join(folder, 'targets', 'flotilla.yml'), prometheusTargetsFile(loadFleetConfig(configPath).metrics));
  const shipped = readFileSync(join(folder, 'prometheus.yml'), 'utf8');
  const shortened = shipped
    .replace(/^( {2}scrape_interval:) 15s$/m, `$1 ${SCRAPE_INTERVAL}`)
    .replace(/^( {2}evaluation_interval:) 15s$/m, `$1 ${SCRAPE_INTERVAL}`)
    .replace(/^alerting:\n(?: {2,}.*\n)+/m, '');
  expect(shortened.match(new RegExp(`_interval: ${SCRAPE_INTERVAL}$`, 'gm'))).toHaveLength(2);
  expect(shortened).not.toContain('alertmanagers');
  writeFileSync(join(folder, 'prometheus.yml'), shortened);
  return folder;
}

describe('the fleet watched by a real Prometheus with the shipped configuration, rules and dashboards', () => {
  let started = 0;
  let fleet: FleetUnderTest;
  let metricsPort: number;
  let prometheusUrl: string;
  let prometheus: ChildProcess | null = null;
  let prometheusDir: string | null = null;
  let prometheusLog = '';

  async function api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const reply = await fetch(`${prometheusUrl}${path}?${new URLSearchParams(params).toString()}`);
    const body = (await reply.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error ?? reply.status}`);
    return body.data;
  }
  const query = async (expr: string): Promise<PromVector[]> => (await api<{ result: PromVector[] }>('/api/v1/query', { query: expr })).result;
  const firing = async (): Promise<PromAlert[]> => (await api<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts.filter((alert) => alert.state === 'firing');

  beforeAll(async () => {
    started = performance.now();
    metricsPort = await freePort();
    const prometheusPort = await freePort();
    prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
    // A configured metrics port, not the default one: the targets file must follow it.
    fleet = new FleetUnderTest({ clock: { speed: 1200 }, marketData: { historyCandles: 60 }, control: { port: 0 }, metrics: { port: metricsPort } });
    for (const bot of SHIPPED_BOTS) cpSync(join(PROJECT_ROOT, 'bots', bot), join(fleet.botsRoot, bot), { recursive: true });
    prometheusDir = prometheusFolder(fleet.configPath);
    prometheus = spawn(
      tool('prometheus'),
      [
        `--config.file=${join(prometheusDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(prometheusDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr?.on('data', (chunk: Buffer) => (prometheusLog = (prometheusLog + chunk.toString()).slice(-4000)));
    const [fleetStarted] = await Promise.all([
      fleet.script('supervisor/fleet-start.ts'),
      fleet.until('Prometheus ready', async () => (await fetch(`${prometheusUrl}/-/ready`).catch(() => null))?.ok === true, 30_000),
    ]);
    expect(fleetStarted.stdout).toContain('Fleet online');
  }, 90_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    await fleet?.destroy();
    if (prometheusDir !== null) rmSync(prometheusDir, { recursive: true, force: true });
  }, 60_000);

  it('scrapes the supervisor on its configured port, and promtool check metrics has nothing to say about /metrics', async () => {
    const up = await fleet.until(`the supervisor up in Prometheus${prometheusLog === '' ? '' : `: ${prometheusLog}`}`, async () => {
      const result = await query('up{job="flotilla"} == 1');
      return result.length === 1 ? result : null;
    }, 20_000);
    expect(up[0]?.metric.instance).toBe(`127.0.0.1:${metricsPort}`);
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const checked = promtool(['check', 'metrics'], text);
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.code).toBe(0);
  }, 30_000);

  it('loads every shipped rule, and none of the kill-switch or halted alerts fires on a fleet that trades', async () => {
    const groups = (await api<{ groups: Array<{ rules: Array<{ name: string; type: string; health: string }> }> }>('/api/v1/rules')).groups;
    const rules = groups.flatMap((group) => group.rules).filter((rule) => rule.type === 'alerting');
    expect(rules.map((rule) => rule.name).sort()).toEqual([...alertNames()].sort());
    // Every rule has been evaluated against the fleet's series by now, and none failed.
    await fleet.until('every rule evaluated', async () => {
      const all = (await api<{ groups: Array<{ rules: Array<{ health: string }> }> }>('/api/v1/rules')).groups.flatMap((group) => group.rules);
      return all.every((rule) => rule.health === 'ok') ? all : null;
    }, 10_000);
    const quiet = ['FlotillaFleetKillSwitchEngaged', 'FlotillaFleetHalted', 'FlotillaBotKillSwitchEngaged', 'FlotillaBotHalted'];
    expect((await firing()).filter((alert) => quiet.includes(alert.labels.alertname ?? ''))).toEqual([]);
  }, 20_000);

  it('answers every panel query of every dashboard, with series except on the panels documented as waiting for an event', async () => {
    // The fleet has traded (a filled order), and Prometheus holds enough scrapes for every rate over $__rate_interval.
    await fleet.until('a filled order', async () => (await fleet.json<OrderInfo[]>('orders', '--limit', '200')).some((order) => order.status === 'FILLED'), 60_000);
    await fleet.until('ten scrapes', async () => Number((await query('count_over_time(up{job="flotilla"}[1m])'))[0]?.value[1] ?? 0) >= 10, 20_000);
    const eventOnly = eventOnlyPanels();
    const survey = async (): Promise<{ empty: string[]; failed: string[]; unlinked: string[] }> => {
      const empty: string[] = [];
      const failed: string[] = [];
      const unlinked: string[] = [];
      for (const dashboard of allDashboards()) {
        // A dashboard of one bot at a time is asked for each bot in turn; the others for every bot at once.
        const bots = botValue(dashboard, '') === '' ? SHIPPED_BOTS : [botValue(dashboard, '')];
        for (const panel of dashboard.panels) {
          for (const target of panel.targets ?? []) {
            if (target.expr === undefined) continue;
            const name = `${dashboard.uid} / ${panel.title} (${target.refId ?? '?'})`;
            const results: PromVector[] = [];
            for (const bot of bots) {
              const expr = substitute(target.expr, { bot, rateInterval: RATE_INTERVAL, range: '10m' });
              try {
                results.push(...(await query(expr)));
              } catch (error) {
                failed.push(`${name} for ${bot}: ${(error as Error).message}`);
              }
            }
            const waits = eventOnly.some((entry) => entry.dashboard === dashboard.uid && entry.title === panel.title);
            if (results.length === 0 && !waits) empty.push(`${name}: ${target.expr}`);
            // A series of one bot leads to that bot's own dashboard.
            const perBot = results.some((series) => series.metric.bot !== undefined);
            if (perBot && dashboard.uid !== 'flotilla-bot' && !dataLinks(panel, target.refId ?? '').some((link) => link.url?.includes('/d/flotilla-bot/') && link.url.includes('var-bot=${__field.labels.bot}'))) {
              unlinked.push(name);
            }
          }
        }
      }
      return { empty, failed, unlinked };
    };
    // A position the panels show may close between two scrapes on a busy machine: the survey is repeated until every
    // panel has series or the time is up, and the last survey is what the test judges.
    let last = await survey();
    const complete = (): boolean => last.empty.length === 0 && last.failed.length === 0;
    await fleet
      .until('every panel answered with series', async () => {
        if (!complete()) last = await survey();
        return complete();
      }, 30_000)
      .catch(() => undefined);
    const { empty, failed, unlinked } = last;
    expect(failed).toEqual([]);
    expect(empty).toEqual([]);
    expect(unlinked).toEqual([]);
  }, 120_000);

  it('fires the kill-switch and halted alerts after `supervisor kill`, and the trading-state-changes panel shows it', async () => {
    const killed = await fleet.cli('kill');
    expect(killed.code).toBe(0);
    const alerts = await fleet.until('the kill-switch and halted alerts firing', async () => {
      const names = new Set((await firing()).map((alert) => alert.labels.alertname));
      return names.has('FlotillaFleetKillSwitchEngaged') && names.has('FlotillaFleetHalted') ? await firing() : null;
    }, 20_000);
    const killAlert = alerts.find((alert) => alert.labels.alertname === 'FlotillaFleetKillSwitchEngaged');
    expect(killAlert?.labels).toMatchObject({ severity: 'critical', job: 'flotilla', instance: `127.0.0.1:${metricsPort}` });
    expect(alerts.find((alert) => alert.labels.alertname === 'FlotillaFleetHalted')?.labels).toMatchObject({ severity: 'critical', state: 'HALTED' });

    const fleetBoard = allDashboards().find((dashboard) => dashboard.uid === 'flotilla-fleet');
    const panel = fleetBoard?.panels.find((candidate) => candidate.title === 'Trading state changes');
    const expr = substitute(panel?.targets?.[0]?.expr ?? '', { bot: '.*' });
    const change = (await query(expr)).find((series) => series.metric.scope === 'fleet' && series.metric.state === 'HALTED' && series.metric.reason === 'KILL_SWITCH');
    expect(Number(change?.value[1])).toBeGreaterThan(0);
    // The whole test, fleet start to alerts, within its budget.
    expect(performance.now() - started).toBeLessThan(120_000);
  }, 30_000);
});
