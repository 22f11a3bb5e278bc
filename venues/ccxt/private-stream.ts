import type { Exchange, Order, Trade } from 'ccxt';
import type { Clock } from '../../core/clock.ts';
import type { SubAccountId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { VenueConnectionEvent } from '../../core/venue.ts';
import type { Redactor } from '../bybit/redact.ts';
import type { CcxtTimeouts } from './config.ts';
import { describeError } from './outcomes.ts';
import type { ExchangeProfile } from './profiles.ts';

/**
 * One sub-account's private stream through ccxt.pro: watchOrders and watchMyTrades, each a loop that awaits the
 * next batch of updates. ccxt rejects every pending watch when the socket drops, and the next watch dials again:
 * the loops wait (reconnectMinMs, doubling to reconnectMaxMs, without end; ccxt's own backoff is turned off so the
 * wait is this one) and watch again. Connection events: DISCONNECTED when the stream drops; CONNECTED once the
 * exchange has confirmed every subscription again (the profile recognises the confirmation, seen by wrapping the
 * client's message handler), then the venue's gap-fill from REST runs and RESYNCED follows it. Positions and the
 * balance are read from REST when asked: their streams are not needed.
 */

const WATCHES = ['watchOrders', 'watchMyTrades'] as const;

export interface StreamHandlers {
  onOrders(subAccountId: SubAccountId, orders: Order[]): void;
  onTrades(subAccountId: SubAccountId, trades: Trade[]): void;
  onConnection(event: VenueConnectionEvent): void;
  /** Fills what the stream missed while it was down, from REST; the stream says RESYNCED once it has. */
  resync(subAccountId: SubAccountId, downSince: number): Promise<void>;
}

export interface PrivateStreamOptions {
  subAccountId: SubAccountId;
  client: Exchange;
  profile: ExchangeProfile;
  timeouts: CcxtTimeouts;
  handlers: StreamHandlers;
  clock: Clock;
  logger: Logger;
  redactor: Redactor;
}

type State = 'CONNECTING' | 'CONNECTED' | 'DISCONNECTED' | 'STOPPED';

export class PrivateStream {
  readonly #options: PrivateStreamOptions;
  readonly #logger: Logger;
  #state: State = 'CONNECTING';
  /** Counts the times the stream has been subscribed, so each loop knows when its backoff starts over. */
  #generation = 0;
  /** Subscriptions the exchange has confirmed on the current connection. */
  #confirmed = 0;
  #downSince: number | null = null;
  #firstConnected: () => void = () => {};
  /** Resolves when the stream is first subscribed (or stopped). */
  readonly connected: Promise<void>;

  constructor(options: PrivateStreamOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ subAccountId: options.subAccountId, stream: 'private' });
    this.connected = new Promise((resolve) => (this.#firstConnected = resolve));
    const client = options.client;
    client.options = { ...client.options, ws: { ...(client.options['ws'] as object | undefined), backoff: { base: 0 } } };
    // ccxt binds the handler when it creates a connection, so the wrapper sees every message of every connection.
    const handle = client.handleMessage.bind(client);
    client.handleMessage = (connection: unknown, message: unknown): unknown => {
      if (options.profile.subscribed(message)) this.#subscriptionConfirmed();
      return handle(connection, message);
    };
  }

  get state(): State {
    return this.#state;
  }

  open(): void {
    for (const watch of WATCHES) void this.#loop(watch);
  }

  /** Stops both loops and closes the sockets: no event and no update is handled after this. */
  close(): Promise<void> {
    this.#state = 'STOPPED';
    this.#firstConnected();
    return this.#options.client.close().then(
      () => undefined,
      () => undefined,
    );
  }

  async #loop(watch: (typeof WATCHES)[number]): Promise<void> {
    const { client, subAccountId, handlers, timeouts } = this.#options;
    let delayMs = timeouts.reconnectMinMs;
    let generation = this.#generation;
    while (!this.#stopped()) {
      let batch: Array<Order | Trade>;
      try {
        batch = watch === 'watchOrders' ? await client.watchOrders() : await client.watchMyTrades();
      } catch (error) {
        if (this.#stopped()) return;
        // Each failed attempt doubles the wait before the next, without end: the stream is never given up.
        if (generation !== this.#generation) {
          generation = this.#generation;
          delayMs = timeouts.reconnectMinMs;
        }
        this.#dropped(describeError(error, this.#options.redactor), delayMs);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, timeouts.reconnectMaxMs);
        continue;
      }
      if (this.#stopped()) return;
      try {
        if (watch === 'watchOrders') handlers.onOrders(subAccountId, batch as Order[]);
        else handlers.onTrades(subAccountId, batch as Trade[]);
      } catch (error) {
        // An update that cannot be read is skipped: what it said is found again by the gap-fill and reconciliation.
        this.#logger.error({ watch, error: describeError(error, this.#options.redactor) }, 'a private update could not be read; it is left to reconciliation');
      }
    }
  }

  #stopped(): boolean {
    return this.#state === 'STOPPED';
  }

  #dropped(detail: string, nextAttemptMs: number): void {
    this.#confirmed = 0;
    if (this.#state === 'DISCONNECTED') return;
    const first = this.#state === 'CONNECTING';
    this.#state = 'DISCONNECTED';
    if (!first) this.#downSince ??= this.#options.clock.now();
    this.#logger.warn({ nextAttemptMs }, `the private stream dropped; reconnecting (${detail})`);
    this.#connection({ type: 'DISCONNECTED', subAccountId: this.#options.subAccountId, at: this.#options.clock.now(), detail });
  }

  #subscriptionConfirmed(): void {
    if (this.#state === 'STOPPED' || this.#state === 'CONNECTED') return;
    this.#confirmed++;
    if (this.#confirmed < WATCHES.length) return;
    this.#state = 'CONNECTED';
    this.#generation++;
    this.#logger.info({}, 'private stream subscribed');
    const { subAccountId } = this.#options;
    this.#connection({ type: 'CONNECTED', subAccountId, at: this.#options.clock.now() });
    this.#firstConnected();
    const downSince = this.#downSince;
    if (downSince === null) return;
    void this.#options.handlers.resync(subAccountId, downSince).then(
      () => {
        if (this.#state !== 'CONNECTED') return;
        this.#downSince = null;
        this.#connection({ type: 'RESYNCED', subAccountId, at: this.#options.clock.now() });
      },
      (error: unknown) => this.#logger.warn({ error: describeError(error, this.#options.redactor) }, 'the gap-fill after a reconnect failed; reconciliation on CONNECTED covers it'),
    );
  }

  #connection(event: VenueConnectionEvent): void {
    if (this.#state === 'STOPPED') return;
    this.#options.handlers.onConnection(event);
  }
}
