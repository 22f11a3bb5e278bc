import { TemporaryVenueError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { BybitTimeouts } from './config.ts';
import { TransportError, type LimitHeader, type Reply } from './http.ts';

/**
 * One sub-account's requests, in priority order, within Bybit's limits. Bybit limits each UID per endpoint (a
 * rolling second, told in X-Bapi-Limit headers) and each IP as a whole (HTTP 403) and sheds load with HTTP 429. A
 * lane follows the headers so that 10006 does not happen in normal operation; when it does (or a 403 or 429
 * comes), the request was not carried out, so it waits and goes again, in its place. When requests wait, the most
 * urgent go first: cancels (a kill switch's, a protective order's), then protective orders, then reads, then new
 * entries.
 */

export const PRIORITIES = ['CANCEL', 'PROTECT', 'READ', 'ENTRY'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** The request never reached Bybit in a form it carried out, and will not be sent: safe to report as not placed. */
export class NotSentError extends TemporaryVenueError {
  override name = 'NotSentError';
}

interface Job {
  readonly priority: number;
  readonly sequence: number;
  readonly route: string;
  readonly run: () => Promise<Reply>;
  /** Wall ms after which a job still waiting is refused rather than sent late; null waits as long as it takes. */
  readonly deadline: number | null;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: unknown) => void;
  refusals: number;
}

interface RouteState {
  /** From the last headers: what was left in the window, and when Bybit frees it (our wall clock). */
  remaining: number | null;
  resetAt: number;
  /** Requests sent since those headers, not yet answered. */
  inFlight: number;
  /** After a 10006: nothing on this route before then. */
  blockedUntil: number;
}

export interface LaneOptions {
  timeouts: BybitTimeouts;
  logger: Logger;
  /** A Bybit time on our wall clock. */
  toLocal: (venueMs: number) => number;
}

/** Requests of one sub-account in flight at once; more wait in the queue. */
const MAX_IN_FLIGHT = 16;

export class RequestLane {
  readonly #options: LaneOptions;
  // Bybit's windows and resets are wall-clock times.
  readonly #now = Date.now;
  readonly #queue: Job[] = [];
  readonly #routes = new Map<string, RouteState>();
  #inFlight = 0;
  #sequence = 0;
  /** After a 403 or 429: nothing on any route before then. */
  #blockedUntil = 0;
  #overloads = 0;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(options: LaneOptions) {
    this.#options = options;
  }

  /** Queues a request; resolves with Bybit's envelope, or rejects with TransportError (sent, outcome unknown) or NotSentError. */
  schedule(priority: Priority, route: string, run: () => Promise<Reply>, deadline: number | null = null): Promise<Reply> {
    if (this.#stopped) return Promise.reject(new NotSentError(`${route}: the Bybit adapter has stopped`));
    return new Promise<Reply>((resolve, reject) => {
      this.#queue.push({ priority: PRIORITIES.indexOf(priority), sequence: ++this.#sequence, route, run, deadline, resolve, reject, refusals: 0 });
      this.#sort();
      this.#pump();
    });
  }

  /** How many requests wait (for tests and metrics). */
  get waiting(): number {
    return this.#queue.length;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const job of this.#queue.splice(0)) job.reject(new NotSentError(`${job.route}: the Bybit adapter stopped before the request was sent`));
  }

  #sort(): void {
    this.#queue.sort((a, b) => a.priority - b.priority || a.sequence - b.sequence);
  }

  #route(route: string): RouteState {
    let state = this.#routes.get(route);
    if (state === undefined) {
      state = { remaining: null, resetAt: 0, inFlight: 0, blockedUntil: 0 };
      this.#routes.set(route, state);
    }
    return state;
  }

  /** When the route may send next (now or later). */
  #readyAt(state: RouteState, now: number): number {
    let at = Math.max(state.blockedUntil, this.#blockedUntil);
    if (state.remaining !== null && state.remaining - state.inFlight <= 0 && state.resetAt > now) at = Math.max(at, state.resetAt);
    return at;
  }

  #pump(): void {
    if (this.#stopped) return;
    const now = this.#now();
    let wakeAt = Number.POSITIVE_INFINITY;
    for (let index = 0; index < this.#queue.length && this.#inFlight < MAX_IN_FLIGHT; ) {
      const job = this.#queue[index] as Job;
      const state = this.#route(job.route);
      const readyAt = this.#readyAt(state, now);
      if (job.deadline !== null && readyAt > job.deadline) {
        this.#queue.splice(index, 1);
        job.reject(new NotSentError(`${job.route}: Bybit's rate limit would hold the request past its deadline (refused ${job.refusals} time(s)); not sent`));
        continue;
      }
      if (readyAt > now) {
        wakeAt = Math.min(wakeAt, readyAt);
        index++;
        continue;
      }
      this.#queue.splice(index, 1);
      this.#start(job, state);
    }
    this.#arm(wakeAt);
  }

  #arm(wakeAt: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (!Number.isFinite(wakeAt) || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#pump();
    }, Math.max(1, wakeAt - this.#now()));
  }

  #start(job: Job, state: RouteState): void {
    this.#inFlight++;
    state.inFlight++;
    job.run().then(
      (reply) => this.#answered(job, state, reply),
      (error: unknown) => this.#failed(job, state, error),
    );
  }

  #answered(job: Job, state: RouteState, reply: Reply): void {
    this.#inFlight--;
    state.inFlight = Math.max(0, state.inFlight - 1);
    if (reply.limit !== null) this.#follow(state, reply.limit);
    if (reply.retCode === 10006 || reply.retCode === 10018) {
      // Not carried out: wait for the window Bybit names (or a second) and go again in the same place.
      const resetAt = reply.limit === null ? 0 : this.#options.toLocal(reply.limit.resetAt);
      state.blockedUntil = Math.max(state.blockedUntil, resetAt > this.#now() ? resetAt : this.#now() + this.#options.timeouts.rateLimitBackoffMs);
      this.#requeue(job, `Bybit ${reply.retCode}`);
      return;
    }
    this.#overloads = 0;
    job.resolve(reply);
    this.#pump();
  }

  #failed(job: Job, state: RouteState, error: unknown): void {
    this.#inFlight--;
    state.inFlight = Math.max(0, state.inFlight - 1);
    if (error instanceof TransportError && error.failure.kind === 'HTTP' && (error.failure.status === 403 || error.failure.status === 429)) {
      // Neither is carried out: 403 is the IP limit (held for minutes), 429 an overloaded server; back off, doubling.
      const base = error.failure.status === 403 ? this.#options.timeouts.ipLimitBackoffMs : this.#options.timeouts.overloadBackoffMs;
      const wait = Math.min(base * 2 ** this.#overloads, base * 10);
      this.#overloads++;
      this.#blockedUntil = Math.max(this.#blockedUntil, this.#now() + wait);
      this.#options.logger.warn({ route: job.route, status: error.failure.status, backoffMs: wait }, `Bybit answered HTTP ${error.failure.status}: every request of this sub-account waits`);
      this.#requeue(job, `HTTP ${error.failure.status}`);
      return;
    }
    job.reject(error);
    this.#pump();
  }

  #requeue(job: Job, why: string): void {
    job.refusals++;
    if (job.refusals === 1 || job.refusals % 10 === 0) this.#options.logger.info({ route: job.route, refusals: job.refusals, why }, 'rate-limited by Bybit; the request waits and goes again');
    if (this.#stopped) {
      job.reject(new NotSentError(`${job.route}: the Bybit adapter stopped before the request was sent`));
      return;
    }
    this.#queue.push(job);
    this.#sort();
    this.#pump();
  }

  #follow(state: RouteState, limit: LimitHeader): void {
    state.remaining = limit.remaining;
    state.resetAt = this.#options.toLocal(limit.resetAt);
  }
}
