import { z } from 'zod';

/**
 * Scripted faults, added by tests in-process (`standin.faults.add(...)`) or over the admin endpoint. Each matches
 * requests (REST) or fill pushes (WebSocket), lets `skip` matches through, then fires `count` times and is spent.
 *
 * REST, matched by route ("POST /v5/order/create", or "*") and optionally by UID, after authentication:
 * - accept-then-timeout: the request is carried out (an order is placed) but the answer never comes: the socket is
 *   held until the client gives up, or destroyed at once with `destroy: true`;
 * - http-5xx: HTTP `status` (503 by default) and no answer body worth reading; carried out only with `processed: true`;
 * - rate-limit-burst: not carried out; retCode 10006 with X-Bapi-Limit headers (`status` 200, the default), or
 *   HTTP 429 or 403;
 * - slow: carried out, answered `delayMs` later (real time).
 * Those that act on the answer (accept-then-timeout, slow, http-5xx with `processed`) fire only on a request the
 * exchange carried out; a refused one is answered as usual and the fault stays armed.
 * WebSocket, on the next batch of private pushes that carries an execution, optionally for one UID:
 * - ws-drop-mid-fill: the execution is recorded (REST shows it) but the UID's private sockets are terminated before
 *   any of the batch's pushes go out, so they are lost and the client must gap-fill from REST;
 * - ws-duplicate: every push of the batch is sent twice;
 * - ws-reorder: the batch's pushes go out in reverse order (execution before order, wallet first, ...).
 */

export const REST_FAULT_KINDS = ['accept-then-timeout', 'http-5xx', 'rate-limit-burst', 'slow'] as const;
export const WS_FAULT_KINDS = ['ws-drop-mid-fill', 'ws-duplicate', 'ws-reorder'] as const;
export type RestFaultKind = (typeof REST_FAULT_KINDS)[number];
export type WsFaultKind = (typeof WS_FAULT_KINDS)[number];

const ROUTE = /^(\*|(GET|POST) \/v5\/[a-z0-9/-]+)$/;

export const faultSpecSchema = z.strictObject({
  kind: z.enum([...REST_FAULT_KINDS, ...WS_FAULT_KINDS]),
  /** REST faults: "METHOD /path" or "*"; "*" unless given. */
  route: z.string().regex(ROUTE, 'must be "*" or "METHOD /v5/path", e.g. "POST /v5/order/create"').optional(),
  uid: z.number().int().positive().optional(),
  count: z.number().int().min(1).max(1_000_000).default(1),
  skip: z.number().int().min(0).max(1_000_000).default(0),
  /** http-5xx: 500, 502, 503 or 504; rate-limit-burst: 200 (retCode 10006), 403 or 429. */
  status: z.number().int().optional(),
  /** slow: how long the answer is held, real ms. */
  delayMs: z.number().int().min(0).max(600_000).optional(),
  /** accept-then-timeout: destroy the socket at once instead of holding it. */
  destroy: z.boolean().optional(),
  /** http-5xx: carry the request out before failing it. */
  processed: z.boolean().optional(),
});

export type FaultSpecInput = z.input<typeof faultSpecSchema>;
export type FaultSpec = z.output<typeof faultSpecSchema>;

function checkSpec(spec: FaultSpec): void {
  if (!isRestFault(spec) && spec.route !== undefined) throw new RangeError(`${spec.kind} is a WebSocket fault: it takes no route`);
  if (spec.status !== undefined) {
    if (spec.kind === 'http-5xx' && ![500, 502, 503, 504].includes(spec.status)) throw new RangeError('http-5xx status must be 500, 502, 503 or 504');
    if (spec.kind === 'rate-limit-burst' && ![200, 403, 429].includes(spec.status)) throw new RangeError('rate-limit-burst status must be 200 (retCode 10006), 403 or 429');
    if (spec.kind !== 'http-5xx' && spec.kind !== 'rate-limit-burst') throw new RangeError(`${spec.kind} takes no status`);
  }
  if (spec.delayMs !== undefined && spec.kind !== 'slow') throw new RangeError(`${spec.kind} takes no delayMs`);
  if (spec.destroy !== undefined && spec.kind !== 'accept-then-timeout') throw new RangeError(`${spec.kind} takes no destroy`);
  if (spec.processed !== undefined && spec.kind !== 'http-5xx') throw new RangeError(`${spec.kind} takes no processed`);
}

export interface FaultHandle {
  readonly id: number;
  readonly spec: FaultSpec;
  /** How many times it has fired. */
  readonly fired: number;
  /** Resolves once it has fired `count` times. */
  readonly spent: Promise<void>;
}

class Fault implements FaultHandle {
  readonly id: number;
  readonly spec: FaultSpec;
  readonly spent: Promise<void>;
  fired = 0;
  #skipped = 0;
  #resolve: () => void = () => {};

  constructor(id: number, spec: FaultSpec) {
    this.id = id;
    this.spec = spec;
    this.spent = new Promise((resolve) => (this.#resolve = resolve));
  }

  get done(): boolean {
    return this.fired >= this.spec.count;
  }

  /** A match: let it through while skipping, else fire. */
  take(): boolean {
    if (this.#skipped < this.spec.skip) {
      this.#skipped++;
      return false;
    }
    this.fired++;
    if (this.done) this.#resolve();
    return true;
  }
}

export interface FaultSummary {
  id: number;
  spec: FaultSpec;
  fired: number;
}

export class FaultPlan {
  readonly #faults: Fault[] = [];
  #nextId = 1;

  /** Validates and arms a fault; throws RangeError (or a zod error) for a spec that makes no sense. */
  add(input: FaultSpecInput): FaultHandle {
    const spec = faultSpecSchema.parse(input);
    checkSpec(spec);
    const fault = new Fault(this.#nextId++, spec);
    this.#faults.push(fault);
    return fault;
  }

  list(): FaultSummary[] {
    return this.#faults.map((fault) => ({ id: fault.id, spec: fault.spec, fired: fault.fired }));
  }

  clear(): void {
    this.#faults.length = 0;
  }

  /** The REST fault answered instead of the exchange (a rate-limit burst, a 5xx before processing), if any. */
  takeRestBefore(route: string, uid: number | null): FaultSpec | null {
    return this.#take((spec) => isRestFault(spec) && !actsOnAnswer(spec) && matchesRoute(spec, route) && matchesUid(spec, uid));
  }

  /**
   * The REST fault that acts on the exchange's answer (held, slowed, or a 5xx after processing). It is taken only
   * for a request the exchange carried out: one it refused (rate limit, validation) leaves the fault armed for the
   * next, so a test that waits for "the order placed and its answer held" never gets a refusal instead.
   */
  takeRestAfter(route: string, uid: number | null, carriedOut: boolean): FaultSpec | null {
    if (!carriedOut) return null;
    return this.#take((spec) => isRestFault(spec) && actsOnAnswer(spec) && matchesRoute(spec, route) && matchesUid(spec, uid));
  }

  /** The WebSocket fault that fires on a UID's batch of pushes carrying an execution, if any. */
  takeWebSocket(uid: number): FaultSpec | null {
    return this.#take((spec) => !isRestFault(spec) && matchesUid(spec, uid));
  }

  #take(matches: (spec: FaultSpec) => boolean): FaultSpec | null {
    for (const fault of this.#faults) {
      if (fault.done || !matches(fault.spec)) continue;
      if (fault.take()) return fault.spec;
    }
    return null;
  }
}

function isRestFault(spec: FaultSpec): boolean {
  return (REST_FAULT_KINDS as readonly string[]).includes(spec.kind);
}

function actsOnAnswer(spec: FaultSpec): boolean {
  return spec.kind === 'slow' || spec.kind === 'accept-then-timeout' || (spec.kind === 'http-5xx' && spec.processed === true);
}

function matchesRoute(spec: FaultSpec, route: string): boolean {
  return (spec.route ?? '*') === '*' || spec.route === route;
}

function matchesUid(spec: FaultSpec, uid: number | null): boolean {
  return spec.uid === undefined || spec.uid === uid;
}
