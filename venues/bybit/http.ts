import { createHmac } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { RestClientV5 } from 'bybit-api';
import { TemporaryVenueError, VenueReplyError } from '../../core/errors.ts';
import type { SubAccountId } from '../../core/ids.ts';
import type { BybitCredentials, BybitEndpoints, BybitTimeouts } from './config.ts';
import { classifyFailure, type Redactor, type TransportFailure } from './redact.ts';

/**
 * The HTTP layer: one bybit-api RestClientV5 per sub-account (and one without a key for public data), signing with
 * node:crypto, timestamps corrected by the measured offset to Bybit's server time, and every failure turned into a
 * Reply or a TransportError that carries nothing but a scrubbed sentence. Rate limits and retries live in the
 * request lane (rate-limit.ts) and the commands (orders.ts); this layer sends one request and says what came back.
 */

/** Bybit's X-Bapi-Limit headers, as bybit-api parses them on HTTP 200 (resetAt in Bybit's time). */
export interface LimitHeader {
  limit: number;
  remaining: number;
  resetAt: number;
}

/** An HTTP 200 reply: Bybit's envelope. */
export interface Reply {
  retCode: number;
  retMsg: string;
  result: unknown;
  retExtInfo: unknown;
  limit: LimitHeader | null;
}

/** The request failed on the wire; `failure` says whether it may have been carried out. */
export class TransportError extends TemporaryVenueError {
  override name = 'TransportError';
  readonly failure: TransportFailure;

  constructor(route: string, failure: TransportFailure) {
    super(`${route}: ${failure.detail}`);
    this.failure = failure;
  }
}

/** bybit-api signs with Date.now() + this offset; the field is private in its typings, so it is reached here only. */
interface SignedClock {
  timeOffset: number | null;
}

export type Invoke = (client: RestClientV5) => Promise<unknown>;

export interface BybitHttpOptions {
  endpoints: BybitEndpoints;
  timeouts: BybitTimeouts;
  redactor: Redactor;
}

function sign(message: string, secret: string): Promise<string> {
  // node:crypto is synchronous and several times faster than the Web Crypto path bybit-api uses by default.
  return Promise.resolve(createHmac('sha256', secret).update(message).digest('hex'));
}

export class BybitHttp {
  readonly #options: BybitHttpOptions;
  readonly #clients = new Map<SubAccountId, RestClientV5>();
  readonly #public: RestClientV5;
  readonly #httpAgent = new HttpAgent({ keepAlive: true });
  readonly #httpsAgent = new HttpsAgent({ keepAlive: true });
  /** Bybit's server time minus ours, in ms; applied to every signature. */
  #offsetMs = 0;
  #synced: Promise<void> | null = null;
  readonly #offsetListeners = new Set<(offsetMs: number) => void>();

  constructor(options: BybitHttpOptions) {
    this.#options = options;
    this.#public = this.#client(undefined);
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** Told of every new offset (the private streams sign their auth with it too). */
  onOffset(listener: (offsetMs: number) => void): void {
    this.#offsetListeners.add(listener);
  }

  addAccount(subAccountId: SubAccountId, credentials: BybitCredentials): void {
    this.#options.redactor.add(credentials.key, credentials.secret);
    const client = this.#client(credentials);
    (client as unknown as SignedClock).timeOffset = this.#offsetMs;
    this.#clients.set(subAccountId, client);
  }

  hasAccount(subAccountId: SubAccountId): boolean {
    return this.#clients.has(subAccountId);
  }

  /** Our wall clock in Bybit's time. */
  venueNow(): number {
    return Date.now() + this.#offsetMs;
  }

  /** A Bybit time (a rate-limit reset) on our wall clock. */
  toLocal(venueMs: number): number {
    return venueMs - this.#offsetMs;
  }

  /**
   * Measures the offset to Bybit's server time (GET /v5/market/time). The server read its clock before answering,
   * so the offset is taken at the answer's arrival: a timestamp signed with it is never ahead of Bybit's clock,
   * which Bybit refuses beyond one second, and is behind by at most the reply's trip.
   */
  async syncClock(): Promise<number> {
    const reply = await this.call(null, 'GET /v5/market/time', (client) => client.getServerTime());
    if (reply.retCode !== 0) throw new TemporaryVenueError(`GET /v5/market/time: Bybit ${reply.retCode} (${this.#options.redactor.scrub(reply.retMsg)})`);
    const arrived = Date.now();
    const nano = (reply.result as { timeNano?: unknown } | null)?.timeNano;
    const second = (reply.result as { timeSecond?: unknown } | null)?.timeSecond;
    const serverMs = typeof nano === 'string' && /^\d{13,22}$/.test(nano) ? Number(BigInt(nano) / 1_000_000n) : typeof second === 'string' && /^\d+$/.test(second) ? Number(second) * 1000 : Number.NaN;
    if (!Number.isSafeInteger(serverMs)) throw new VenueReplyError('GET /v5/market/time: the reply carries no server time');
    this.#offsetMs = serverMs - arrived;
    for (const client of this.#clients.values()) (client as unknown as SignedClock).timeOffset = this.#offsetMs;
    for (const listener of this.#offsetListeners) listener(this.#offsetMs);
    return this.#offsetMs;
  }

  /** Resolves once the clock has been measured at least once; shared by every caller. */
  ensureSynced(): Promise<void> {
    this.#synced ??= this.syncClock().then(
      () => undefined,
      (error: unknown) => {
        this.#synced = null;
        throw error;
      },
    );
    return this.#synced;
  }

  /**
   * Sends one request with the sub-account's client (or the public one for null) and returns Bybit's envelope;
   * throws TransportError for anything that is not an HTTP 200 envelope.
   */
  async call(subAccountId: SubAccountId | null, route: string, invoke: Invoke): Promise<Reply> {
    const client = subAccountId === null ? this.#public : this.#clients.get(subAccountId);
    if (client === undefined) throw new TemporaryVenueError(`${route}: the Bybit adapter holds no key for sub-account ${subAccountId}`);
    if (subAccountId !== null) await this.ensureSynced();
    let raw: unknown;
    try {
      raw = await invoke(client);
    } catch (thrown) {
      throw new TransportError(route, classifyFailure(thrown, this.#options.redactor));
    }
    return this.#envelope(route, raw);
  }

  /** Closes every kept-alive connection; requests in flight fail. */
  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }

  #envelope(route: string, raw: unknown): Reply {
    if (typeof raw !== 'object' || raw === null) throw new VenueReplyError(`${route}: the reply is not a JSON object`);
    const envelope = raw as Record<string, unknown>;
    const retCode = envelope['retCode'];
    if (typeof retCode !== 'number' || !Number.isSafeInteger(retCode)) throw new VenueReplyError(`${route}: the reply has no retCode`);
    const retMsg = typeof envelope['retMsg'] === 'string' ? this.#options.redactor.scrub(envelope['retMsg']) : '';
    const limits = envelope['rateLimitApi'] as { remainingRequests?: unknown; maxRequests?: unknown; resetAtTimestamp?: unknown } | undefined;
    const limit =
      limits !== undefined && Number.isFinite(limits.maxRequests) && Number.isFinite(limits.remainingRequests) && Number.isFinite(limits.resetAtTimestamp)
        ? { limit: Number(limits.maxRequests), remaining: Number(limits.remainingRequests), resetAt: Number(limits.resetAtTimestamp) }
        : null;
    return { retCode, retMsg, result: envelope['result'], retExtInfo: envelope['retExtInfo'], limit };
  }

  #client(credentials: BybitCredentials | undefined): RestClientV5 {
    const { endpoints, timeouts } = this.#options;
    return new RestClientV5(
      {
        ...(credentials === undefined ? {} : { key: credentials.key, secret: credentials.secret }),
        ...endpoints.rest,
        recv_window: timeouts.recvWindowMs,
        parseAPIRateLimits: true,
        // The adapter measures the offset itself and applies it; bybit-api's own sync runs a timer nobody stops.
        enable_time_sync: false,
        customSignMessageFn: sign,
      },
      { timeout: timeouts.requestMs, httpAgent: this.#httpAgent, httpsAgent: this.#httpsAgent },
    );
  }
}
