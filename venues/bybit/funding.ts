import type { Decimal } from '../../core/decimal.ts';
import type { InstrumentId, SubAccountId } from '../../core/ids.ts';
import type { ExecutionReport } from '../../core/order.ts';
import type { ExecutionRow } from './executions.ts';

/**
 * Funding on a perpetual: every funding interval Bybit settles the funding fee on each open position and lists it
 * as an execution of execType Funding (execQty the position, execPrice the mark, feeRate the funding rate, execFee
 * the fee). It is not a trade and never becomes a fill: it is its own report, booked once per execution ID.
 * execFee follows Bybit's fee sign (positive paid, negative received), so the amount received is its negation.
 */

export function isFunding(execution: ExecutionRow): boolean {
  return execution.execType === 'Funding';
}

/**
 * The signed position a payment was on. Its sign follows from the payment itself where it can (with a positive rate
 * longs pay and shorts receive), so nothing rests on reading the row's side; a zero rate or amount leaves the side.
 */
function positionOf(execution: ExecutionRow): Decimal {
  const received = execution.fee.neg();
  const rate = execution.feeRate;
  const long = rate !== null && !rate.isZero() && !received.isZero() ? received.isNegative() === rate.isPositive() : execution.side === 'BUY';
  return long ? execution.quantity : execution.quantity.neg();
}

/** A funding settlement as a report says it, without the sub-account and instrument it belongs to. */
export type FundingPayment = Omit<Extract<ExecutionReport, { type: 'FUNDING_SETTLED' }>, 'type' | 'subAccountId' | 'instrumentId'>;

export function fundingReportOf(subAccountId: SubAccountId, execution: ExecutionRow, instrumentId: InstrumentId): Extract<ExecutionReport, { type: 'FUNDING_SETTLED' }> {
  return { type: 'FUNDING_SETTLED', subAccountId, instrumentId, ...fundingPaymentOf(execution) };
}

export function fundingPaymentOf(execution: ExecutionRow): FundingPayment {
  return {
    fundingId: execution.execId,
    amount: execution.fee.neg(),
    rate: execution.feeRate,
    positionQuantity: positionOf(execution),
    markPrice: execution.price,
    at: execution.execTime,
  };
}
