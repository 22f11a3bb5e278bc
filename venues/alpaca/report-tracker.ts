import type { ClientOrderId, SubAccountId } from '../../core/ids.ts';

/**
 * What has been reported per account, so an order's acceptance and end, and each execution, are reported once
 * whether they arrive from a REST answer, the stream, or a gap-fill after a reconnect.
 */
export class ReportTracker {
  readonly #accepted = new Map<SubAccountId, Set<string>>();
  readonly #ended = new Map<SubAccountId, Set<string>>();
  readonly #executions = new Map<SubAccountId, Set<string>>();
  readonly #lastFillActivity = new Map<SubAccountId, string>();

  #set(map: Map<SubAccountId, Set<string>>, subAccountId: SubAccountId): Set<string> {
    let set = map.get(subAccountId);
    if (set === undefined) map.set(subAccountId, (set = new Set()));
    return set;
  }

  /** True the first time: report ORDER_ACCEPTED. */
  accept(subAccountId: SubAccountId, clientOrderId: ClientOrderId): boolean {
    const accepted = this.#set(this.#accepted, subAccountId);
    if (accepted.has(clientOrderId)) return false;
    accepted.add(clientOrderId);
    return true;
  }

  /** True the first time the order ends: report its end. */
  end(subAccountId: SubAccountId, clientOrderId: ClientOrderId): boolean {
    const ended = this.#set(this.#ended, subAccountId);
    if (ended.has(clientOrderId)) return false;
    ended.add(clientOrderId);
    return true;
  }

  /** An end that was undone (an order cancelled to make way for a close and sent again): it may end again. */
  reopen(subAccountId: SubAccountId, clientOrderId: ClientOrderId): void {
    this.#set(this.#ended, subAccountId).delete(clientOrderId);
  }

  /** Accepted and not ended: what a gap-fill asks about. */
  openOrders(subAccountId: SubAccountId): ClientOrderId[] {
    const ended = this.#set(this.#ended, subAccountId);
    return [...this.#set(this.#accepted, subAccountId)].filter((id) => !ended.has(id)) as ClientOrderId[];
  }

  firstExecution(subAccountId: SubAccountId, executionId: string): boolean {
    const seen = this.#set(this.#executions, subAccountId);
    if (seen.has(executionId)) return false;
    seen.add(executionId);
    return true;
  }

  sawFillActivity(subAccountId: SubAccountId, activityId: string): void {
    this.#lastFillActivity.set(subAccountId, activityId);
  }

  /** The last FILL activity a gap-fill listed; the next one lists after it. */
  lastFillId(subAccountId: SubAccountId): string | null {
    return this.#lastFillActivity.get(subAccountId) ?? null;
  }
}
