import { Decimal } from '../../core/decimal.ts';
import type { BotId, InstrumentId } from '../../core/ids.ts';
import { parseFundingId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { ExecutionReport } from '../../core/order.ts';
import type { FundingPayment, FundingRecorded, Ledger } from '../../ledger/types.ts';
import type { BotRiskConfig } from './config.ts';

export type FundingReport = Extract<ExecutionReport, { type: 'FUNDING_SETTLED' }>;

export interface FundingBooking {
  bots: Iterable<BotRiskConfig>;
  ledgers: ReadonlyMap<BotId, Ledger>;
  mark(instrumentId: InstrumentId): Decimal | undefined;
  logger: Logger;
}

/**
 * Books a venue's funding settlement in the ledger of the bot that holds the sub-account, once per funding ID, and
 * says whose it was; null when nothing new was booked. What the venue leaves out (the position, the mark, the rate)
 * is taken from the ledger and the marks, which agree with the venue after reconciliation. A payment that cannot be
 * booked is logged, and the balance check of the next reconciliation shows the gap.
 */
export function bookFunding(report: FundingReport, booking: FundingBooking): { botId: BotId; payment: FundingPayment } | null {
  const { logger } = booking;
  const bot = [...booking.bots].find((candidate) => candidate.subAccountId === report.subAccountId);
  const ledger = bot === undefined ? undefined : booking.ledgers.get(bot.id);
  if (bot === undefined || ledger === undefined) {
    logger.warn({ subAccountId: report.subAccountId, fundingId: report.fundingId }, 'funding settled on a sub-account no bot holds; not booked');
    return null;
  }
  const positionQuantity = report.positionQuantity ?? ledger.position(report.instrumentId)?.quantity ?? Decimal.ZERO;
  const markPrice = report.markPrice ?? booking.mark(report.instrumentId) ?? Decimal.ZERO;
  if (positionQuantity.isZero() || !markPrice.isPositive()) {
    logger.error({ botId: bot.id, fundingId: report.fundingId, instrumentId: report.instrumentId }, 'funding settled with no position or mark to book it on; the balance check of the next reconciliation shows it');
    return null;
  }
  // The rate by its definition when the venue leaves it out: a long pays amount = -quantity x mark x rate.
  const rate = report.rate ?? report.amount.neg().div(positionQuantity.mul(markPrice));
  let recorded: FundingRecorded;
  try {
    recorded = ledger.recordFunding({ fundingId: parseFundingId(report.fundingId), instrumentId: report.instrumentId, amount: report.amount, rate, positionQuantity, markPrice, at: report.at });
  } catch (error) {
    logger.error({ botId: bot.id, fundingId: report.fundingId, error: (error as Error).message }, 'funding settlement refused by the ledger; not booked');
    return null;
  }
  return recorded.duplicate ? null : { botId: bot.id, payment: recorded.payment };
}
