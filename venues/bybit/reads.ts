import { Decimal } from '../../core/decimal.ts';
import { TemporaryVenueError, VenueReplyError } from '../../core/errors.ts';
import type { ClientOrderId, InstrumentId, SubAccountId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { VenuePosition } from '../../core/venue.ts';
import { classifyCode, refusalDetail } from './codes.ts';
import type { BybitHttp, Invoke, Reply } from './http.ts';
import { TransportError } from './http.ts';
import type { InstrumentMap } from './instruments.ts';
import { CATEGORY, readOrderRow, type BybitOrderRow } from './order-mapping.ts';
import type { Priority, RequestLane } from './rate-limit.ts';
import { readExecution, type ExecutionRow } from './executions.ts';
import type { ExecutionPage } from './fill-listing.ts';
import { pageOf, RowReader } from './wire.ts';

/**
 * Reading a sub-account: one order by orderLinkId, open orders, executions, positions and the wallet. Reads are
 * safe to repeat, so a read that fails on the wire is tried again a few times; one Bybit refuses is an error that
 * names the route and the retCode.
 */

const READ_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 100;

export interface ReadsOptions {
  http: BybitHttp;
  lane: (subAccountId: SubAccountId | null) => RequestLane;
  instruments: InstrumentMap;
  logger: Logger;
}

export class AccountReads {
  readonly #options: ReadsOptions;

  constructor(options: ReadsOptions) {
    this.#options = options;
  }

  /** A signed (or, for null, public) read through the sub-account's lane; Bybit's result, or an error naming what failed. */
  async read(subAccountId: SubAccountId | null, route: string, invoke: Invoke, priority: Priority = 'READ'): Promise<unknown> {
    const { http, lane } = this.#options;
    let resynced = false;
    for (let attempt = 1; ; attempt++) {
      let reply: Reply;
      try {
        reply = await lane(subAccountId).schedule(priority, route, () => http.call(subAccountId, route, invoke));
      } catch (error) {
        if (!(error instanceof TransportError) || attempt >= READ_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS * attempt));
        continue;
      }
      const found = classifyCode(reply.retCode);
      if (found.kind === 'OK') return reply.result;
      if (found.kind === 'CLOCK' && !resynced) {
        resynced = true;
        await http.syncClock();
        continue;
      }
      if (found.kind === 'UNKNOWN_OUTCOME' && attempt < READ_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS * attempt));
        continue;
      }
      throw new TemporaryVenueError(`${route}: ${refusalDetail(reply.retCode, reply.retMsg)}`);
    }
  }

  /** One order by its orderLinkId, open or recently ended (realtime), else from the order history; null when Bybit has none. */
  async order(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, priority: Priority = 'READ'): Promise<BybitOrderRow | null> {
    const symbol = this.#options.instruments.symbol(instrumentId);
    for (const [route, invoke] of [
      ['GET /v5/order/realtime', (client) => client.getActiveOrders({ category: CATEGORY, symbol, orderLinkId: clientOrderId })],
      ['GET /v5/order/history', (client) => client.getHistoricOrders({ category: CATEGORY, symbol, orderLinkId: clientOrderId })],
    ] as Array<[string, Invoke]>) {
      const { list } = pageOf(await this.read(subAccountId, route, invoke, priority), route);
      for (const [index, row] of list.entries()) {
        const order = readOrderRow(row, `${route} list[${index}]`);
        if (order !== null && order.orderLinkId === clientOrderId) return order;
      }
    }
    return null;
  }

  /** Every open order of the sub-account (USDT perpetuals), Flotilla's or not. */
  async openOrders(subAccountId: SubAccountId): Promise<BybitOrderRow[]> {
    const route = 'GET /v5/order/realtime';
    const orders: BybitOrderRow[] = [];
    let cursor = '';
    do {
      const page = pageOf(await this.read(subAccountId, route, (client) => client.getActiveOrders({ category: CATEGORY, settleCoin: 'USDT', openOnly: 0, limit: 50, ...(cursor === '' ? {} : { cursor }) })), route);
      for (const [index, row] of page.list.entries()) {
        const order = readOrderRow(row, `${route} list[${index}]`);
        if (order === null) this.#options.logger.warn({ subAccountId, row: index }, 'an open order has a status Flotilla does not know; it is left out');
        else if (order.status === 'ACCEPTED' || order.status === 'PARTIALLY_FILLED') orders.push(order);
      }
      cursor = page.next;
    } while (cursor !== '');
    return orders;
  }

  async positions(subAccountId: SubAccountId): Promise<VenuePosition[]> {
    const route = 'GET /v5/position/list';
    const positions: VenuePosition[] = [];
    let cursor = '';
    do {
      const page = pageOf(await this.read(subAccountId, route, (client) => client.getPositionInfo({ category: CATEGORY, settleCoin: 'USDT', limit: 200, ...(cursor === '' ? {} : { cursor }) })), route);
      for (const [index, row] of page.list.entries()) {
        const reader = new RowReader(row, `${route} list[${index}]`);
        const size = reader.decimal('size');
        if (size.isZero()) continue;
        const instrumentId = this.#options.instruments.instrumentId(reader.string('symbol'));
        if (instrumentId === null) continue;
        const side = reader.string('side');
        if (side !== 'Buy' && side !== 'Sell') throw new VenueReplyError(`${route} list[${index}]: side must be Buy or Sell for a position of size ${size.toString()}`);
        positions.push({ instrumentId, quantity: side === 'Buy' ? size : size.neg(), averagePrice: reader.decimal('avgPrice') });
      }
      cursor = page.next;
    } while (cursor !== '');
    return positions;
  }

  /** USDT in the unified account: the cash (wallet balance, without unrealized PnL) and the equity. */
  async wallet(subAccountId: SubAccountId): Promise<{ balance: Decimal; equity: Decimal }> {
    const route = 'GET /v5/account/wallet-balance';
    const result = await this.read(subAccountId, route, (client) => client.getWalletBalance({ accountType: 'UNIFIED', coin: 'USDT' }));
    const { list } = pageOf(result, route);
    const account = new RowReader(list[0], `${route} list[0]`);
    const coins = account.raw['coin'];
    if (!Array.isArray(coins)) throw new VenueReplyError(`${route}: list[0].coin must be a list`);
    const usdt = coins.map((coin, index) => new RowReader(coin, `${route} coin[${index}]`)).find((coin) => coin.optionalString('coin') === 'USDT');
    if (usdt === undefined) return { balance: Decimal.ZERO, equity: Decimal.ZERO };
    return { balance: usdt.decimal('walletBalance'), equity: usdt.decimal('equity') };
  }

  /** One page of executions in [startTime, endTime] (newest first at Bybit). */
  async executions(subAccountId: SubAccountId, startTime: number, endTime: number | null, cursor: string): Promise<ExecutionPage> {
    const route = 'GET /v5/execution/list';
    const result = await this.read(subAccountId, route, (client) =>
      client.getExecutionList({ category: CATEGORY, startTime, ...(endTime === null ? {} : { endTime }), limit: 100, ...(cursor === '' ? {} : { cursor }) }),
    );
    const page = pageOf(result, route);
    const rows: ExecutionRow[] = page.list.map((row, index) => readExecution(row, `${route} list[${index}]`));
    return { rows, next: page.next };
  }
}
