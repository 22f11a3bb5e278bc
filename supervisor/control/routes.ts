import type { z } from 'zod';
import {
  BotQuery,
  DecisionsQuery,
  DEFAULT_LIST_LIMIT,
  describeIssues,
  EmptyBody,
  HaltBody,
  KillBody,
  ReconcileBody,
  OrdersQuery,
  ResumeBody,
  SetDrawdownBody,
  botIdSchema,
} from './api-schema.ts';
import { ControlError } from './fleet-control.ts';
import type { FleetControl } from './fleet-control.ts';

/** One request after authentication and body parsing; the body is `{}` when the request had none. */
export interface RouteRequest {
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST';
  /** Segments such as "/v1/bots/:id/start"; ":name" matches one segment. */
  path: string;
  /** Validates params, query and body, then asks the fleet; a ControlError becomes an error reply. */
  handle(control: FleetControl, request: RouteRequest): Promise<unknown>;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ControlError('BAD_REQUEST', describeIssues(result.error, where));
  return result.data;
}

/** Repeated keys (bot=a&bot=b) are refused rather than silently taking one of them. */
function queryObject(query: URLSearchParams): Record<string, string> {
  const object: Record<string, string> = {};
  for (const [key, value] of query) {
    if (Object.hasOwn(object, key)) throw new ControlError('BAD_REQUEST', `query parameter "${key}" is given more than once`);
    object[key] = value;
  }
  return object;
}

function pathBotId(request: RouteRequest): string {
  return parse(botIdSchema, request.params['id'], 'bot id in path');
}

function processRoute(action: 'start' | 'stop' | 'restart'): Route {
  return {
    method: 'POST',
    path: `/v1/bots/:id/${action}`,
    handle: async (control, request) => {
      const botId = pathBotId(request);
      parse(EmptyBody, request.body, 'body');
      if (action === 'start') return control.startBot(botId);
      if (action === 'stop') return control.stopBot(botId);
      return control.restartBot(botId);
    },
  };
}

export const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/v1/status',
    handle: async (control, request) => {
      const query = parse(BotQuery, queryObject(request.query), 'query');
      return query.bot === undefined ? control.status() : control.status({ botId: query.bot });
    },
  },
  {
    method: 'GET',
    path: '/v1/bots',
    handle: async (control, request) => {
      parse(EmptyBody, queryObject(request.query), 'query');
      return control.bots();
    },
  },
  processRoute('start'),
  processRoute('stop'),
  processRoute('restart'),
  {
    method: 'POST',
    path: '/v1/kill',
    handle: async (control, request) => control.kill(parse(KillBody, request.body, 'body')),
  },
  {
    method: 'POST',
    path: '/v1/reconcile',
    handle: async (control, request) => control.reconcile(parse(ReconcileBody, request.body, 'body')),
  },
  {
    method: 'POST',
    path: '/v1/halt',
    handle: async (control, request) => control.halt(parse(HaltBody, request.body, 'body')),
  },
  {
    method: 'POST',
    path: '/v1/resume',
    handle: async (control, request) => control.resume(parse(ResumeBody, request.body, 'body')),
  },
  {
    method: 'GET',
    path: '/v1/drawdown',
    handle: async (control, request) => {
      const query = parse(BotQuery, queryObject(request.query), 'query');
      return control.drawdown(withBot(query.bot));
    },
  },
  {
    method: 'POST',
    path: '/v1/drawdown',
    handle: async (control, request) => control.setDrawdown(parse(SetDrawdownBody, request.body, 'body')),
  },
  {
    method: 'GET',
    path: '/v1/orders',
    handle: async (control, request) => {
      const query = parse(OrdersQuery, queryObject(request.query), 'query');
      return control.orders({ ...withBot(query.bot), openOnly: query.open ?? false, limit: query.limit ?? DEFAULT_LIST_LIMIT });
    },
  },
  {
    method: 'GET',
    path: '/v1/positions',
    handle: async (control, request) => {
      const query = parse(BotQuery, queryObject(request.query), 'query');
      return control.positions(withBot(query.bot));
    },
  },
  {
    method: 'GET',
    path: '/v1/pnl',
    handle: async (control, request) => {
      const query = parse(BotQuery, queryObject(request.query), 'query');
      return control.pnl(withBot(query.bot));
    },
  },
  {
    method: 'GET',
    path: '/v1/decisions',
    handle: async (control, request) => {
      const query = parse(DecisionsQuery, queryObject(request.query), 'query');
      return control.decisions({ ...withBot(query.bot), deniedOnly: query.denied ?? false, limit: query.limit ?? DEFAULT_LIST_LIMIT });
    },
  },
];

/** Leaves botId out entirely when absent, so implementations can test `'botId' in options` as well as undefined. */
function withBot(bot: string | undefined): { botId?: string } {
  return bot === undefined ? {} : { botId: bot };
}

export type RouteMatch = { kind: 'found'; route: Route; params: Record<string, string> } | { kind: 'wrong-method'; allowed: string[] } | { kind: 'none' };

export function matchRoute(method: string, pathname: string): RouteMatch {
  const segments = pathname.split('/');
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const params = matchPath(route.path.split('/'), segments);
    if (params === null) continue;
    if (route.method === method) return { kind: 'found', route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { kind: 'wrong-method', allowed } : { kind: 'none' };
}

function matchPath(pattern: string[], segments: string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    const segment = segments[index] ?? '';
    if (part.startsWith(':')) {
      if (segment === '') return null;
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return null;
      }
      params[part.slice(1)] = decoded;
    } else if (part !== segment) {
      return null;
    }
  }
  return params;
}
