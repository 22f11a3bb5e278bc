import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { ConfigurationError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { listenError } from '../config/listen-error.ts';
import { MAX_BODY_BYTES } from './api-schema.ts';
import type { ErrorReply } from './api-schema.ts';
import { ControlError } from './fleet-control.ts';
import type { ControlErrorCode, FleetControl } from './fleet-control.ts';
import { matchRoute } from './routes.ts';

/**
 * The control API: FleetControl over HTTP on a loopback address, JSON in and out, every request authenticated
 * with the bearer token from control.token. The token is compared in constant time and is never logged or echoed.
 */

export interface ControlServerOptions {
  control: FleetControl;
  token: string;
  /** A loopback address; the API carries a bearer token in clear text, so it never listens on a network. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  logger: Logger;
}

export interface ControlServer {
  port: number;
  /** Stops accepting connections and resolves once requests in flight have been answered. */
  close(): Promise<void>;
}

const MIN_TOKEN_LENGTH = 32;
/** Bounds a client that opens a request and never finishes it. */
const REQUEST_TIMEOUT_MS = 30_000;

const STATUS_FOR_CODE: Record<ControlErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  UNKNOWN_BOT: 404,
  CONFLICT: 409,
  INTERNAL: 500,
};

/** A refusal raised by the HTTP layer itself, with an HTTP status finer than the error code (404, 405, 413, 415). */
class HttpRefusal extends Error {
  override name = 'HttpRefusal';
  readonly status: number;
  readonly code: ControlErrorCode;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, code: ControlErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) throw new ConfigurationError(`control API host must be a loopback address (127.0.0.1, ::1 or localhost), got ${JSON.stringify(host)}`);
  if (options.token.length < MIN_TOKEN_LENGTH) throw new ConfigurationError(`control token must be at least ${MIN_TOKEN_LENGTH} characters`);
  const expected = digest(options.token);
  const { control, logger } = options;

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error({ error: describe(error) }, 'control request failed after its reply started');
      response.destroy();
    });
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://control.invalid');
    let status: number;
    try {
      if (!authorized(request.headers.authorization, expected)) {
        logger.warn({ method, path: url.pathname, remoteAddress: request.socket.remoteAddress }, 'control request refused: bad or missing bearer token');
        throw new HttpRefusal(401, 'UNAUTHORIZED', 'missing or wrong bearer token; send "Authorization: Bearer <token from control.token>"', {
          'WWW-Authenticate': 'Bearer',
        });
      }
      const match = matchRoute(method, url.pathname);
      if (match.kind === 'none') throw new HttpRefusal(404, 'BAD_REQUEST', `no such endpoint: ${method} ${url.pathname}`);
      if (match.kind === 'wrong-method') {
        throw new HttpRefusal(405, 'BAD_REQUEST', `${url.pathname} accepts ${match.allowed.join(', ')}, not ${method}`, { Allow: match.allowed.join(', ') });
      }
      if (match.route.method === 'POST' && url.search !== '') throw new HttpRefusal(400, 'BAD_REQUEST', `${url.pathname} takes its arguments in the JSON body, not the query string`);
      const body = match.route.method === 'POST' ? await readJsonBody(request) : {};
      const result = await match.route.handle(control, { params: match.params, query: url.searchParams, body });
      status = 200;
      send(response, status, result ?? null);
    } catch (error) {
      status = replyWithError(response, error);
      if (status === 500) logger.error({ method, path: url.pathname, error: describe(error) }, 'control request failed');
    }
    const fields = { method, path: url.pathname, status, durationMs: Math.round(performance.now() - started) };
    // Changes to the fleet are an operator's audit trail; reads are noise at info level.
    if (method === 'POST' && status < 400) logger.info(fields, 'control request');
    else logger.debug(fields, 'control request');
  }

  await new Promise<void>((resolve, reject) => {
    const refused = (error: unknown): void => reject(listenError(error, 'control.port', host, options.port ?? 0));
    server.once('error', refused);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', refused);
      resolve();
    });
  });
  server.on('error', (error) => logger.error({ error: describe(error) }, 'control server error'));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('control server is not listening on a TCP port');
  logger.info({ host, port: address.port }, 'control API listening');

  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeIdleConnections();
      }),
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Both sides are hashed first, so the comparison takes the same time whatever the presented token's length. */
function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header ?? '');
  const presented = digest(match?.[1] ?? '');
  return timingSafeEqual(presented, expected) && match !== null;
}

function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        refused = true;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      if (refused) return;
      try {
        resolve(parseBody(Buffer.concat(chunks).toString('utf8'), request.headers['content-type']));
      } catch (error) {
        reject(error);
      }
    });
  });
}

function tooLarge(): HttpRefusal {
  return new HttpRefusal(413, 'BAD_REQUEST', `request body is larger than ${MAX_BODY_BYTES} bytes`, { Connection: 'close' });
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text.trim() === '') return {};
  if (!/^application\/json\s*(;|$)/i.test(contentType ?? '')) {
    throw new HttpRefusal(415, 'BAD_REQUEST', 'request body must be JSON sent with "Content-Type: application/json"');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpRefusal(400, 'BAD_REQUEST', 'request body is not valid JSON');
  }
}

/** Answers with the error's code; anything that is not a deliberate refusal becomes a generic 500 whose detail stays in the log. */
function replyWithError(response: ServerResponse, error: unknown): number {
  let status = 500;
  let reply: ErrorReply = { error: { code: 'INTERNAL', message: 'the supervisor failed to handle this request; see its log' } };
  let headers: Readonly<Record<string, string>> = {};
  if (error instanceof HttpRefusal) {
    status = error.status;
    reply = { error: { code: error.code, message: error.message } };
    headers = error.headers;
  } else if (error instanceof ControlError && error.code !== 'INTERNAL') {
    status = STATUS_FOR_CODE[error.code];
    reply = { error: { code: error.code, message: error.message } };
  }
  send(response, status, reply, headers);
  return status;
}

function send(response: ServerResponse, status: number, data: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const body = `${JSON.stringify(data)}\n`;
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  response.end(body);
}

function describe(error: unknown): { name: string; message: string; stack?: string } {
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }) };
  return { name: typeof error, message: String(error) };
}
