import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allDashboards, dataLinks, substitute } from './dashboards.ts';
import type { Dashboard, Link } from './dashboards.ts';
import { promtool } from './tools.ts';

const BY_VARIABLE = { type: 'prometheus', uid: '${datasource}' };

function panelsWithTargets(dashboard: Dashboard) {
  return dashboard.panels.filter((panel) => panel.type !== 'row');
}

/** Every URL a dashboard links to: panel links and data links (defaults and per-query overrides). */
function linkUrls(dashboard: Dashboard): string[] {
  return panelsWithTargets(dashboard).flatMap((panel) => [
    ...(panel.links ?? []),
    ...(panel.targets ?? []).flatMap((target) => dataLinks(panel, target.refId ?? '')),
  ]).flatMap((link: Link) => (link.url === undefined ? [] : [link.url]));
}

describe('the dashboards, as Grafana imports them', () => {
  const dashboards = allDashboards();

  it('are the four Flotilla dashboards, each named by its uid', () => {
    expect(dashboards.map((dashboard) => [dashboard.file, dashboard.uid])).toEqual([
      ['flotilla-bot.json', 'flotilla-bot'],
      ['flotilla-fleet.json', 'flotilla-fleet'],
      ['flotilla-order-manager.json', 'flotilla-order-manager'],
      ['flotilla-venue.json', 'flotilla-venue'],
    ]);
  });

  it('each has a uid, no numeric id, a schema version Grafana 10 or later reads, and a datasource variable', () => {
    for (const dashboard of dashboards) {
      expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
      // A numeric id belongs to one Grafana's database; an import carrying one would overwrite another dashboard.
      expect(dashboard.id ?? null).toBeNull();
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(38);
      expect(dashboard.title).toMatch(/^Flotilla — /);
      expect(dashboard.templating.list.find((variable) => variable.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
      for (const variable of dashboard.templating.list.filter((candidate) => candidate.type === 'query')) expect(variable.datasource).toEqual(BY_VARIABLE);
    }
  });

  it('gives every panel a one-line description, the datasource by variable, and targets with a unique refId and an expr', () => {
    const wrong: string[] = [];
    for (const dashboard of dashboards) {
      const ids = dashboard.panels.map((panel) => panel.id);
      if (new Set(ids).size !== ids.length || !ids.every((id) => Number.isInteger(id))) wrong.push(`${dashboard.uid}: panel ids`);
      for (const panel of panelsWithTargets(dashboard)) {
        const name = `${dashboard.uid} / ${panel.title}`;
        if (!/^[^\n]{10,200}$/.test(panel.description ?? '')) wrong.push(`${name}: description`);
        if (JSON.stringify(panel.datasource) !== JSON.stringify(BY_VARIABLE)) wrong.push(`${name}: datasource`);
        const targets = panel.targets ?? [];
        if (targets.length === 0) wrong.push(`${name}: no targets`);
        const refIds = targets.map((target) => target.refId);
        if (new Set(refIds).size !== refIds.length || refIds.some((refId) => !/^[A-Z]$/.test(refId ?? ''))) wrong.push(`${name}: refIds ${refIds.join(',')}`);
        for (const target of targets) {
          if (typeof target.expr !== 'string' || target.expr.trim() === '') wrong.push(`${name} (${target.refId}): expr`);
          if (JSON.stringify(target.datasource) !== JSON.stringify(BY_VARIABLE)) wrong.push(`${name} (${target.refId}): datasource`);
        }
      }
      const titles = panelsWithTargets(dashboard).map((panel) => panel.title);
      if (new Set(titles).size !== titles.length) wrong.push(`${dashboard.uid}: two panels share a title`);
    }
    expect(wrong).toEqual([]);
  });

  it('has only queries Prometheus parses, once template variables are substituted', () => {
    const queries = dashboards.flatMap((dashboard) =>
      panelsWithTargets(dashboard).flatMap((panel) => (panel.targets ?? []).map((target) => ({ name: `${dashboard.uid} / ${panel.title} (${target.refId})`, expr: substitute(target.expr ?? '', { bot: 'adaptive' }) }))),
    );
    // promtool parses every expression of a rules file; each query becomes one recording rule, named by its index.
    const rules = { groups: [{ name: 'dashboards', rules: queries.map((query, index) => ({ record: `dashboard_query_${index}`, expr: query.expr })) }] };
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-dashboards-'));
    try {
      const file = join(dir, 'queries.rules.json');
      writeFileSync(file, JSON.stringify(rules));
      const result = promtool(['check', 'rules', file]);
      const failing = [...(result.stdout + result.stderr).matchAll(/dashboard_query_(\d+)/g)].map((match) => queries[Number(match[1])]?.name);
      expect({ failing, output: result.code === 0 ? '' : result.stdout + result.stderr }).toEqual({ failing: [], output: '' });
      expect(result.stdout).toContain(`SUCCESS: ${queries.length} rules found`);
      expect(queries.length).toBeGreaterThan(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('links only to dashboards that exist, passing the bot along', () => {
    const uids = new Set(dashboards.map((dashboard) => dashboard.uid));
    const broken = dashboards.flatMap((dashboard) =>
      linkUrls(dashboard).filter((url) => {
        const target = /^\/d\/([a-z0-9-]+)\/[a-z0-9-]+\?(.*)$/.exec(url);
        return target === null || !uids.has(target[1] ?? '') || !/var-bot=\$\{__field\.labels\.bot\}|\$\{bot:queryparam\}/.test(target[2] ?? '') || !(target[2] ?? '').includes('${__url_time_range}');
      }).map((url) => `${dashboard.uid}: ${url}`),
    );
    expect(broken).toEqual([]);
  });

  it('links every panel of the bot dashboard back to the fleet and order-manager dashboards for the same bot', () => {
    const bot = dashboards.find((dashboard) => dashboard.uid === 'flotilla-bot');
    expect(bot?.templating.list.find((variable) => variable.name === 'bot')).toMatchObject({ multi: false, includeAll: false, definition: 'label_values(flotilla_bot_up, bot)' });
    const unlinked = panelsWithTargets(bot as Dashboard).filter((panel) => {
      const urls = (panel.links ?? []).map((link) => link.url ?? '');
      return !urls.some((url) => url.startsWith('/d/flotilla-fleet/')) || !urls.some((url) => url.startsWith('/d/flotilla-order-manager/'));
    });
    expect(unlinked.map((panel) => panel.title)).toEqual([]);
  });
});
