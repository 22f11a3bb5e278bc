import type { Clock } from '../../core/clock.ts';
import type { BotId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { Venue, VenueConnectionEvent } from '../../core/venue.ts';
import type { Ledger } from '../../ledger/types.ts';
import type { OrderManager } from '../order-manager/order-manager.ts';
import { botScope } from '../store/supervisor-store.ts';
import type { ReconcileFindings, ReconcileTarget } from './reconcile.ts';
import { reconcile, settleOpenOrder } from './reconcile.ts';

/** Where a bot stands with its venue; what `status` and `supervisor reconcile` show. */
export interface ReconciliationStatus {
  state: 'PENDING' | 'RECONCILED' | 'FAILED';
  /** When it last ran (market time), or null before its first run. */
  at: number | null;
  /** Why it is not reconciled, or a summary of what the last run found. */
  detail: string;
  findings: ReconcileFindings | null;
}

export interface ReconciliationServiceOptions {
  om: OrderManager;
  /** The bots to reconcile now: each with its venue, its ledger and its sub-account. */
  targets(): Iterable<ReconcileTarget>;
  clock: Clock;
  logger: Logger;
  /** How long after an order was written a venue that does not know it never received it. */
  receiveWindowMs: number;
  /** How long an order may go unanswered before the venue is asked about it. */
  unansweredOrderMs: number;
  /** What a position that differs between ledger and venue does to its bot. */
  onMismatch: 'REDUCING' | 'HALTED';
  /** Waits real time: a venue's fill settle span before a position mismatch is looked at again. */
  wait(ms: number): Promise<void>;
  /** Told after every run, for metrics. */
  observed?(botId: BotId, status: ReconciliationStatus): void;
}

/** How long a failed run waits before the next, doubling up to the cap (real time). */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 60_000;

/**
 * Runs reconciliation for the fleet: every bot at start, a sub-account again after its stream reconnects, a failed
 * run again with backoff, an unanswered order by itself once it is overdue, and any bot on demand. A bot trades only
 * once its run completed; a position that differs from the venue's halts (or reduces) it with RECONCILIATION_MISMATCH
 * and is never "fixed" by trading.
 */
export class ReconciliationService {
  readonly #options: ReconciliationServiceOptions;
  readonly #status = new Map<BotId, ReconciliationStatus>();
  readonly #running = new Map<BotId, Promise<ReconciliationStatus>>();
  readonly #retry = new Map<BotId, { at: number; delayMs: number }>();

  constructor(options: ReconciliationServiceOptions) {
    this.#options = options;
  }

  status(botId: BotId): ReconciliationStatus {
    return this.#status.get(botId) ?? { state: 'PENDING', at: null, detail: 'not reconciled yet', findings: null };
  }

  #target(botId: BotId): ReconcileTarget | undefined {
    for (const target of this.#options.targets()) if (target.botId === botId) return target;
    return undefined;
  }

  /** Every bot, in parallel; resolves when each has a status. */
  async reconcileAll(): Promise<Map<BotId, ReconciliationStatus>> {
    const targets = [...this.#options.targets()];
    const results = await Promise.all(targets.map(async (target) => [target.botId, await this.reconcileBot(target.botId)] as const));
    return new Map(results);
  }

  /** One bot now; a run already under way for it is joined, not doubled. */
  reconcileBot(botId: BotId): Promise<ReconciliationStatus> {
    const running = this.#running.get(botId);
    if (running !== undefined) return running;
    const run = this.#run(botId).finally(() => this.#running.delete(botId));
    this.#running.set(botId, run);
    return run;
  }

  async #run(botId: BotId): Promise<ReconciliationStatus> {
    const { om, logger, clock } = this.#options;
    const target = this.#target(botId);
    if (target === undefined) return this.status(botId);
    om.unreconciled(botId, 'reconciliation with its venue is under way');
    let status: ReconciliationStatus;
    try {
      await om.idle();
      const findings = await reconcile(target, { apply: (report) => om.applyReport(report), now: () => clock.now(), receiveWindowMs: this.#options.receiveWindowMs, wait: this.#options.wait });
      await om.idle();
      status = { state: 'RECONCILED', at: clock.now(), detail: summary(findings), findings };
      this.#retry.delete(botId);
      if (findings.foreignOrders.length > 0) logger.warn({ botId, foreignOrders: findings.foreignOrders }, 'orders on the sub-account that Flotilla did not make: reported, never touched');
      if (findings.positionMismatches.length > 0) this.#mismatch(botId, findings);
      om.reconciled(botId);
    } catch (error) {
      const message = (error as Error).message;
      status = { state: 'FAILED', at: clock.now(), detail: `reconciliation could not complete: ${message}`, findings: null };
      om.unreconciled(botId, status.detail);
      const delayMs = Math.min(RETRY_MAX_MS, (this.#retry.get(botId)?.delayMs ?? RETRY_FIRST_MS / 2) * 2);
      this.#retry.set(botId, { at: Date.now() + delayMs, delayMs });
      logger.error({ botId, error: message, retryInMs: delayMs }, 'reconciliation failed; the bot does not trade until it completes');
    }
    this.#status.set(botId, status);
    this.#options.observed?.(botId, status);
    return status;
  }

  #mismatch(botId: BotId, findings: ReconcileFindings): void {
    const { om, logger, onMismatch } = this.#options;
    const detail = `ledger and venue positions differ after every fill was applied: ${findings.positionMismatches
      .map((gap) => `${gap.instrumentId} ledger ${gap.ledger.toString()} venue ${gap.venue.toString()}`)
      .join('; ')}; nothing is traded to hide it`;
    logger.error({ botId, mismatches: findings.positionMismatches.map((gap) => ({ instrumentId: gap.instrumentId, ledger: gap.ledger.toString(), venue: gap.venue.toString() })) }, 'reconciliation mismatch');
    const current = om.scopeState(botScope(botId));
    if (current.state !== 'HALTED' && !(current.state === 'REDUCING' && onMismatch === 'REDUCING')) om.halt(botScope(botId), onMismatch, 'RECONCILIATION_MISMATCH', detail);
  }

  /**
   * The private stream's news: while it is down the sub-account's bots may not trade (fills may be going unheard);
   * when it is back, they are reconciled before they trade again.
   */
  onConnectionEvent(venue: Venue, event: VenueConnectionEvent): void {
    const affected = [...this.#options.targets()].filter((target) => target.venue === venue && (event.subAccountId === null || target.subAccountId === event.subAccountId));
    if (event.type === 'DISCONNECTED') {
      for (const target of affected) this.#options.om.unreconciled(target.botId, `the venue's stream is down: ${event.detail}`);
    } else if (event.type === 'CONNECTED') {
      for (const target of affected) void this.reconcileBot(target.botId);
    }
  }

  /**
   * Called on a timer: retries failed runs when their backoff is over, and asks the venue about every order that has
   * gone unanswered for longer than allowed (a submit that timed out, a lost acknowledgement), by client order ID.
   */
  async tick(): Promise<void> {
    const now = Date.now();
    for (const [botId, retry] of [...this.#retry]) if (retry.at <= now && !this.#running.has(botId)) void this.reconcileBot(botId);
    const marketNow = this.#options.clock.now();
    for (const target of this.#options.targets()) {
      if (this.#running.has(target.botId)) continue;
      for (const order of overdue(target.ledger, marketNow, this.#options.unansweredOrderMs)) {
        try {
          await settleOpenOrder(target, order, { apply: (report) => this.#options.om.applyReport(report), now: () => this.#options.clock.now(), receiveWindowMs: this.#options.receiveWindowMs });
        } catch (error) {
          this.#options.logger.warn({ botId: target.botId, clientOrderId: order.clientOrderId, error: (error as Error).message }, 'could not ask the venue about an unanswered order; asked again later');
        }
      }
    }
  }

  /** Forgets a bot that left the fleet. */
  forget(botId: BotId): void {
    this.#status.delete(botId);
    this.#retry.delete(botId);
  }
}

function overdue(ledger: Ledger, now: number, afterMs: number): ReturnType<Ledger['openOrders']> {
  return ledger.openOrders().filter((order) => order.status === 'PENDING_SUBMIT' && now - order.createdAt > afterMs);
}

function summary(findings: ReconcileFindings): string {
  const parts = [
    `${findings.fillsApplied} fill(s) applied`,
    findings.adopted.length > 0 ? `${findings.adopted.length} order(s) adopted` : null,
    findings.neverReceived.length > 0 ? `${findings.neverReceived.length} never received` : null,
    findings.unsettled.length > 0 ? `${findings.unsettled.length} still unanswered` : null,
    findings.settled.length > 0 ? `${findings.settled.length} brought up to date` : null,
    findings.handedOver.length > 0 ? `${findings.handedOver.length} bracket child(ren) handed over again` : null,
    findings.foreignOrders.length > 0 ? `${findings.foreignOrders.length} foreign order(s) left alone` : null,
    findings.positionMismatches.length > 0 ? `${findings.positionMismatches.length} POSITION MISMATCH(ES)` : 'positions agree',
  ];
  return parts.filter((part): part is string => part !== null).join(', ');
}

