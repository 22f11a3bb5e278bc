import { createRequire } from 'node:module';
import { ConfigurationError, InvalidInputError } from '../../core/errors.ts';
import { ErrorReply } from '../control/api-schema.ts';
import type { ControlEndpoint } from '../control/endpoint.ts';
import type { ControlErrorCode } from '../control/fleet-control.ts';
import { controlEndpointPath, controlTokenPath, readControlEndpoint, readControlToken } from '../control/endpoint.ts';
import { AuthenticationError, CliFailure, ControlApiError, EXIT_CODES, SupervisorUnreachableError } from './exit-codes.ts';

// Required, not imported: an ES import of node:http builds a facade over all its exports, which loads undici
// for its WebSocket getter and costs every CLI run ~25 ms, the kill switch's included.
const { request } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

/**
 * The CLI's side of the control API: finds the supervisor through run/control.json, checks that its pid is alive,
 * and sends requests to 127.0.0.1 with the bearer token. Every failure becomes a CliFailure with the exit code
 * the operator's scripts expect.
 */

export interface ControlClient {
  /** The reply is typed by the caller: it comes from this codebase's own server, and --json passes it on untouched. */
  get<T>(path: string, query?: Readonly<Record<string, string | number | undefined>>): Promise<T>;
  post<T>(path: string, body: object): Promise<T>;
}

/** Long enough for a kill --flatten across the fleet; a reply later than this leaves the outcome unknown. */
const REQUEST_TIMEOUT_MS = 60_000;
const START_HINT = 'start it with "npm start", or pass --home (or set FLOTILLA_HOME) to the home of the supervisor that runs';

export function connectToSupervisor(home: string, timeoutMs = REQUEST_TIMEOUT_MS): ControlClient {
  let endpoint: ControlEndpoint | null;
  try {
    endpoint = readControlEndpoint(home);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new SupervisorUnreachableError(`cannot find the supervisor: ${error.message}`);
    throw error;
  }
  if (endpoint === null) {
    throw new SupervisorUnreachableError(`the supervisor is not running: ${controlEndpointPath(home)} does not exist; ${START_HINT}`);
  }
  if (!isAlive(endpoint.pid)) {
    throw new SupervisorUnreachableError(
      `the supervisor is not running: ${controlEndpointPath(home)} names pid ${endpoint.pid}, which has exited (the file is stale); ${START_HINT}`,
    );
  }
  let token: string | null;
  try {
    token = readControlToken(home);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new AuthenticationError(error.message);
    throw error;
  }
  if (token === null) {
    throw new AuthenticationError(
      `no control token at ${controlTokenPath(home)}; run as the user that runs the supervisor, with the same --home or FLOTILLA_HOME`,
    );
  }
  const port = endpoint.port;
  const secret = token;
  const call = <T>(method: 'GET' | 'POST', path: string, body: object | null): Promise<T> =>
    send(port, secret, method, path, body, timeoutMs, home) as Promise<T>;
  return {
    get: (path, query = {}) => call('GET', withQuery(path, query), null),
    post: (path, body) => call('POST', path, body),
  };
}

function withQuery(path: string, query: Readonly<Record<string, string | number | undefined>>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** Signal 0 checks existence only; EPERM means the pid is alive but owned by someone else. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EPERM';
  }
}

function send(port: number, token: string, method: 'GET' | 'POST', path: string, body: object | null, timeoutMs: number, home: string): Promise<unknown> {
  const payload = body === null ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        timeout: timeoutMs,
        // One request per CLI run: no pooled socket to linger after the answer.
        agent: false,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(new CliFailure(EXIT_CODES.FAILED, `the connection to the supervisor broke: ${error.message}`)));
        response.on('end', () => {
          try {
            resolve(interpret(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), home));
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    outgoing.on('timeout', () => {
      outgoing.destroy(
        new CliFailure(
          EXIT_CODES.FAILED,
          `the supervisor did not answer within ${Math.round(timeoutMs / 1000)}s; the operation may still complete, check with "supervisor status"`,
        ),
      );
    });
    outgoing.on('error', (error) => reject(networkFailure(error, port)));
    outgoing.end(payload);
  });
}

function networkFailure(error: Error, port: number): CliFailure {
  if (error instanceof CliFailure) return error;
  const code = 'code' in error ? error.code : undefined;
  if (code === 'ECONNREFUSED') {
    return new SupervisorUnreachableError(`the supervisor is not reachable: nothing accepts connections on 127.0.0.1:${port}; it may be starting or may have crashed; ${START_HINT}`);
  }
  return new CliFailure(EXIT_CODES.FAILED, `the request to the supervisor failed: ${error.message}`);
}

function interpret(status: number, text: string, home: string): unknown {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CliFailure(EXIT_CODES.FAILED, `the supervisor sent a reply that is not JSON (HTTP ${status}); is something else listening on its port?`);
  }
  if (status >= 200 && status < 300) return data;
  if (status === 401) {
    throw new AuthenticationError(
      `the supervisor refused the token in ${controlTokenPath(home)}; it belongs to another supervisor home: pass the --home the supervisor runs with, or restart the supervisor`,
    );
  }
  const reply = ErrorReply.safeParse(data);
  if (!reply.success) throw new CliFailure(EXIT_CODES.FAILED, `the supervisor sent an error reply this CLI does not understand (HTTP ${status})`);
  const { code, message } = reply.data.error;
  throw new ControlApiError(status, code, explain(code, message));
}

function explain(code: ControlErrorCode, message: string): string {
  if (code === 'UNKNOWN_BOT') return `${message}; "supervisor bots" lists the bot ids`;
  if (code === 'INTERNAL') return `the supervisor failed: ${message}`;
  return `the supervisor refused: ${message}`;
}
