import { createHmac } from 'node:crypto';
import { WebsocketClient } from 'bybit-api';
import type { Clock } from '../../core/clock.ts';
import type { SubAccountId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { VenueConnectionEvent } from '../../core/venue.ts';
import type { BybitCredentials, BybitEndpoints, BybitTimeouts } from './config.ts';
import type { Redactor } from './redact.ts';

/**
 * One sub-account's private WebSocket (order, execution, position and wallet topics) on bybit-api's
 * WebsocketClient, which authenticates, pings, and on a drop reconnects, authenticates and subscribes again. This
 * module adds what Flotilla needs on top: a reconnect delay that doubles on every failed attempt (up to a maximum,
 * without end), and connection events. DISCONNECTED when the stream drops (reports may be missing from then on);
 * CONNECTED once it is subscribed again (reports flow; what was missed must be gap-filled from REST before the
 * sub-account trades: the fleet's reconciliation does that on CONNECTED, so this adapter never says RESYNCED).
 */

export const PRIVATE_TOPICS = ['order', 'execution', 'position', 'wallet'];

export interface StreamHandlers {
  /** The data of one push of the order topic (an order's states, oldest first). */
  onOrders(subAccountId: SubAccountId, data: unknown[]): void;
  onExecutions(subAccountId: SubAccountId, data: unknown[]): void;
  onConnection(event: VenueConnectionEvent): void;
}

export interface PrivateStreamOptions {
  subAccountId: SubAccountId;
  credentials: BybitCredentials;
  endpoints: BybitEndpoints;
  timeouts: BybitTimeouts;
  handlers: StreamHandlers;
  clock: Clock;
  logger: Logger;
  redactor: Redactor;
}

/** bybit-api's reconnect delay is an option it reads at each reconnect; it is private in its typings. */
interface ReconnectOptions {
  options: { reconnectTimeout: number };
}

type State = 'CONNECTING' | 'CONNECTED' | 'DISCONNECTED' | 'STOPPED';

function sign(message: string, secret: string): Promise<string> {
  return Promise.resolve(createHmac('sha256', secret).update(message).digest('hex'));
}

/** bybit-api's logger, kept quiet and scrubbed: its trace level prints outgoing messages, the auth message included. */
export function streamLogger(logger: Logger, redactor: Redactor): { trace: (...params: unknown[]) => void; info: (...params: unknown[]) => void; error: (...params: unknown[]) => void } {
  const line = (params: unknown[]): string => redactor.scrub(typeof params[0] === 'string' ? params[0] : 'websocket event');
  return {
    trace: () => {},
    info: (...params) => logger.debug({}, line(params)),
    error: (...params) => logger.debug({}, line(params)),
  };
}

export class PrivateStream {
  readonly #options: PrivateStreamOptions;
  readonly #client: WebsocketClient;
  readonly #logger: Logger;
  #state: State = 'CONNECTING';
  #delayMs: number;
  #firstConnected: () => void = () => {};
  /** Resolves when the stream is first subscribed (or stopped). */
  readonly connected: Promise<void>;

  constructor(options: PrivateStreamOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ subAccountId: options.subAccountId, stream: 'private' });
    this.#delayMs = options.timeouts.reconnectMinMs;
    this.connected = new Promise((resolve) => (this.#firstConnected = resolve));
    this.#client = new WebsocketClient(
      {
        key: options.credentials.key,
        secret: options.credentials.secret,
        ...options.endpoints.privateStream,
        recvWindow: options.timeouts.recvWindowMs,
        reconnectTimeout: this.#delayMs,
        pingInterval: 10_000,
        // Any message clears the pong timer; a loaded machine can take more than bybit-api's default second.
        pongTimeout: 5_000,
        customSignMessageFn: sign,
      },
      streamLogger(this.#logger, options.redactor),
    );
    this.#client.on('update', (message: unknown) => this.#update(message));
    this.#client.on('response', (message: unknown) => this.#response(message));
    this.#client.on('reconnect', () => this.#dropped('the private stream dropped; reconnecting'));
    this.#client.on('exception', (message: unknown) => this.#exception(message));
  }

  get state(): State {
    return this.#state;
  }

  /** Opens the socket and subscribes; bybit-api keeps it open from then on. */
  open(): void {
    void Promise.allSettled(this.#client.subscribeV5(PRIVATE_TOPICS, 'linear', true));
  }

  /** The offset to Bybit's clock, for the auth signature's expiry. */
  setOffset(offsetMs: number): void {
    this.#client.setTimeOffsetMs(offsetMs);
  }

  /** Closes the stream for good: no event and no push is handled after this. */
  close(): void {
    this.#state = 'STOPPED';
    this.#firstConnected();
    this.#client.removeAllListeners();
    this.#client.closeAll(true);
  }

  #setDelay(ms: number): void {
    this.#delayMs = ms;
    (this.#client as unknown as ReconnectOptions).options.reconnectTimeout = ms;
  }

  #connection(event: VenueConnectionEvent): void {
    if (this.#state === 'STOPPED') return;
    this.#options.handlers.onConnection(event);
  }

  #dropped(detail: string): void {
    if (this.#state === 'STOPPED') return;
    // Each failed attempt doubles the wait before the next, without end: the stream is never given up.
    this.#setDelay(Math.min(this.#delayMs * 2, this.#options.timeouts.reconnectMaxMs));
    if (this.#state === 'DISCONNECTED') return;
    this.#state = 'DISCONNECTED';
    this.#logger.warn({ nextAttemptMs: this.#delayMs }, detail);
    this.#connection({ type: 'DISCONNECTED', subAccountId: this.#options.subAccountId, at: this.#options.clock.now(), detail });
  }

  #response(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const { op, success } = message as { op?: unknown; success?: unknown };
    if (op !== 'subscribe' || success !== true || this.#state === 'CONNECTED' || this.#state === 'STOPPED') return;
    this.#state = 'CONNECTED';
    this.#setDelay(this.#options.timeouts.reconnectMinMs);
    this.#logger.info({}, 'private stream subscribed');
    this.#connection({ type: 'CONNECTED', subAccountId: this.#options.subAccountId, at: this.#options.clock.now() });
    this.#firstConnected();
  }

  #update(message: unknown): void {
    if (this.#state === 'STOPPED' || typeof message !== 'object' || message === null) return;
    const { topic, data } = message as { topic?: unknown; data?: unknown };
    if (typeof topic !== 'string') return;
    const rows = Array.isArray(data) ? data : data === undefined ? [] : [data];
    const base = topic.split('.')[0];
    try {
      if (base === 'order') this.#options.handlers.onOrders(this.#options.subAccountId, rows);
      else if (base === 'execution') this.#options.handlers.onExecutions(this.#options.subAccountId, rows);
      // Positions and the wallet are read from REST when asked; their pushes are not needed.
    } catch (error) {
      // A push that cannot be read is skipped: what it said is found again by reconciliation.
      this.#logger.error({ topic, error: this.#options.redactor.scrub(error instanceof Error ? error.message : String(error)) }, 'a private push could not be read; it is left to reconciliation');
    }
  }

  #exception(message: unknown): void {
    if (this.#state === 'STOPPED') return;
    // bybit-api hands a refused request (auth, subscribe) to its exception event.
    const { op, success, ret_msg: retMsg } = (typeof message === 'object' && message !== null ? message : {}) as { op?: unknown; success?: unknown; ret_msg?: unknown };
    if ((op === 'auth' || op === 'subscribe') && success === false) {
      const what = op === 'auth' ? 'authentication: check the sub-account key and the environment' : 'subscription';
      this.#logger.error({ reason: this.#options.redactor.scrub(String(retMsg ?? '')) }, `Bybit refused the private stream ${what}`);
      return;
    }
    const text = typeof message === 'object' && message !== null && typeof (message as { message?: unknown }).message === 'string' ? (message as { message: string }).message : 'websocket exception';
    this.#logger.debug({ error: this.#options.redactor.scrub(text) }, 'private stream exception');
  }
}
