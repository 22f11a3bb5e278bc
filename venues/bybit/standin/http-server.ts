import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Clock } from '../../../core/clock.ts';
import type { Logger } from '../../../core/logger.ts';
import { canTrade, ipAllowed, type ApiKey } from './accounts.ts';
import type { Exchange } from './exchange.ts';
import type { FaultPlan, FaultSpec } from './faults.ts';
import type { Market } from './market.ts';
import { limitHeaders, type LimitState, type RateLimiter } from './rate-limits.ts';
import type { Route, RouteResult, RouteTable } from './rest/route.ts';
import { checkRestSignature, checkTimestamp, readAuthentication } from './signature.ts';
import { BybitError, errorEnvelope, okEnvelope, parameterError, type Envelope, type Params } from './wire.ts';

/**
 * The REST side: one request's path through the exchange. Route lookup, then for private routes the key, its IP
 * binding, the timestamp window and the signature (in that order), the key's permission, any scripted fault, the
 * per-UID rate limit, and the handler; the answer is Bybit's envelope with the X-Bapi-Limit headers where a limit
 * applies. Requests under /standin/ go to the admin handler instead.
 */

export interface RestServerOptions {
  routes: RouteTable;
  exchange: Exchange;
  market: Market;
  limiter: RateLimiter;
  faults: FaultPlan;
  /** The clock requests are checked against: wall time, which is what clients sign with. */
  wallClock: Clock;
  /** Market time: candles, orders and executions. */
  clock: Clock;
  logger: Logger;
  admin: (request: IncomingMessage, response: ServerResponse, body: string) => void;
}

const MAX_BODY_BYTES = 1 << 20;

interface Outcome {
  status: number;
  envelope: Envelope;
  headers: Record<string, string>;
}

function readBody(request: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function write(response: ServerResponse, outcome: Outcome): void {
  if (response.destroyed || response.writableEnded) return;
  const body = JSON.stringify(outcome.envelope);
  response.writeHead(outcome.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...outcome.headers });
  response.end(body);
}

function writeText(response: ServerResponse, status: number, text: string): void {
  if (response.destroyed || response.writableEnded) return;
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

function parseParams(method: string, rawQuery: string, rawBody: string): Params {
  if (method === 'GET') return Object.fromEntries(new URLSearchParams(rawQuery));
  if (rawBody.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw parameterError('the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw parameterError('the body must be a JSON object');
  return parsed as Params;
}

export class RestServer {
  readonly server: Server;
  readonly #options: RestServerOptions;
  readonly #held = new Set<ServerResponse>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(options: RestServerOptions) {
    this.#options = options;
    this.server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        options.logger.error({ error: error instanceof Error ? error.message : String(error) }, 'request failed');
        writeText(response, 500, 'internal error');
      });
    });
    this.server.keepAliveTimeout = 5_000;
  }

  /** Drops held answers and open connections, so the server closes at once. */
  closeConnections(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const response of this.#held) response.destroy();
    this.#held.clear();
    this.server.closeAllConnections();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url ?? '/';
    const questionMark = url.indexOf('?');
    const path = questionMark < 0 ? url : url.slice(0, questionMark);
    // The query exactly as received: it is what the client signed (encoded by bybit-api, raw by ccxt).
    const rawQuery = questionMark < 0 ? '' : url.slice(questionMark + 1);
    const method = request.method ?? 'GET';
    const body = method === 'GET' ? '' : await readBody(request);
    if (body === null) {
      writeText(response, 413, 'request body too large');
      return;
    }
    if (path.startsWith('/standin/')) {
      this.#options.admin(request, response, body);
      return;
    }
    const routeKey = `${method} ${path}`;
    const route = this.#options.routes[routeKey];
    const now = this.#options.wallClock.now();
    if (route === undefined) {
      write(response, { status: 404, envelope: errorEnvelope(new BybitError('ROUTE_NOT_FOUND', `${routeKey} is not served by the stand-in`), now), headers: {} });
      return;
    }
    let key: ApiKey | null = null;
    try {
      key = this.#authenticate(route, request, rawQuery, body, now);
    } catch (error) {
      this.#respond(response, this.#failure(error, now, {}), routeKey, null);
      return;
    }
    const uid = key?.uid ?? 0;
    const faultUid = key === null ? null : uid;
    const before = this.#options.faults.takeRestBefore(routeKey, faultUid);
    if (before !== null && this.#faultBeforeProcessing(before, response, routeKey, uid, now)) return;
    const outcome = this.#process(route, routeKey, key, uid, method, rawQuery, body, now);
    const after = this.#options.faults.takeRestAfter(routeKey, faultUid, outcome.status === 200 && outcome.envelope.retCode === 0);
    if (after !== null) this.#faultAfterProcessing(after, response, outcome, routeKey, faultUid);
    else this.#respond(response, outcome, routeKey, faultUid);
  }

  #authenticate(route: Route, request: IncomingMessage, rawQuery: string, rawBody: string, now: number): ApiKey | null {
    if (route.access === 'public') return null;
    const signed = { method: request.method ?? 'GET', headers: request.headers, rawQuery, rawBody };
    const authentication = readAuthentication(signed);
    const key = this.#options.exchange.accounts.keyOf(authentication.apiKey);
    if (key === undefined) throw new BybitError('INVALID_API_KEY');
    if (!ipAllowed(key, request.socket.remoteAddress)) throw new BybitError('IP_NOT_ALLOWED');
    checkTimestamp(authentication.timestamp, authentication.recvWindow, now);
    checkRestSignature(signed, authentication, key);
    if (route.access === 'trade' && !canTrade(key)) throw new BybitError('PERMISSION_DENIED', 'the key may not trade (read-only, or no ContractTrade Order permission)');
    if (route.access === 'master' && (!this.#options.exchange.accounts.isMasterKey(key) || key.readOnly === 1)) {
      throw new BybitError('PERMISSION_DENIED', "only the master UID's read-write key may do this");
    }
    return key;
  }

  #process(route: Route, routeKey: string, key: ApiKey | null, uid: number, method: string, rawQuery: string, body: string, now: number): Outcome {
    const { exchange, market, limiter, clock } = this.#options;
    let limit: LimitState | null = null;
    if (key !== null && route.limitsItself !== true) {
      const admission = limiter.admit(uid, routeKey, now);
      limit = admission;
      if (admission !== null && admission.granted === 0) return this.#failure(new BybitError('TOO_MANY_VISITS'), now, limitHeaders(admission));
    }
    let result: RouteResult;
    try {
      const params = parseParams(method, rawQuery, body);
      result = route.handle({ exchange, market, params, key, uid, now, marketNow: clock.now(), limiter, route: routeKey });
    } catch (error) {
      return this.#failure(error, now, limit === null ? {} : limitHeaders(limit));
    }
    const state = result.limit === undefined ? limit : result.limit;
    return { status: 200, envelope: okEnvelope(result.result, now, result.retExtInfo ?? {}), headers: state === null ? {} : limitHeaders(state) };
  }

  #failure(error: unknown, now: number, headers: Record<string, string>): Outcome {
    if (error instanceof BybitError) return { status: error.httpStatus, envelope: errorEnvelope(error, now), headers };
    this.#options.logger.error({ error: error instanceof Error ? error.message : String(error) }, 'handler failed');
    return { status: 200, envelope: errorEnvelope(new BybitError('INTERNAL_ERROR'), now), headers };
  }

  #respond(response: ServerResponse, outcome: Outcome, routeKey: string, uid: number | null): void {
    this.#options.logger.debug({ route: routeKey, uid, status: outcome.status, retCode: outcome.envelope.retCode }, 'request');
    write(response, outcome);
  }

  /** Faults that answer instead of the exchange; true when the request is answered. */
  #faultBeforeProcessing(fault: FaultSpec, response: ServerResponse, routeKey: string, uid: number, now: number): boolean {
    const { logger, limiter } = this.#options;
    if (fault.kind === 'rate-limit-burst') {
      logger.info({ route: routeKey, uid, status: fault.status ?? 200 }, 'fault: rate limit burst');
      if (fault.status === 429) writeText(response, 429, 'Too Many Requests');
      else if (fault.status === 403) writeText(response, 403, 'access too frequent');
      else {
        const limit = limiter.limitOf(routeKey) ?? 10;
        write(response, { status: 200, envelope: errorEnvelope(new BybitError('TOO_MANY_VISITS'), now), headers: limitHeaders({ limit, remaining: 0, resetAt: now + 1_000 }) });
      }
      return true;
    }
    if (fault.kind === 'http-5xx' && fault.processed !== true) {
      logger.info({ route: routeKey, uid, status: fault.status ?? 503 }, 'fault: HTTP 5xx before processing');
      writeText(response, fault.status ?? 503, 'Service Unavailable');
      return true;
    }
    return false;
  }

  #faultAfterProcessing(fault: FaultSpec, response: ServerResponse, outcome: Outcome, routeKey: string, uid: number | null): void {
    const { logger } = this.#options;
    switch (fault.kind) {
      case 'accept-then-timeout':
        logger.info({ route: routeKey, uid, retCode: outcome.envelope.retCode, destroy: fault.destroy === true }, 'fault: carried out, answer withheld');
        if (fault.destroy === true) {
          response.destroy();
          return;
        }
        this.#held.add(response);
        response.on('close', () => this.#held.delete(response));
        return;
      case 'http-5xx':
        logger.info({ route: routeKey, uid, status: fault.status ?? 503 }, 'fault: HTTP 5xx after processing');
        writeText(response, fault.status ?? 503, 'Service Unavailable');
        return;
      case 'slow': {
        const delayMs = fault.delayMs ?? 2_000;
        logger.info({ route: routeKey, uid, delayMs }, 'fault: slow answer');
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          this.#respond(response, outcome, routeKey, uid);
        }, delayMs);
        this.#timers.add(timer);
        return;
      }
      default:
        this.#respond(response, outcome, routeKey, uid);
    }
  }
}
