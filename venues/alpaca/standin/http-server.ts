import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Clock } from '../../../core/clock.ts';
import type { Logger } from '../../../core/logger.ts';
import type { BarBook } from './bars.ts';
import type { Account, Exchange } from './exchange.ts';
import type { FaultPlan, FaultSpec } from './faults.ts';
import { findRoute, REFUSED, type Route } from './routes.ts';
import { AlpacaError, ERROR_CODES, invalid, unauthorized, type Body } from './wire.ts';

/**
 * The REST side, trading and market data on one port: route lookup, the APCA-API-KEY-ID / APCA-API-SECRET-KEY
 * headers (one account per key pair), any scripted fault, the handler; answers are Alpaca's JSON, refusals its
 * `{code, message}` with the HTTP status. Requests under /standin/ go to the admin handler instead.
 */

export interface RestServerOptions {
  routes: readonly Route[];
  exchange: Exchange;
  bars: BarBook;
  faults: FaultPlan;
  /** Market time. */
  clock: Clock;
  logger: Logger;
  admin: (request: IncomingMessage, response: ServerResponse, body: string) => void;
}

interface Outcome {
  status: number;
  body: unknown;
}

const MAX_BODY_BYTES = 1 << 20;

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
  if (outcome.body === undefined) {
    response.writeHead(outcome.status);
    response.end();
    return;
  }
  const text = JSON.stringify(outcome.body);
  response.writeHead(outcome.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

function parseBody(text: string): Body {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('request body format is invalid');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('request body must be a JSON object');
  return parsed as Body;
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
        write(response, { status: 500, body: { code: 50010000, message: 'internal server error' } });
      });
    });
    this.server.keepAliveTimeout = 5_000;
  }

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
    // The raw path: /v2/orders:by_client_order_id keeps its colon.
    const path = questionMark < 0 ? url : url.slice(0, questionMark);
    const query = new URLSearchParams(questionMark < 0 ? '' : url.slice(questionMark + 1));
    const method = request.method ?? 'GET';
    const text = method === 'GET' || method === 'DELETE' ? '' : await readBody(request);
    if (text === null) {
      write(response, { status: 413, body: { code: 41310000, message: 'request body too large' } });
      return;
    }
    if (path.startsWith('/standin/')) {
      this.#options.admin(request, response, text);
      return;
    }
    const refused = REFUSED[`${method} ${path}`];
    const found = findRoute(this.#options.routes, method, path);
    if (refused !== undefined || found === null) {
      write(response, { status: refused === undefined ? 404 : 405, body: { code: refused === undefined ? ERROR_CODES.NOT_FOUND : ERROR_CODES.NOT_ALLOWED, message: refused ?? `${method} ${path} is not served by the stand-in` } });
      return;
    }
    let account: Account;
    try {
      account = this.#authenticate(request);
    } catch (error) {
      write(response, this.#failure(error));
      return;
    }
    const routeKey = `${method} ${found.route.template}`;
    const fault = this.#options.faults.takeRest(routeKey, account.id);
    if (fault?.kind === 'http-5xx' && fault.processed !== true) {
      this.#options.logger.info({ route: routeKey, status: fault.status ?? 503 }, 'fault: HTTP 5xx before processing');
      write(response, { status: fault.status ?? 503, body: { code: 50310000, message: 'service unavailable' } });
      return;
    }
    let outcome: Outcome;
    try {
      const body = parseBody(text);
      const result = found.route.handle({ exchange: this.#options.exchange, bars: this.#options.bars, account, query, body, params: found.params, now: this.#options.clock.now() });
      outcome = result === undefined ? { status: 204, body: undefined } : { status: 200, body: result };
    } catch (error) {
      outcome = this.#failure(error);
    }
    if (fault === null) write(response, outcome);
    else this.#faultAfterProcessing(fault, response, outcome, routeKey);
  }

  #authenticate(request: IncomingMessage): Account {
    const key = request.headers['apca-api-key-id'];
    const secret = request.headers['apca-api-secret-key'];
    if (typeof key !== 'string' || typeof secret !== 'string') throw unauthorized();
    const account = this.#options.exchange.authenticate(key, secret);
    if (account === null) throw unauthorized();
    return account;
  }

  #failure(error: unknown): Outcome {
    if (error instanceof AlpacaError) return { status: error.status, body: { ...error.extra, code: error.code, message: error.message } };
    this.#options.logger.error({ error: error instanceof Error ? error.message : String(error) }, 'handler failed');
    return { status: 500, body: { code: 50010000, message: 'internal server error' } };
  }

  #faultAfterProcessing(fault: FaultSpec, response: ServerResponse, outcome: Outcome, routeKey: string): void {
    const { logger } = this.#options;
    switch (fault.kind) {
      case 'accept-then-timeout':
        logger.info({ route: routeKey, status: outcome.status, destroy: fault.destroy === true }, 'fault: carried out, answer withheld');
        if (fault.destroy === true) {
          response.socket?.destroy();
          response.destroy();
          return;
        }
        this.#held.add(response);
        response.on('close', () => this.#held.delete(response));
        return;
      case 'http-5xx':
        logger.info({ route: routeKey, status: fault.status ?? 503 }, 'fault: HTTP 5xx after processing');
        write(response, { status: fault.status ?? 503, body: { code: 50310000, message: 'service unavailable' } });
        return;
      case 'slow': {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          write(response, outcome);
        }, fault.delayMs ?? 2_000);
        this.#timers.add(timer);
        return;
      }
      default:
        write(response, outcome);
    }
  }
}
