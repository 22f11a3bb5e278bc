import { Decimal } from '../../core/decimal.ts';
import { isFlotillaClientOrderId, parseTradeId, type ClientOrderId, type InstrumentId, type SubAccountId } from '../../core/ids.ts';
import type { ExecutionReport } from '../../core/order.ts';
import type { VenueFill } from '../../core/venue.ts';
import { RowReader } from './wire.ts';

/**
 * Bybit's executions (GET /v5/execution/list and the execution topic) read once, then turned into what Flotilla
 * books: execType Trade is a fill; Funding is a funding settlement (funding.ts), never a fill; the rest (ADL,
 * bankruptcy and delivery trades) are not Flotilla's doing and are left to reconciliation, which compares positions.
 */

export interface ExecutionRow {
  execId: string;
  execType: string;
  orderId: string;
  /** "" for an order placed without one (not Flotilla's). */
  orderLinkId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  price: Decimal;
  quantity: Decimal;
  /** Positive is paid, negative a rebate (for Funding: the funding fee, positive paid). */
  fee: Decimal;
  feeRate: Decimal | null;
  isMaker: boolean;
  execTime: number;
  /** The order's quantity and what was left after this execution (absent on some execution types). */
  orderQuantity: Decimal | null;
  leaves: Decimal | null;
  /** Bybit's sequence, to order executions that share a millisecond. */
  sequence: number | null;
}

function optionalDecimal(reader: RowReader, name: string): Decimal | null {
  const text = reader.optionalString(name);
  return text === '' ? null : reader.decimal(name);
}

export function readExecution(row: unknown, where: string): ExecutionRow {
  const reader = new RowReader(row, where);
  return {
    execId: reader.string('execId'),
    execType: reader.string('execType'),
    orderId: reader.optionalString('orderId'),
    orderLinkId: reader.optionalString('orderLinkId'),
    symbol: reader.string('symbol'),
    side: reader.string('side') === 'Buy' ? 'BUY' : 'SELL',
    price: reader.decimal('execPrice'),
    quantity: reader.decimal('execQty'),
    fee: reader.decimal('execFee'),
    feeRate: optionalDecimal(reader, 'feeRate'),
    isMaker: reader.raw['isMaker'] === true || reader.raw['isMaker'] === 'true',
    execTime: reader.time('execTime'),
    orderQuantity: optionalDecimal(reader, 'orderQty'),
    leaves: optionalDecimal(reader, 'leavesQty'),
    sequence: reader.sequence('seq'),
  };
}

/** Oldest first: by time, then Bybit's sequence, then ID, so that one listing always sorts the same way. */
export function byExecutionTime(a: ExecutionRow, b: ExecutionRow): number {
  return a.execTime - b.execTime || (a.sequence ?? 0) - (b.sequence ?? 0) || (a.execId < b.execId ? -1 : a.execId > b.execId ? 1 : 0);
}

export function isTrade(execution: ExecutionRow): boolean {
  return execution.execType === 'Trade';
}

/** The client order ID of an execution: its orderLinkId, or "#<orderId>" for an order placed without one. */
export function executionOrderId(execution: ExecutionRow): string {
  return execution.orderLinkId === '' ? `#${execution.orderId}` : execution.orderLinkId;
}

export function venueFillOf(execution: ExecutionRow, instrumentId: InstrumentId): VenueFill {
  return {
    tradeId: parseTradeId(execution.execId),
    clientOrderId: executionOrderId(execution),
    instrumentId,
    side: execution.side,
    quantity: execution.quantity,
    price: execution.price,
    fee: execution.fee,
    liquidity: execution.isMaker ? 'MAKER' : 'TAKER',
    at: execution.execTime,
  };
}

/** ORDER_FILLED for a Flotilla order's trade; null for anyone else's. */
export function fillReportOf(subAccountId: SubAccountId, execution: ExecutionRow, instrumentId: InstrumentId): Extract<ExecutionReport, { type: 'ORDER_FILLED' }> | null {
  if (!isTrade(execution) || !isFlotillaClientOrderId(execution.orderLinkId)) return null;
  const fill = { ...venueFillOf(execution, instrumentId), clientOrderId: execution.orderLinkId as ClientOrderId };
  const leaves = execution.leaves ?? Decimal.ZERO;
  // The order's quantity less what is left is what has filled so far, this trade included.
  const cumulative = execution.orderQuantity === null ? execution.quantity : Decimal.max(execution.orderQuantity.sub(leaves), execution.quantity);
  return { type: 'ORDER_FILLED', subAccountId, fill, cumulativeQuantity: cumulative, leavesQuantity: leaves };
}

/** Recently seen execution IDs per sub-account, so a repeated push becomes one report. */
export class SeenExecutions {
  readonly #seen = new Map<SubAccountId, Set<string>>();
  readonly #limit: number;

  constructor(limit = 20_000) {
    this.#limit = limit;
  }

  /** True the first time an ID is seen. */
  first(subAccountId: SubAccountId, execId: string): boolean {
    let seen = this.#seen.get(subAccountId);
    if (seen === undefined) {
      seen = new Set();
      this.#seen.set(subAccountId, seen);
    }
    if (seen.has(execId)) return false;
    seen.add(execId);
    if (seen.size > this.#limit) {
      // Sets iterate in insertion order: drop the oldest half; the ledger still refuses a duplicate by trade ID.
      let drop = seen.size - this.#limit / 2;
      for (const id of seen) {
        if (drop-- <= 0) break;
        seen.delete(id);
      }
    }
    return true;
  }
}
