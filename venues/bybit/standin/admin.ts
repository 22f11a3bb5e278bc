import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../../../core/logger.ts';
import type { FaultPlan } from './faults.ts';

/**
 * The stand-in's own admin endpoint on the same port, for tests in another process (the e2e test): faults and, in a
 * manual market, candles. Every request needs `Authorization: Bearer <admin token>` (the token is in the key file).
 *   GET /standin/faults            the armed faults and how often each fired
 *   POST /standin/faults           arm one: a fault spec as JSON (see faults.ts); answers {id}
 *   DELETE /standin/faults         disarm all
 *   POST /standin/candles          {symbol, open, high, low, close, volume?}: the next 1m candle (manual market only)
 *   POST /standin/drop-private     {uid?}: terminate private WebSocket connections
 */

export interface AdminActions {
  faults: FaultPlan;
  /** Null when the market is not driven by hand. */
  pushCandle: ((symbol: string, prices: { open: string; high: string; low: string; close: string; volume?: string }) => void) | null;
  dropPrivate: (uid?: number) => number;
}

const candleSchema = z.strictObject({ symbol: z.string(), open: z.string(), high: z.string(), low: z.string(), close: z.string(), volume: z.string().optional() });
const dropSchema = z.strictObject({ uid: z.number().int().positive().optional() });

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

function authorized(request: IncomingMessage, token: string): boolean {
  const given = Buffer.from(request.headers.authorization ?? '', 'utf8');
  const expected = Buffer.from(`Bearer ${token}`, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function json(body: string): unknown {
  return body.trim() === '' ? {} : JSON.parse(body);
}

export function adminHandler(token: string, actions: AdminActions, logger: Logger): (request: IncomingMessage, response: ServerResponse, body: string) => void {
  return (request, response, body) => {
    if (!authorized(request, token)) {
      reply(response, 401, { error: 'the admin endpoint needs Authorization: Bearer <adminToken from the key file>' });
      return;
    }
    const route = `${request.method ?? 'GET'} ${(request.url ?? '').split('?')[0] ?? ''}`;
    try {
      switch (route) {
        case 'GET /standin/faults':
          reply(response, 200, { faults: actions.faults.list() });
          return;
        case 'POST /standin/faults': {
          const handle = actions.faults.add(json(body) as never);
          logger.info({ id: handle.id, kind: handle.spec.kind }, 'fault armed over the admin endpoint');
          reply(response, 200, { id: handle.id });
          return;
        }
        case 'DELETE /standin/faults':
          actions.faults.clear();
          reply(response, 200, { faults: [] });
          return;
        case 'POST /standin/candles': {
          if (actions.pushCandle === null) {
            reply(response, 409, { error: 'candles can be pushed only when the market is manual' });
            return;
          }
          const { symbol, ...prices } = candleSchema.parse(json(body));
          actions.pushCandle(symbol, prices);
          reply(response, 200, {});
          return;
        }
        case 'POST /standin/drop-private': {
          const { uid } = dropSchema.parse(json(body));
          reply(response, 200, { dropped: actions.dropPrivate(uid) });
          return;
        }
        default:
          reply(response, 404, { error: `${route} is not an admin route` });
      }
    } catch (error) {
      reply(response, 400, { error: error instanceof Error ? error.message : String(error) });
    }
  };
}
