import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../../supervisor/metrics/definitions.ts';
import { FleetMetrics } from '../../../supervisor/metrics/metrics.ts';
import type { Dashboard } from './fixture.ts';
import { ALPHA, BRAVO, DASHBOARD_FILES, INSTRUMENTS, dashboards, documentedMetrics, family } from './fixture.ts';

const LINUX_ONLY_OK = process.platform !== 'linux';

function registeredNames(): Set<string> {
  const metrics = new FleetMetrics({ bots: [ALPHA, BRAVO], instruments: INSTRUMENTS });
  return new Set(metrics.registry.getMetricsAsArray().map((metric) => metric.name));
}

function expressions(dashboard: Dashboard): Array<{ panel: string; expr: string }> {
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => (target.expr === undefined ? [] : [{ panel: panel.title, expr: target.expr }])));
}

function metricNamesIn(expr: string): string[] {
  return [...expr.matchAll(/flotilla_[a-z0-9_]+/g)].map((match) => family(match[0]));
}

describe('the dashboards and the metrics documentation', () => {
  it('has both dashboards, each on schema 38 or later with a Prometheus datasource variable and a bot variable from label_values', () => {
    const boards = dashboards();
    expect(boards.map((board) => board.uid)).toEqual(DASHBOARD_FILES.map((file) => file.replace(/\.json$/, '')));
    for (const board of boards) {
      expect(board.schemaVersion).toBeGreaterThanOrEqual(38);
      const datasource = board.templating.list.find((variable) => variable.name === 'datasource');
      expect(datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
      const bot = board.templating.list.find((variable) => variable.name === 'bot');
      expect(bot).toMatchObject({ type: 'query', definition: 'label_values(flotilla_bot_up, bot)', datasource: { type: 'prometheus', uid: '${datasource}' } });
      const ids = board.panels.map((panel) => (panel as { id?: number }).id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const panel of board.panels) {
        if (panel.type === 'row') continue;
        expect({ title: panel.title, datasource: (panel as { datasource?: unknown }).datasource }).toEqual({ title: panel.title, datasource: { type: 'prometheus', uid: '${datasource}' } });
        expect(panel.targets?.length ?? 0).toBeGreaterThan(0);
      }
    }
  });

  it('references only metrics that exist in the registry, once _bucket, _sum and _count are stripped', () => {
    const registered = registeredNames();
    const missing = dashboards().flatMap((board) =>
      expressions(board).flatMap(({ panel, expr }) => metricNamesIn(expr).filter((name) => !registered.has(name)).map((name) => `${board.uid} / ${panel}: ${name}`)),
    );
    expect(missing).toEqual([]);
  });

  it('documents every metric in the registry, and every documented metric is in the registry', () => {
    const registered = registeredNames();
    const documented = documentedMetrics();
    const names = new Set(documented.map((row) => row.name));
    expect(names.size).toBe(documented.length);
    expect([...registered].filter((name) => !names.has(name))).toEqual([]);
    expect(documented.filter((row) => !registered.has(row.name) && !(row.linuxOnly && LINUX_ONLY_OK)).map((row) => row.name)).toEqual([]);
    expect(documented.filter((row) => row.section === 'flotilla').map((row) => row.name).sort()).toEqual(Object.values(METRIC_NAMES).sort());
  });

  it('names, for each documented metric, dashboard panels that exist and query that metric', () => {
    const boards = new Map(dashboards().map((board) => [board.uid, board]));
    const wrong: string[] = [];
    for (const row of documentedMetrics()) {
      for (const reference of row.panels) {
        const panel = boards.get(reference.dashboard)?.panels.find((candidate) => candidate.title === reference.title);
        const queries = (panel?.targets ?? []).flatMap((target) => metricNamesIn(target.expr ?? ''));
        if (!queries.includes(row.name)) wrong.push(`${row.name} -> ${reference.dashboard}: ${reference.title}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('shows every Flotilla metric on at least one panel, and documents every panel\'s metrics against that panel', () => {
    const documented = documentedMetrics();
    expect(documented.filter((row) => row.section === 'flotilla' && row.panels.length === 0).map((row) => row.name)).toEqual([]);
    const undocumented: string[] = [];
    for (const board of dashboards()) {
      for (const { panel, expr } of expressions(board)) {
        for (const name of metricNamesIn(expr)) {
          const row = documented.find((entry) => entry.name === name);
          if (!row?.panels.some((reference) => reference.dashboard === board.uid && reference.title === panel)) undocumented.push(`${board.uid} / ${panel}: ${name}`);
        }
      }
    }
    expect(undocumented).toEqual([]);
  });
});
