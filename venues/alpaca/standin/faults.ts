import { z } from 'zod';

/**
 * Scripted faults, in the Bybit stand-in's style: added in-process (`standin.faults.add(...)`) or over the admin
 * endpoint. Each matches requests (REST) or fill events (the trade_updates stream), lets `skip` matches through,
 * then fires `count` times and is spent.
 *
 * REST, by route ("POST /v2/orders", "DELETE /v2/orders/{id}", "PATCH /v2/orders/{id}", or "*") and optionally account:
 * - accept-then-timeout: carried out (the order is placed), but no answer: the socket is held until the client gives
 *   up, or reset at once with `destroy: true`;
 * - http-5xx: HTTP `status` (503 unless 500, 502 or 504); carried out only with `processed: true`;
 * - slow: carried out, answered `delayMs` (real ms) later.
 * Stream, on the next fill or partial_fill event, optionally for one account:
 * - stream-drop-mid-fill: the fill is recorded (REST lists it) but the account's trade_updates sockets are terminated
 *   before the event goes out, so the client must gap-fill from REST.
 */

export const REST_FAULT_KINDS = ['accept-then-timeout', 'http-5xx', 'slow'] as const;
export const STREAM_FAULT_KINDS = ['stream-drop-mid-fill'] as const;

const ROUTE = /^(\*|(GET|POST|PATCH|DELETE) \/v2\/[A-Za-z0-9/{}_:-]+)$/;

export const faultSpecSchema = z.strictObject({
  kind: z.enum([...REST_FAULT_KINDS, ...STREAM_FAULT_KINDS]),
  route: z.string().regex(ROUTE, 'must be "*" or "METHOD /v2/path", e.g. "POST /v2/orders" or "DELETE /v2/orders/{id}"').optional(),
  account: z.string().min(1).optional(),
  count: z.number().int().min(1).max(1_000_000).default(1),
  skip: z.number().int().min(0).max(1_000_000).default(0),
  status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).optional(),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  destroy: z.boolean().optional(),
  processed: z.boolean().optional(),
});

export type FaultSpecInput = z.input<typeof faultSpecSchema>;
export type FaultSpec = z.output<typeof faultSpecSchema>;

function isRest(spec: FaultSpec): boolean {
  return (REST_FAULT_KINDS as readonly string[]).includes(spec.kind);
}

function checkSpec(spec: FaultSpec): void {
  if (!isRest(spec) && spec.route !== undefined) throw new RangeError(`${spec.kind} is a stream fault: it takes no route`);
  if (spec.status !== undefined && spec.kind !== 'http-5xx') throw new RangeError(`${spec.kind} takes no status`);
  if (spec.processed !== undefined && spec.kind !== 'http-5xx') throw new RangeError(`${spec.kind} takes no processed`);
  if (spec.delayMs !== undefined && spec.kind !== 'slow') throw new RangeError(`${spec.kind} takes no delayMs`);
  if (spec.destroy !== undefined && spec.kind !== 'accept-then-timeout') throw new RangeError(`${spec.kind} takes no destroy`);
}

export interface FaultHandle {
  readonly id: number;
  readonly spec: FaultSpec;
  readonly fired: number;
  /** Resolves once it has fired `count` times. */
  readonly spent: Promise<void>;
}

class Fault implements FaultHandle {
  readonly spent: Promise<void>;
  fired = 0;
  #skipped = 0;
  #resolve: () => void = () => {};

  readonly id: number;
  readonly spec: FaultSpec;

  constructor(id: number, spec: FaultSpec) {
    this.id = id;
    this.spec = spec;
    this.spent = new Promise((resolve) => (this.#resolve = resolve));
  }

  get done(): boolean {
    return this.fired >= this.spec.count;
  }

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

export class FaultPlan {
  readonly #faults: Fault[] = [];
  #nextId = 1;

  add(input: FaultSpecInput): FaultHandle {
    const spec = faultSpecSchema.parse(input);
    checkSpec(spec);
    const fault = new Fault(this.#nextId++, spec);
    this.#faults.push(fault);
    return fault;
  }

  list(): Array<{ id: number; spec: FaultSpec; fired: number }> {
    return this.#faults.map((fault) => ({ id: fault.id, spec: fault.spec, fired: fault.fired }));
  }

  clear(): void {
    this.#faults.length = 0;
  }

  takeRest(route: string, account: string): FaultSpec | null {
    return this.#take((spec) => isRest(spec) && ((spec.route ?? '*') === '*' || spec.route === route) && (spec.account === undefined || spec.account === account));
  }

  takeStream(account: string): FaultSpec | null {
    return this.#take((spec) => !isRest(spec) && (spec.account === undefined || spec.account === account));
  }

  #take(matches: (spec: FaultSpec) => boolean): FaultSpec | null {
    for (const fault of this.#faults) {
      if (fault.done || !matches(fault.spec)) continue;
      if (fault.take()) return fault.spec;
    }
    return null;
  }
}
