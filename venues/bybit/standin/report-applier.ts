import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../core/clock.ts';
import { Decimal } from '../../../core/decimal.ts';
import type { InstrumentId, SubAccountId } from '../../../core/ids.ts';
import type { ExecutionReport } from '../../../core/order.ts';
import type { PaperFeeConfig } from '../../paper/config.ts';
import type { PaperMatchingEngine } from '../../paper/matching-engine.ts';
import type { ListedInstrument } from './instruments.ts';
import { isConditional, setStatus, type BybitExecution, type BybitOrder, type OrderBook } from './order-book.ts';
import { executionWire, orderWire, positionWire, walletWire, type PositionFacts, type WalletFacts } from './wire-shapes.ts';

/**
 * Turns the paper engine's execution reports into what Bybit says about them: order statuses (New, PartiallyFilled,
 * Filled, Cancelled, Rejected; Untriggered, Triggered and Deactivated for conditional orders), executions with
 * closedSize and execPnl, and fresh position and wallet snapshots, collected per UID as one batch of private pushes.
 */

export interface PrivateBatch {
  /** Wire objects as they stood at each change, oldest first. */
  order: Record<string, unknown>[];
  execution: Record<string, unknown>[];
  position: Record<string, unknown>[];
  wallet: Record<string, unknown>[];
}

/** Funding is settled to 1e-8 USDT. */
const FUNDING_STEP = Decimal.parse('0.00000001');

export function emptyBatch(): PrivateBatch {
  return { order: [], execution: [], position: [], wallet: [] };
}

interface PositionMeta {
  /** What the engine held before this batch's fills, advanced fill by fill to know what each one closed. */
  quantity: Decimal;
  averagePrice: Decimal;
  /** Realized PnL after fees since the position last opened from flat. */
  currentRealized: Decimal;
  createdTime: number;
  updatedTime: number;
  sequence: number;
}

export interface ReportApplierOptions {
  book: OrderBook;
  engine: PaperMatchingEngine;
  clock: Clock;
  fees: PaperFeeConfig;
  leverage: Decimal;
  instrumentOf: (symbol: string) => ListedInstrument;
  symbolOf: (instrumentId: InstrumentId) => string;
  accountTypeOf: (uid: number) => 'UNIFIED' | 'CONTRACT';
}

function uidOf(subAccountId: SubAccountId): number {
  return Number(subAccountId.slice(1));
}

export class ReportApplier {
  readonly #options: ReportApplierOptions;
  /** Per "uid symbol". */
  readonly #positions = new Map<string, PositionMeta>();

  constructor(options: ReportApplierOptions) {
    this.#options = options;
  }

  /** Applies one engine call's reports; returns a batch per UID touched, in the order the UIDs were first touched. */
  apply(reports: readonly ExecutionReport[]): Map<number, PrivateBatch> {
    const batches = new Map<number, PrivateBatch>();
    const dirty = new Map<number, { subAccountId: SubAccountId; symbols: Set<string> }>();
    for (const report of reports) {
      const uid = uidOf(report.subAccountId);
      let batch = batches.get(uid);
      if (batch === undefined) {
        batch = emptyBatch();
        batches.set(uid, batch);
      }
      const symbol = this.#applyOne(uid, report, batch);
      if (symbol !== null) {
        const entry = dirty.get(uid) ?? { subAccountId: report.subAccountId, symbols: new Set<string>() };
        entry.symbols.add(symbol);
        dirty.set(uid, entry);
      }
    }
    for (const [uid, { subAccountId, symbols }] of dirty) {
      const batch = batches.get(uid) as PrivateBatch;
      for (const symbol of symbols) batch.position.push(positionWire(this.position(uid, subAccountId, symbol), true));
      batch.wallet.push(walletWire(this.wallet(uid, subAccountId)));
    }
    return batches;
  }

  /**
   * Settles funding on one UID's position on a symbol at `rate`, as Bybit does at each funding time: the position
   * (signed) × mark × rate is paid (received when negative), to 1e-8 USDT, listed as an execution of execType
   * Funding (execQty the position's size, execPrice the mark, execFee the payment) and counted in realized PnL.
   * Null when the UID holds no position there.
   */
  settleFunding(uid: number, subAccountId: SubAccountId, symbol: string, rate: Decimal, at: number): PrivateBatch | null {
    const { book, engine, instrumentOf } = this.#options;
    const instrumentId = instrumentOf(symbol).instrument.id;
    const held = engine.positions(subAccountId).find((position) => position.instrumentId === instrumentId);
    const mark = engine.lastPrice(instrumentId);
    if (held === undefined || held.quantity.isZero() || mark === null) return null;
    const fee = held.quantity.mul(mark).mul(rate).quantize(FUNDING_STEP, 'half-even');
    engine.settleFunding(subAccountId, fee.neg());
    const meta = this.#meta(uid, symbol);
    meta.currentRealized = meta.currentRealized.sub(fee);
    const execution: BybitExecution = {
      sequence: book.nextSequence(),
      execType: 'Funding',
      uid,
      execId: randomUUID(),
      orderId: '',
      orderLinkId: '',
      symbol,
      // Bybit lists a long position's funding as a Sell and a short one's as a Buy (as in ccxt's sample of a funding row).
      side: held.quantity.isPositive() ? 'Sell' : 'Buy',
      orderPrice: null,
      orderQty: Decimal.ZERO,
      leavesQty: Decimal.ZERO,
      orderType: 'UNKNOWN',
      stopOrderType: 'UNKNOWN',
      execPrice: mark,
      execQty: held.quantity.abs(),
      execValue: held.quantity.abs().mul(mark),
      execFee: fee,
      feeRate: rate,
      isMaker: false,
      execTime: at,
      markPrice: mark,
      closedSize: Decimal.ZERO,
      execPnl: Decimal.ZERO,
    };
    book.addExecution(execution);
    const batch = emptyBatch();
    batch.execution.push(executionWire(execution, true));
    batch.position.push(positionWire(this.position(uid, subAccountId, symbol), true));
    batch.wallet.push(walletWire(this.wallet(uid, subAccountId)));
    return batch;
  }

  /** A batch with only the wallet, after a transfer. */
  walletOnly(uid: number, subAccountId: SubAccountId): PrivateBatch {
    return { ...emptyBatch(), wallet: [walletWire(this.wallet(uid, subAccountId))] };
  }

  positions(uid: number, subAccountId: SubAccountId): PositionFacts[] {
    const { engine, symbolOf } = this.#options;
    return engine.positions(subAccountId).map((position) => this.position(uid, subAccountId, symbolOf(position.instrumentId)));
  }

  position(uid: number, subAccountId: SubAccountId, symbol: string): PositionFacts {
    const { engine, instrumentOf, book } = this.#options;
    const instrumentId = instrumentOf(symbol).instrument.id;
    const held = engine.positions(subAccountId).find((position) => position.instrumentId === instrumentId);
    const meta = this.#meta(uid, symbol);
    const realized = book.realizedPnl(uid, symbol);
    return {
      symbol,
      quantity: held?.quantity ?? Decimal.ZERO,
      averagePrice: held?.averagePrice ?? Decimal.ZERO,
      markPrice: engine.lastPrice(instrumentId),
      leverage: this.#options.leverage,
      currentRealized: meta.currentRealized,
      cumulativeRealized: realized.pnl.sub(realized.fees),
      sequence: meta.sequence,
      createdTime: meta.createdTime,
      updatedTime: meta.updatedTime,
    };
  }

  wallet(uid: number, subAccountId: SubAccountId): WalletFacts {
    const { engine, book, leverage } = this.#options;
    let unrealisedPnl = Decimal.ZERO;
    let positionMargin = Decimal.ZERO;
    for (const position of engine.positions(subAccountId)) {
      const mark = engine.lastPrice(position.instrumentId) ?? position.averagePrice;
      unrealisedPnl = unrealisedPnl.add(position.quantity.mul(mark.sub(position.averagePrice)));
      positionMargin = positionMargin.add(position.quantity.abs().mul(mark).div(leverage));
    }
    const realized = book.realizedPnl(uid);
    return {
      cash: engine.balance(subAccountId),
      unrealisedPnl,
      freeMargin: engine.freeMargin(subAccountId),
      positionMargin: positionMargin.round(8),
      cumulativeRealized: realized.pnl.sub(realized.fees),
      accountType: this.#options.accountTypeOf(uid),
    };
  }

  #meta(uid: number, symbol: string): PositionMeta {
    const key = `${uid} ${symbol}`;
    let meta = this.#positions.get(key);
    if (meta === undefined) {
      const now = this.#options.clock.now();
      meta = { quantity: Decimal.ZERO, averagePrice: Decimal.ZERO, currentRealized: Decimal.ZERO, createdTime: now, updatedTime: now, sequence: 0 };
      this.#positions.set(key, meta);
    }
    return meta;
  }

  /** Returns the symbol whose position and wallet the report changed, or null. */
  #applyOne(uid: number, report: ExecutionReport, batch: PrivateBatch): string | null {
    const { book } = this.#options;
    // The paper engine settles no funding; rejections change nothing the exchange reports.
    if (report.type === 'ORDER_REJECTED' || report.type === 'CANCEL_REJECTED' || report.type === 'AMEND_REJECTED' || report.type === 'FUNDING_SETTLED') return null;
    const engineId = report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : report.clientOrderId;
    const order = book.byEngineId(uid, engineId);
    if (order === undefined) throw new Error(`an engine report names ${engineId}, which the stand-in never placed`);
    switch (report.type) {
      case 'ORDER_ACCEPTED':
        setStatus(order, isConditional(order) ? 'Untriggered' : 'New', report.at);
        batch.order.push(orderWire(order, true));
        return null;
      case 'ORDER_AMENDED':
        order.qty = report.quantity;
        order.price = report.limitPrice;
        order.triggerPrice = report.triggerPrice;
        order.leavesQty = report.quantity.sub(order.cumExecQty);
        order.updatedTime = report.at;
        batch.order.push(orderWire(order, true));
        return null;
      case 'ORDER_CANCELED':
      case 'ORDER_EXPIRED':
        this.#ended(order, report.detail, report.at);
        batch.order.push(orderWire(order, true));
        return null;
      case 'ORDER_FILLED':
        return this.#filled(uid, order, report, batch);
    }
  }

  #ended(order: BybitOrder, detail: string, at: number): void {
    order.leavesQty = Decimal.ZERO;
    if (order.cancelRequested) order.cancelType = 'CancelByUser';
    else if (detail.startsWith('reduce-only')) order.cancelType = 'CancelByReduceOnly';
    if (detail.startsWith('IOC: not marketable')) order.rejectReason = 'EC_NoImmediateQtyToFill';
    // A market order that arrived before any price and did not fit the margin at the open was never traded: the
    // engine cancels it, Bybit rejects it.
    if (order.orderType === 'Market' && order.cumExecQty.isZero() && detail.startsWith('INSUFFICIENT_BALANCE')) {
      order.rejectReason = 'EC_Others';
      setStatus(order, 'Rejected', at);
      return;
    }
    setStatus(order, isConditional(order) && order.status === 'Untriggered' ? 'Deactivated' : 'Cancelled', at);
  }

  #filled(uid: number, order: BybitOrder, report: Extract<ExecutionReport, { type: 'ORDER_FILLED' }>, batch: PrivateBatch): string {
    const { book, engine, fees, instrumentOf } = this.#options;
    const { fill } = report;
    if (order.status === 'Untriggered') {
      setStatus(order, 'Triggered', fill.at);
      batch.order.push(orderWire(order, true));
    }
    const value = fill.quantity.mul(fill.price);
    order.cumExecQty = report.cumulativeQuantity;
    order.cumExecValue = order.cumExecValue.add(value);
    order.cumExecFee = order.cumExecFee.add(fill.fee);
    order.leavesQty = report.leavesQuantity;
    setStatus(order, report.leavesQuantity.isZero() ? 'Filled' : 'PartiallyFilled', fill.at);
    batch.order.push(orderWire(order, true));

    const meta = this.#meta(uid, order.symbol);
    const closed = this.#advancePosition(meta, fill.side === 'BUY' ? fill.quantity : fill.quantity.neg(), fill.price, fill.fee, fill.at);
    const execution: BybitExecution = {
      sequence: book.nextSequence(),
      execType: 'Trade',
      uid,
      execId: randomUUID(),
      orderId: order.orderId,
      orderLinkId: order.orderLinkId,
      symbol: order.symbol,
      side: order.side,
      orderPrice: order.price,
      orderQty: order.qty,
      leavesQty: report.leavesQuantity,
      orderType: order.orderType,
      stopOrderType: isConditional(order) ? 'Stop' : '',
      execPrice: fill.price,
      execQty: fill.quantity,
      execValue: value,
      execFee: fill.fee,
      feeRate: fill.liquidity === 'MAKER' ? fees.makerRate : fees.takerRate,
      isMaker: fill.liquidity === 'MAKER',
      execTime: fill.at,
      markPrice: engine.lastPrice(instrumentOf(order.symbol).instrument.id) ?? fill.price,
      closedSize: closed.size,
      execPnl: closed.pnl,
    };
    book.addExecution(execution);
    batch.execution.push(executionWire(execution, true));
    return order.symbol;
  }

  /** Nets a fill into the position as the engine does, to know what it closed and what that realized. */
  #advancePosition(meta: PositionMeta, signed: Decimal, price: Decimal, fee: Decimal, at: number): { size: Decimal; pnl: Decimal } {
    const held = meta.quantity;
    const next = held.add(signed);
    let size = Decimal.ZERO;
    let pnl = Decimal.ZERO;
    if (held.isZero()) {
      meta.averagePrice = price;
      meta.currentRealized = Decimal.ZERO;
      meta.createdTime = at;
    } else if (held.sign() === signed.sign()) {
      meta.averagePrice = held.abs().mul(meta.averagePrice).add(signed.abs().mul(price)).div(next.abs());
    } else {
      size = Decimal.min(signed.abs(), held.abs());
      pnl = size.mul(held.isPositive() ? price.sub(meta.averagePrice) : meta.averagePrice.sub(price));
      if (next.sign() !== held.sign() && !next.isZero()) {
        // A flip opens a new position: its realized PnL starts with its share of this fill's fee.
        meta.averagePrice = price;
        meta.createdTime = at;
        meta.quantity = next;
        meta.currentRealized = fee.mulDiv(next.abs(), signed.abs()).neg();
        meta.updatedTime = at;
        meta.sequence = this.#options.book.nextSequence();
        return { size, pnl };
      }
    }
    meta.quantity = next;
    meta.currentRealized = meta.currentRealized.add(pnl).sub(fee);
    meta.updatedTime = at;
    meta.sequence = this.#options.book.nextSequence();
    return { size, pnl };
  }
}
