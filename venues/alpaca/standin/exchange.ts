import { randomBytes, randomUUID } from 'node:crypto';
import type { Candle } from '../../../core/candle.ts';
import type { Clock } from '../../../core/clock.ts';
import { Decimal } from '../../../core/decimal.ts';
import { parseBotId, parseIntentId, parseSubAccountId, type ClientOrderId, type SubAccountId } from '../../../core/ids.ts';
import type { ExecutionReport, SubmitOrder } from '../../../core/order.ts';
import type { OrderChanges } from '../../../core/venue.ts';
import { PaperMatchingEngine } from '../../paper/matching-engine.ts';
import type { ListedAsset } from './assets.ts';
import { OPEN_STATUSES, orderJson, type AlpacaOrder } from './orders.ts';
import { decimalField, forbidden, invalid, notFound, stringField, unprocessable, type Body } from './wire.ts';

/**
 * The trading core: each account (one per key pair, as at Alpaca) is a paper sub-account of one PaperMatchingEngine,
 * the project's one matching engine. Orders arrive as Alpaca's JSON, are checked as Alpaca checks them, go to the
 * engine, and the engine's reports become Alpaca's order states, fill activities and trade_updates events.
 */

export interface Account {
  readonly id: string;
  readonly accountNumber: string;
  readonly key: string;
  readonly secret: string;
  readonly subAccountId: SubAccountId;
  readonly createdAt: number;
  readonly orders: Map<string, AlpacaOrder>;
  readonly byClientId: Map<string, AlpacaOrder>;
  readonly byEngineId: Map<string, AlpacaOrder>;
  readonly fills: FillActivity[];
}

export interface FillActivity {
  id: string;
  executionId: string;
  transactionTime: number;
  type: 'fill' | 'partial_fill';
  price: Decimal;
  qty: Decimal;
  side: 'buy' | 'sell';
  symbol: string;
  leavesQty: Decimal;
  orderId: string;
  cumQty: Decimal;
  orderStatus: string;
}

/** One trade_updates message's data. */
export interface TradeUpdate {
  event: string;
  timestamp: string;
  order: Record<string, unknown>;
  execution_id?: string;
  price?: string;
  qty?: string;
  position_qty?: string;
}

export interface ExchangeOptions {
  assets: readonly ListedAsset[];
  clock: Clock;
  slippage: { baseBps: Decimal; jitterBps: Decimal };
  participation: Decimal;
  seed: number;
  /** Buying power per dollar of equity (Reg T margin: 2). */
  leverage: Decimal;
}

const BOT = parseBotId('standin');
const INTENT = parseIntentId('standin');
const TYPES = new Set(['market', 'limit', 'stop']);
const TIMES_IN_FORCE = new Set(['day', 'gtc', 'ioc']);

function compactTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:TZ.]/g, '');
}

export class Exchange {
  readonly #engine: PaperMatchingEngine;
  readonly #clock: Clock;
  readonly #leverage: Decimal;
  readonly #assets = new Map<string, ListedAsset>();
  readonly #accounts = new Map<string, Account>();
  readonly #byKey = new Map<string, Account>();
  readonly #bySubAccount = new Map<SubAccountId, Account>();
  readonly #listeners = new Set<(account: Account, update: TradeUpdate) => void>();
  #sequence = 0;

  constructor(options: ExchangeOptions) {
    this.#clock = options.clock;
    this.#leverage = options.leverage;
    for (const asset of options.assets) this.#assets.set(asset.symbol, asset);
    this.#engine = new PaperMatchingEngine(
      {
        name: 'ALPACA',
        session: randomUUID().replaceAll('-', '').slice(0, 12),
        seed: options.seed,
        instruments: options.assets.map((asset) => asset.instrument),
        // Alpaca charges no commission on US equities.
        fees: { makerRate: Decimal.ZERO, takerRate: Decimal.ZERO },
        slippage: options.slippage,
        partialFills: { participation: options.participation },
        accounts: [],
      },
      options.clock,
    );
  }

  onTradeUpdate(listener: (account: Account, update: TradeUpdate) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A new account with its own key pair and `cash` dollars. */
  createAccount(cash: Decimal): Account {
    const number = this.#accounts.size + 1;
    const account: Account = {
      id: randomUUID(),
      accountNumber: `PA${String(number).padStart(10, '0')}`,
      key: `PK${randomBytes(9).toString('hex').toUpperCase()}`,
      secret: randomBytes(30).toString('base64url'),
      subAccountId: parseSubAccountId(`account-${number}`),
      createdAt: this.#clock.now(),
      orders: new Map(),
      byClientId: new Map(),
      byEngineId: new Map(),
      fills: [],
    };
    this.#engine.openAccount({ subAccountId: account.subAccountId, balance: cash, leverage: this.#leverage });
    this.#accounts.set(account.id, account);
    this.#byKey.set(account.key, account);
    this.#bySubAccount.set(account.subAccountId, account);
    return account;
  }

  accounts(): Account[] {
    return [...this.#accounts.values()];
  }

  /** The account of a key pair; null when the key is unknown or the secret is not its own. */
  authenticate(key: string, secret: string): Account | null {
    const account = this.#byKey.get(key);
    return account !== undefined && account.secret === secret ? account : null;
  }

  assets(): ListedAsset[] {
    return [...this.#assets.values()];
  }

  asset(symbol: string): ListedAsset | undefined {
    return this.#assets.get(symbol);
  }

  lastPrice(symbol: string): Decimal | null {
    const asset = this.#assets.get(symbol);
    return asset === undefined ? null : this.#engine.lastPrice(asset.instrument.id);
  }

  placeOrder(account: Account, body: Body): AlpacaOrder {
    const orderClass = stringField(body, 'order_class') ?? 'simple';
    if (orderClass !== 'simple' && orderClass !== '' && orderClass !== 'oco') throw invalid(`order_class ${JSON.stringify(orderClass)} is not served by the stand-in (simple and oco orders only)`);
    if (body['notional'] !== undefined && body['notional'] !== null) throw invalid('notional orders are not served by the stand-in: send qty');
    if (body['extended_hours'] === true) throw invalid('extended_hours orders are not served by the stand-in');
    const symbol = stringField(body, 'symbol');
    const asset = symbol === null ? undefined : this.#assets.get(symbol);
    if (asset === undefined) throw invalid(`asset ${JSON.stringify(symbol)} not found`);
    const side = stringField(body, 'side');
    if (side !== 'buy' && side !== 'sell') throw invalid('side must be buy or sell');
    const type = stringField(body, 'type') ?? 'market';
    if (!TYPES.has(type)) throw invalid(`order type ${JSON.stringify(type)} is not served by the stand-in (market, limit, stop)`);
    const timeInForce = stringField(body, 'time_in_force') ?? 'day';
    if (!TIMES_IN_FORCE.has(timeInForce)) throw invalid(`time_in_force ${JSON.stringify(timeInForce)} is not served by the stand-in (day, gtc, ioc)`);
    const clientOrderId = stringField(body, 'client_order_id') ?? randomUUID();
    if (clientOrderId.length === 0 || clientOrderId.length > 128) throw invalid('client_order_id must be 1 to 128 characters');
    // Unique forever, even after the first order ended: "query, it exists".
    if (account.byClientId.has(clientOrderId)) throw invalid('client_order_id must be unique');
    const qty = decimalField(body, 'qty', true);
    if (orderClass === 'oco') return this.#placeOco(account, asset, body, { side, type, timeInForce, clientOrderId, qty });
    const limitPrice = decimalField(body, 'limit_price', false);
    const stopPrice = decimalField(body, 'stop_price', false);
    if (type === 'limit' && limitPrice === null) throw invalid('limit_price is required for a limit order');
    if (type !== 'limit' && limitPrice !== null) throw invalid(`limit_price is not allowed for a ${type} order`);
    if (type === 'stop' && stopPrice === null) throw invalid('stop_price is required for a stop order');
    if (type !== 'stop' && stopPrice !== null) throw invalid(`stop_price is not allowed for a ${type} order`);
    this.#checkQty(asset, qty);
    if (limitPrice !== null) this.#checkPrice(asset, limitPrice, 'limit_price');
    if (stopPrice !== null) {
      this.#checkPrice(asset, stopPrice, 'stop_price');
      this.#checkStopSide(side, stopPrice, this.#engine.lastPrice(asset.instrument.id));
    }
    this.#checkReservation(account, asset, side, qty, null);
    const order = this.#newOrder(account, asset, { side, type: type as AlpacaOrder['type'], timeInForce: timeInForce as AlpacaOrder['timeInForce'], clientOrderId, qty, limitPrice, stopPrice, orderClass: 'simple' });
    this.#apply(order.reports);
    return order.order;
  }

  /**
   * POST /v2/orders with order_class oco: the take-profit limit order (the parent, with the client_order_id sent) and
   * its stop-loss leg (a stop order Alpaca names itself), for the same shares, reserved once. A fill of one cancels the
   * other (a partial fill shrinks it to what is left); cancelling either cancels both.
   */
  #placeOco(account: Account, asset: ListedAsset, body: Body, common: { side: 'buy' | 'sell'; type: string; timeInForce: string; clientOrderId: string; qty: Decimal }): AlpacaOrder {
    const { side, type, timeInForce, clientOrderId, qty } = common;
    if (type !== 'limit') throw invalid('oco orders must be limit orders (the take-profit)');
    const takeProfit = body['take_profit'];
    const stopLoss = body['stop_loss'];
    if (typeof takeProfit !== 'object' || takeProfit === null) throw invalid('take_profit is required for an oco order');
    if (typeof stopLoss !== 'object' || stopLoss === null) throw invalid('stop_loss is required for an oco order');
    const limitPrice = decimalField(takeProfit as Body, 'limit_price', true);
    const topLimit = decimalField(body, 'limit_price', false);
    if (topLimit !== null && !topLimit.eq(limitPrice)) throw invalid('limit_price and take_profit.limit_price differ');
    const stopPrice = decimalField(stopLoss as Body, 'stop_price', true);
    if (decimalField(stopLoss as Body, 'limit_price', false) !== null) throw invalid('stop-limit legs are not served by the stand-in: send stop_loss.stop_price only');
    if (timeInForce !== 'day' && timeInForce !== 'gtc') throw invalid('oco orders must be day or gtc');
    this.#checkQty(asset, qty);
    this.#checkPrice(asset, limitPrice, 'take_profit.limit_price');
    this.#checkPrice(asset, stopPrice, 'stop_loss.stop_price');
    this.#checkStopSide(side, stopPrice, this.#engine.lastPrice(asset.instrument.id));
    this.#checkReservation(account, asset, side, qty, null);
    const tif = timeInForce as AlpacaOrder['timeInForce'];
    const parent = this.#newOrder(account, asset, { side, type: 'limit', timeInForce: tif, clientOrderId, qty, limitPrice, stopPrice: null, orderClass: 'oco' });
    const leg = this.#newOrder(account, asset, { side, type: 'stop', timeInForce: tif, clientOrderId: randomUUID(), qty, limitPrice: null, stopPrice, orderClass: 'oco' });
    parent.order.legs = [leg.order.id];
    leg.order.parentId = parent.order.id;
    this.#apply([...parent.reports, ...leg.reports]);
    return parent.order;
  }

  #newOrder(account: Account, asset: ListedAsset, fields: { side: 'buy' | 'sell'; type: AlpacaOrder['type']; timeInForce: AlpacaOrder['timeInForce']; clientOrderId: string; qty: Decimal; limitPrice: Decimal | null; stopPrice: Decimal | null; orderClass: AlpacaOrder['orderClass'] }): { order: AlpacaOrder; reports: ExecutionReport[] } {
    const { side, type, timeInForce, clientOrderId, qty, limitPrice, stopPrice } = fields;
    const now = this.#clock.now();
    const id = randomUUID();
    const engineId = id as ClientOrderId;
    const submit: SubmitOrder = {
      clientOrderId: engineId,
      botId: BOT,
      subAccountId: account.subAccountId,
      intentId: INTENT,
      instrumentId: asset.instrument.id,
      role: 'ENTRY',
      side: side === 'buy' ? 'BUY' : 'SELL',
      type: type === 'limit' ? 'LIMIT' : type === 'stop' ? 'STOP_MARKET' : 'MARKET',
      quantity: qty,
      limitPrice,
      triggerPrice: stopPrice,
      timeInForce: timeInForce === 'ioc' && type === 'limit' ? 'IOC' : 'GTC',
      reduceOnly: false,
      parentClientOrderId: null,
      activatesOnParentFill: false,
    };
    const reports = this.#engine.submit(submit);
    const first = reports[0];
    if (first?.type === 'ORDER_REJECTED') {
      if (first.reason === 'INSUFFICIENT_BALANCE') throw forbidden(`insufficient buying power (${first.detail})`);
      throw invalid(first.detail);
    }
    const order: AlpacaOrder = {
      id,
      clientOrderId,
      accountId: account.id,
      engineId,
      symbol: asset.symbol,
      assetId: asset.id,
      side,
      type,
      orderClass: fields.orderClass,
      legs: [],
      parentId: null,
      timeInForce,
      qty,
      limitPrice,
      stopPrice,
      status: 'new',
      filledQty: Decimal.ZERO,
      filledValue: Decimal.ZERO,
      createdAt: now,
      updatedAt: now,
      filledAt: null,
      canceledAt: null,
      expiredAt: null,
      failedAt: null,
      replacedAt: null,
      replacedBy: null,
      replaces: null,
      sequence: ++this.#sequence,
    };
    account.orders.set(id, order);
    account.byClientId.set(clientOrderId, order);
    account.byEngineId.set(engineId, order);
    return { order, reports };
  }

  /**
   * Alpaca holds the shares of open closing orders (sell against a long, buy against a short): a closing order for
   * more than the position less what other open closing orders hold is refused, 403 "insufficient qty available".
   * An oco's two orders hold the shares once. `replacing`: the order a PATCH replaces, whose shares are its own.
   */
  #checkReservation(account: Account, asset: ListedAsset, side: 'buy' | 'sell', qty: Decimal, replacing: AlpacaOrder | null): void {
    const position = this.#engine.positions(account.subAccountId).find((held) => held.instrumentId === asset.instrument.id)?.quantity ?? Decimal.ZERO;
    const closing = (side === 'sell' && position.isPositive()) || (side === 'buy' && position.isNegative());
    if (!closing) return;
    const group = (order: AlpacaOrder): string => order.parentId ?? order.id;
    const exclude = replacing === null ? null : group(replacing);
    const held = new Map<string, Decimal>();
    const related: string[] = [];
    for (const order of account.orders.values()) {
      if (order.symbol !== asset.symbol || order.side !== side || !OPEN_STATUSES.has(order.status)) continue;
      const key = group(order);
      if (key === exclude) continue;
      related.push(order.id);
      const rest = order.qty.sub(order.filledQty);
      held.set(key, Decimal.max(held.get(key) ?? Decimal.ZERO, rest));
    }
    const reserved = [...held.values()].reduce((sum, rest) => sum.add(rest), Decimal.ZERO);
    const available = Decimal.max(position.abs().sub(reserved), Decimal.ZERO);
    if (qty.gt(available)) {
      // Alpaca's body for this refusal carries the numbers and the orders holding the shares.
      throw forbidden(`insufficient qty available for order (requested: ${qty.toString()}, available: ${available.toString()})`, {
        available: available.toString(),
        existing_qty: position.abs().toString(),
        held_for_orders: reserved.toString(),
        related_orders: related,
        symbol: asset.symbol,
      });
    }
  }

  /** The orders of an oco group other than `order` (open or not). */
  siblings(account: Account, order: AlpacaOrder): AlpacaOrder[] {
    if (order.orderClass !== 'oco') return [];
    const parent = order.parentId === null ? order : account.orders.get(order.parentId);
    if (parent === undefined) return [];
    const members = [parent, ...parent.legs.map((id) => account.orders.get(id)).filter((leg): leg is AlpacaOrder => leg !== undefined)];
    return members.filter((member) => member.id !== order.id);
  }

  /** An oco parent's legs, for nested answers; null for any other order. */
  legsOf(account: Account, order: AlpacaOrder): AlpacaOrder[] | null {
    if (order.orderClass !== 'oco' || order.parentId !== null) return null;
    return order.legs.map((id) => account.orders.get(id)).filter((leg): leg is AlpacaOrder => leg !== undefined);
  }

  /** PATCH /v2/orders/{id}: a new order takes the old one's place; the old one is `replaced`. */
  replaceOrder(account: Account, id: string, body: Body): AlpacaOrder {
    const old = this.#openOrder(account, id, 'replace');
    if (!old.filledQty.isZero()) throw unprocessable('the stand-in replaces only orders with nothing filled');
    const asset = this.#assets.get(old.symbol) as ListedAsset;
    const changes: OrderChanges = {};
    const qty = decimalField(body, 'qty', false);
    const limitPrice = decimalField(body, 'limit_price', false);
    const stopPrice = decimalField(body, 'stop_price', false);
    const timeInForce = stringField(body, 'time_in_force');
    if (timeInForce !== null && timeInForce !== old.timeInForce) throw invalid('the stand-in does not change time_in_force on replace');
    if (qty !== null && !qty.eq(old.qty)) {
      this.#checkQty(asset, qty);
      if (qty.gt(old.qty)) this.#checkReservation(account, asset, old.side, qty, old);
      changes.quantity = qty;
    }
    if (limitPrice !== null && (old.limitPrice === null || !limitPrice.eq(old.limitPrice))) {
      if (old.type !== 'limit') throw invalid(`limit_price is not allowed for a ${old.type} order`);
      this.#checkPrice(asset, limitPrice, 'limit_price');
      changes.limitPrice = limitPrice;
    }
    if (stopPrice !== null && (old.stopPrice === null || !stopPrice.eq(old.stopPrice))) {
      if (old.type !== 'stop') throw invalid(`stop_price is not allowed for a ${old.type} order`);
      this.#checkPrice(asset, stopPrice, 'stop_price');
      this.#checkStopSide(old.side, stopPrice, this.#engine.lastPrice(asset.instrument.id));
      changes.triggerPrice = stopPrice;
    }
    if (Object.keys(changes).length === 0) throw invalid('the replacement changes nothing');
    const clientOrderId = stringField(body, 'client_order_id') ?? randomUUID();
    if (account.byClientId.has(clientOrderId)) throw invalid('client_order_id must be unique');
    const reports = this.#engine.amend(account.subAccountId, old.engineId, changes, asset.instrument.id);
    const first = reports[0];
    if (first?.type === 'AMEND_REJECTED') {
      if (first.reason === 'INSUFFICIENT_BALANCE') throw forbidden(`insufficient buying power (${first.detail})`);
      throw unprocessable(first.detail);
    }
    const now = this.#clock.now();
    const replacement: AlpacaOrder = {
      ...old,
      id: randomUUID(),
      clientOrderId,
      qty: changes.quantity ?? old.qty,
      limitPrice: changes.limitPrice ?? old.limitPrice,
      stopPrice: changes.triggerPrice ?? old.stopPrice,
      status: 'new',
      createdAt: now,
      updatedAt: now,
      replaces: old.id,
      replacedAt: null,
      replacedBy: null,
      sequence: ++this.#sequence,
    };
    replacement.legs = [...old.legs];
    // An oco keeps its two orders linked through a replace of either.
    for (const legId of replacement.legs) {
      const leg = account.orders.get(legId);
      if (leg !== undefined) leg.parentId = replacement.id;
    }
    const parent = old.parentId === null ? undefined : account.orders.get(old.parentId);
    if (parent !== undefined) parent.legs = parent.legs.map((legId) => (legId === old.id ? replacement.id : legId));
    old.status = 'replaced';
    old.replacedAt = now;
    old.replacedBy = replacement.id;
    old.updatedAt = now;
    account.orders.set(replacement.id, replacement);
    account.byClientId.set(clientOrderId, replacement);
    account.byEngineId.set(replacement.engineId, replacement);
    this.#publish(account, { event: 'replaced', timestamp: new Date(now).toISOString(), order: orderJson(old) });
    this.#publish(account, { event: 'new', timestamp: new Date(now).toISOString(), order: orderJson(replacement) });
    // The amendment itself is the replacement; what follows it (a fill on arrival) is the new order's.
    this.#apply(reports.slice(1));
    return replacement;
  }

  /** DELETE /v2/orders/{id}; an oco's orders go together, whichever of them is named. */
  cancelOrder(account: Account, id: string): void {
    const order = this.#openOrder(account, id, 'cancel');
    const reports = this.#engine.cancel(account.subAccountId, order.engineId);
    if (reports[0]?.type === 'CANCEL_REJECTED') throw unprocessable(`order is already in "${order.status}" state`);
    this.#apply(reports);
    for (const sibling of this.siblings(account, order)) this.#cancelQuietly(account, sibling);
  }

  #cancelQuietly(account: Account, order: AlpacaOrder): void {
    if (!OPEN_STATUSES.has(order.status)) return;
    const reports = this.#engine.cancel(account.subAccountId, order.engineId);
    if (reports[0]?.type !== 'CANCEL_REJECTED') this.#apply(reports);
  }

  /** One-cancels-the-other: a complete fill cancels the siblings; a partial one shrinks them to what is left. */
  #afterOcoFill(account: Account, order: AlpacaOrder): void {
    const rest = order.qty.sub(order.filledQty);
    for (const sibling of this.siblings(account, order)) {
      if (!OPEN_STATUSES.has(sibling.status)) continue;
      if (!rest.isPositive()) {
        this.#cancelQuietly(account, sibling);
        continue;
      }
      const asset = this.#assets.get(sibling.symbol) as ListedAsset;
      const wanted = sibling.filledQty.add(rest);
      if (wanted.gte(sibling.qty)) continue;
      const reports = this.#engine.amend(account.subAccountId, sibling.engineId, { quantity: wanted }, asset.instrument.id);
      if (reports[0]?.type === 'ORDER_AMENDED') {
        sibling.qty = wanted;
        sibling.updatedAt = this.#clock.now();
        this.#apply(reports.slice(1));
      }
    }
  }

  order(account: Account, id: string): AlpacaOrder {
    const order = account.orders.get(id);
    if (order === undefined) throw notFound();
    return order;
  }

  orderByClientId(account: Account, clientOrderId: string): AlpacaOrder {
    const order = account.byClientId.get(clientOrderId);
    if (order === undefined) throw notFound();
    return order;
  }

  /** One closed 1m bar: the engine matches every account's resting orders along its path. */
  onMinute(candle: Candle): void {
    this.#apply(this.#engine.onCandle(candle));
  }

  positions(account: Account): Array<{ symbol: string; asset: ListedAsset; qty: Decimal; averagePrice: Decimal; price: Decimal }> {
    const rows = [];
    for (const position of this.#engine.positions(account.subAccountId)) {
      const asset = this.assets().find((listed) => listed.instrument.id === position.instrumentId);
      if (asset === undefined || position.quantity.isZero()) continue;
      const price = this.#engine.lastPrice(position.instrumentId) ?? position.averagePrice;
      rows.push({ symbol: asset.symbol, asset, qty: position.quantity, averagePrice: position.averagePrice, price });
    }
    return rows;
  }

  /** The engine's cash (positions bought on margin, as a perpetual) and free margin, for the account's figures. */
  funds(account: Account): { engineBalance: Decimal; equity: Decimal; freeMargin: Decimal; leverage: Decimal } {
    return {
      engineBalance: this.#engine.balance(account.subAccountId),
      equity: this.#engine.equity(account.subAccountId),
      freeMargin: this.#engine.freeMargin(account.subAccountId),
      leverage: this.#leverage,
    };
  }

  #apply(reports: readonly ExecutionReport[]): void {
    for (const report of reports) {
      if (report.type === 'FUNDING_SETTLED') continue;
      const account = this.#bySubAccount.get(report.subAccountId);
      const engineId = report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : report.clientOrderId;
      const order = account?.byEngineId.get(engineId);
      if (account === undefined || order === undefined) continue;
      const at = report.type === 'ORDER_FILLED' ? report.fill.at : report.at;
      const timestamp = new Date(at).toISOString();
      switch (report.type) {
        case 'ORDER_ACCEPTED':
          order.updatedAt = at;
          this.#publish(account, { event: 'new', timestamp, order: orderJson(order) });
          break;
        case 'ORDER_FILLED': {
          const { fill } = report;
          order.filledQty = report.cumulativeQuantity;
          order.filledValue = order.filledValue.add(fill.price.mul(fill.quantity));
          const done = report.leavesQuantity.isZero();
          order.status = done ? 'filled' : 'partially_filled';
          order.updatedAt = at;
          if (done) order.filledAt = at;
          const executionId = randomUUID();
          const positionQty = this.#engine.positions(account.subAccountId).find((position) => position.instrumentId === fill.instrumentId)?.quantity ?? Decimal.ZERO;
          account.fills.push({
            // Alpaca's activity ID is "<time>::<uuid>"; nothing documents that the uuid is the stream's execution_id,
            // so the stand-in makes them differ and an adapter cannot lean on it.
            id: `${compactTime(at)}::${randomUUID()}`,
            executionId,
            transactionTime: at,
            type: done ? 'fill' : 'partial_fill',
            price: fill.price,
            qty: fill.quantity,
            side: order.side,
            symbol: order.symbol,
            leavesQty: report.leavesQuantity,
            orderId: order.id,
            cumQty: report.cumulativeQuantity,
            orderStatus: order.status,
          });
          this.#publish(account, {
            event: done ? 'fill' : 'partial_fill',
            timestamp,
            order: orderJson(order),
            execution_id: executionId,
            price: fill.price.toString(),
            qty: fill.quantity.toString(),
            position_qty: positionQty.toString(),
          });
          if (order.orderClass === 'oco') this.#afterOcoFill(account, order);
          break;
        }
        case 'ORDER_CANCELED':
          order.status = 'canceled';
          order.canceledAt = at;
          order.updatedAt = at;
          this.#publish(account, { event: 'canceled', timestamp, order: orderJson(order) });
          break;
        case 'ORDER_EXPIRED':
          order.status = 'expired';
          order.expiredAt = at;
          order.updatedAt = at;
          this.#publish(account, { event: 'expired', timestamp, order: orderJson(order) });
          break;
        case 'ORDER_REJECTED':
          order.status = 'rejected';
          order.failedAt = at;
          order.updatedAt = at;
          this.#publish(account, { event: 'rejected', timestamp, order: orderJson(order) });
          break;
        case 'ORDER_AMENDED':
          // Alpaca has no event for this; the engine cuts only reduce-only orders, which the stand-in never places.
          order.qty = report.quantity;
          order.updatedAt = at;
          break;
        case 'CANCEL_REJECTED':
        case 'AMEND_REJECTED':
          break;
      }
    }
  }

  #publish(account: Account, update: TradeUpdate): void {
    for (const listener of this.#listeners) listener(account, update);
  }

  #openOrder(account: Account, id: string, verb: 'replace' | 'cancel'): AlpacaOrder {
    const order = account.orders.get(id);
    if (order === undefined) throw notFound();
    if (!OPEN_STATUSES.has(order.status)) throw unprocessable(`order is already in "${order.status}" state; it cannot ${verb === 'replace' ? 'be replaced' : 'be canceled'}`);
    return order;
  }

  #checkQty(asset: ListedAsset, qty: Decimal): void {
    if (!qty.isPositive()) throw invalid('qty must be > 0');
    if (!qty.isMultipleOf(asset.instrument.lotStep)) throw invalid(`qty ${qty.toString()} is not a multiple of min_trade_increment ${asset.instrument.lotStep.toString()}`);
    if (qty.lt(asset.instrument.minQuantity)) throw invalid(`qty ${qty.toString()} is below min_order_size ${asset.instrument.minQuantity.toString()}`);
  }

  #checkPrice(asset: ListedAsset, price: Decimal, name: string): void {
    if (!price.isPositive()) throw invalid(`${name} must be > 0`);
    if (!price.isMultipleOf(asset.instrument.tickSize)) throw invalid(`invalid ${name} ${price.toString()}. sub-penny increment does not fulfill minimum pricing criteria (price_increment ${asset.instrument.tickSize.toString()})`);
  }

  /** A stop the last price has already passed would trigger at once; Alpaca refuses it. */
  #checkStopSide(side: 'buy' | 'sell', stop: Decimal, last: Decimal | null): void {
    if (last === null) return;
    if (side === 'sell' && stop.gte(last)) throw unprocessable(`stop price ${stop.toString()} must be below the current price ${last.toString()} for a sell stop order`);
    if (side === 'buy' && stop.lte(last)) throw unprocessable(`stop price ${stop.toString()} must be above the current price ${last.toString()} for a buy stop order`);
  }
}
