import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './tools.ts';

export interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}

export interface Link {
  title?: string;
  url?: string;
}

export interface Panel {
  id?: unknown;
  type: string;
  title: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  links?: Link[];
  fieldConfig?: { defaults?: { links?: Link[] }; overrides?: Array<{ matcher: { id: string; options: unknown }; properties: Array<{ id: string; value: unknown }> }> };
}

export interface Variable {
  name: string;
  type: string;
  query?: unknown;
  definition?: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  datasource?: { type?: string; uid?: string };
}

export interface Dashboard {
  file: string;
  id?: unknown;
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

export const DASHBOARDS_DIR = join(ROOT, 'dashboards');

/** Every dashboard JSON in dashboards/: all of them are provisioned, so all of them are checked. */
export function allDashboards(): Dashboard[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ ...(JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as Omit<Dashboard, 'file'>), file }));
}

/** A query as Grafana sends it: template variables substituted. */
export function substitute(expr: string, values: { bot: string; venue?: string; rateInterval?: string; range?: string }): string {
  return expr
    .replaceAll('$__rate_interval', values.rateInterval ?? '1m')
    .replaceAll('$__range', values.range ?? '1h')
    .replaceAll('$__interval', '15s')
    .replaceAll('${bot}', values.bot)
    .replaceAll('$bot', values.bot)
    .replaceAll('${venue}', values.venue ?? '.*')
    .replaceAll('$venue', values.venue ?? '.*');
}

/** The value a dashboard's bot variable takes for "every bot": its allValue when it has one, else the one bot given. */
export function botValue(dashboard: Dashboard, oneBot: string): string {
  const variable = dashboard.templating.list.find((candidate) => candidate.name === 'bot');
  return variable?.multi === true && variable.includeAll === true ? (variable.allValue ?? '.*') : oneBot;
}

/** The data links a panel gives the series of one query (refId): the defaults, unless an override for it says otherwise. */
export function dataLinks(panel: Panel, refId: string): Link[] {
  const override = panel.fieldConfig?.overrides?.find((candidate) => candidate.matcher.id === 'byFrameRefID' && candidate.matcher.options === refId);
  const links = override?.properties.find((property) => property.id === 'links');
  return (links?.value as Link[] | undefined) ?? panel.fieldConfig?.defaults?.links ?? [];
}

/** Panels listed in docs/monitoring.md as waiting for an event (no series until it happens), by dashboard uid. */
export function eventOnlyPanels(): Array<{ dashboard: string; title: string }> {
  const text = readFileSync(join(ROOT, 'docs', 'monitoring.md'), 'utf8');
  const start = text.indexOf('### Panels that wait for an event');
  const section = text.slice(start, text.indexOf('\n#', start + 10));
  return [...section.matchAll(/^\| `([a-z-]+)` \| ([^|]+) \|/gm)].map((match) => ({ dashboard: match[1] ?? '', title: (match[2] ?? '').trim() }));
}
