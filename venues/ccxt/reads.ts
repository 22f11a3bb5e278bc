import type { Exchange, FundingHistory, Trade } from 'ccxt';
import { Decimal } from '../../core/decimal.ts';
import { TemporaryVenueError } from '../../core/errors.ts';
import type { ClientOrderId, InstrumentId, SubAccountId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { VenuePosition } from '../../core/venue.ts';
import type { Redactor } from '../bybit/redact.ts';
import { decimalOf, decimalOrNull } from './amounts.ts';
import type { Markets } from './markets.ts';
import { readOrder, type OrderRow } from './order-mapping.ts';
import { describeError, outcomeOf } from './outcomes.ts';
import type { ExchangeProfile } from './profiles.ts';

/**
 * Reading a sub-account through its ccxt client: one order by client order ID, open orders, positions, the balance,
 * trades in a time window. Reads are safe to repeat, so one that fails on the wire (or is rate-limited) is tried
 * again a few times; one the exchange refuses is a TemporaryVenueError that names what failed, scrubbed.
 */

const READ_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 100;

export interface ReadsOptions {
  client: (subAccountId: SubAccountId) => Exchange;
  profile: ExchangeProfile;
  markets: Markets;
  exchange: string;
  redactor: Redactor;
  logger: Logger;
}

export class AccountReads {
  readonly #options: ReadsOptions;

  constructor(options: ReadsOptions) {
    this.#options = options;
  }

  /** Runs a read with the sub-account's client, trying again on transient failures. */
  async read<T>(subAccountId: SubAccountId, what: string, run: (client: Exchange) => Promise<T>): Promise<T> {
    const client = this.#options.client(subAccountId);
    let resynced = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await run(client);
      } catch (error) {
        const outcome = outcomeOf(error, this.#options.profile.codes);
        if (outcome.kind === 'CLOCK' && !resynced) {
          resynced = true;
          await client.loadTimeDifference().catch(() => undefined);
          continue;
        }
        const transient = outcome.kind === 'UNKNOWN_OUTCOME' || outcome.kind === 'NOT_SENT' || outcome.kind === 'RATE_LIMITED';
        if (!transient || attempt >= READ_ATTEMPTS) throw new TemporaryVenueError(`${this.#options.exchange} ${what}: ${describeError(error, this.#options.redactor)}`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS * attempt));
      }
    }
  }

  /** One order by its client order ID, open or ended; null when the exchange has none. */
  async order(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<OrderRow | null> {
    const symbol = this.#options.markets.symbol(instrumentId);
    if (symbol === null) return null;
    const found = await this.read(subAccountId, `order ${clientOrderId}`, (client) => this.#options.profile.queryByClientId(client, symbol, clientOrderId));
    return found === null ? null : this.#row(found);
  }

  /** Every open order on the fleet's markets, Flotilla's or not. */
  async openOrders(subAccountId: SubAccountId): Promise<OrderRow[]> {
    const rows: OrderRow[] = [];
    for (const symbol of this.#options.markets.symbols) {
      for (const order of await this.read(subAccountId, `open orders on ${symbol}`, (client) => client.fetchOpenOrders(symbol))) {
        const row = this.#row(order);
        if (row !== null && (row.status === 'ACCEPTED' || row.status === 'PARTIALLY_FILLED')) rows.push(row);
      }
    }
    return rows;
  }

  /** Open positions on the fleet's markets (signed quantity, entry price) and the sum of their unrealized PnL. */
  async positions(subAccountId: SubAccountId): Promise<{ positions: VenuePosition[]; unrealized: Decimal }> {
    const { markets, exchange } = this.#options;
    // One market per request: some exchanges (Bybit) take no list of symbols, and the fleet's markets are few.
    const listed = [];
    for (const symbol of markets.symbols) listed.push(...(await this.read(subAccountId, `positions on ${symbol}`, (client) => client.fetchPositions([symbol]))));
    const positions: VenuePosition[] = [];
    let unrealized = Decimal.ZERO;
    for (const position of listed) {
      const where = `${exchange} position ${position.symbol}`;
      const contracts = decimalOrNull(position.contracts, `${where} contracts`) ?? Decimal.ZERO;
      if (contracts.isZero()) continue;
      const instrumentId = markets.instrumentId(position.symbol);
      if (instrumentId === null) continue;
      unrealized = unrealized.add(decimalOrNull(position.unrealizedPnl, `${where} unrealizedPnl`) ?? Decimal.ZERO);
      const size = contracts.abs();
      positions.push({ instrumentId, quantity: position.side === 'short' ? size.neg() : size, averagePrice: decimalOf(position.entryPrice, `${where} entryPrice`) });
    }
    return { positions, unrealized };
  }

  /** The settlement currency's total (cash, without unrealized PnL). */
  async balance(subAccountId: SubAccountId): Promise<Decimal> {
    const { markets, exchange } = this.#options;
    const balances = await this.read(subAccountId, 'balance', (client) => client.fetchBalance());
    const account = (balances as unknown as Record<string, { total?: unknown } | undefined>)[markets.settle];
    return decimalOrNull(account?.total, `${exchange} balance ${markets.settle}.total`) ?? Decimal.ZERO;
  }

  /** The account's trades on one market in [since, until] (until null: as far as the exchange goes), in one listing. */
  async trades(subAccountId: SubAccountId, symbol: string, since: number, until: number | null): Promise<Trade[]> {
    const { profile } = this.#options;
    return this.read(subAccountId, `trades on ${symbol}`, (client) => client.fetchMyTrades(symbol, since, undefined, { ...profile.tradePageParams, ...(until === null ? {} : { until }) }));
  }

  /** The account's funding history on one market in [since, until], in one listing (raw rows in `info`). */
  async funding(subAccountId: SubAccountId, symbol: string, since: number, until: number | null): Promise<FundingHistory[]> {
    const { profile } = this.#options;
    return this.read(subAccountId, `funding on ${symbol}`, (client) => client.fetchFundingHistory(symbol, since, undefined, { ...profile.tradePageParams, ...(until === null ? {} : { until }) }));
  }

  #row(order: Parameters<typeof readOrder>[0]): OrderRow | null {
    const row = readOrder(order, this.#options.exchange);
    if (row === null) this.#options.logger.warn({ orderId: order.id, status: order.status }, 'an order has a status ccxt did not unify; it is left to reconciliation');
    return row;
  }
}
