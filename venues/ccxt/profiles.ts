import type { Exchange, Order, Trade } from 'ccxt';
import type { Side } from '../../core/intent.ts';
import { classifyCode } from '../bybit/codes.ts';
import { readExecution } from '../bybit/executions.ts';
import { fundingPaymentOf, isFunding, type FundingPayment } from '../bybit/funding.ts';
import type { CodeReader, Outcome } from './outcomes.ts';

/**
 * What the adapter must know of an exchange that ccxt's unified API does not say: how an order is named by its
 * client order ID when it is cancelled, amended or asked for; how a stop is placed; where the exchange's own error
 * code hides in a ccxt error and what each code means; where a trade carries its client order ID. An exchange
 * without a profile is refused at start (capabilities.ts): guessing any of these would break "cancel by ID only"
 * or settle an unknown outcome wrongly. Add a profile only with the contract suite passing against the exchange.
 */

export interface ExchangeProfile {
  /** The request parameter that names an order by its client order ID in cancel, amend and order queries. */
  clientIdParam: string;
  /** Whether the exchange refuses a client order ID it has seen before, even after that order ended. */
  clientIdUniqueForever: boolean;
  codes: CodeReader;
  /** ccxt options always set for this exchange (on top of the configured ones). */
  options(marketType: string): Record<string, unknown>;
  /** `has` entries overridden for this exchange. */
  has: Record<string, boolean>;
  /** Create parameters of a stop-market order (STOP_MARKET): the trigger, its direction, what it triggers on. */
  stopParams(side: Side, triggerPrice: string, reduceOnly: boolean): Record<string, unknown>;
  /** One order by its client order ID, open or ended; null when the exchange has none. */
  queryByClientId(client: Exchange, symbol: string, clientOrderId: string): Promise<Order | null>;
  /** The longest span one trade listing may ask for (Bybit: a week); null when the exchange sets none. */
  tradeWindowMs: number | null;
  /** Parameters of fetchMyTrades that make ccxt page through a whole window (the exchange lists newest first). */
  tradePageParams: Record<string, unknown>;
  /** The client order ID of one of the account's trades ("" for an order placed without one). */
  tradeClientOrderId(trade: Trade): string;
  /** The exchange's sequence of a trade, to order trades that share a millisecond; null when it has none. */
  tradeSequence(trade: Trade): number | null;
  /** The order's total quantity and what is left after this trade, when the trade says (as the exchange wrote them). */
  fillProgress(trade: Trade): { orderQuantity: unknown; leaves: unknown } | null;
  /** True for the private stream's message that confirms a subscription. */
  subscribed(message: unknown): boolean;
  /**
   * The funding payment in one of the exchange's raw rows (a streamed trade's or a funding-history entry's `info`);
   * null for a row that is not funding. Null as a whole for an exchange whose funding the adapter cannot read.
   */
  funding: ((info: unknown, where: string) => FundingPayment | null) | null;
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/** Bybit's error body is the JSON after "bybit " in ccxt's message: {"retCode":110072,"retMsg":...}. */
function bybitCode(error: Error): string | null {
  const start = error.message.indexOf('{');
  if (start < 0) return null;
  try {
    const body = JSON.parse(error.message.slice(start)) as unknown;
    const code = field(body, 'retCode') ?? field(body, 'ret_code');
    return typeof code === 'number' || typeof code === 'string' ? String(code) : null;
  } catch {
    return null;
  }
}

/** Bybit's own table (venues/bybit/codes.ts) in the adapter's terms. */
function bybitOutcome(code: string): Outcome | null {
  const found = classifyCode(Number(code));
  switch (found.kind) {
    case 'OK':
      return null;
    case 'REFUSED':
      return { kind: 'REFUSED', reason: found.reason, hint: found.hint };
    case 'ACCESS':
      return { kind: 'ACCESS', hint: found.hint };
    case 'RATE_LIMITED':
    case 'CLOCK':
    case 'UNKNOWN_OUTCOME':
    case 'NOT_FOUND':
    case 'DUPLICATE':
      return { kind: found.kind };
  }
}

const bybit: ExchangeProfile = {
  clientIdParam: 'orderLinkId',
  clientIdUniqueForever: true,
  codes: {
    codeOf: bybitCode,
    // Spot's duplicate client ID and unknown order have codes of their own.
    classify: (code) => (code === '170141' ? { kind: 'DUPLICATE' } : code === '170213' ? { kind: 'NOT_FOUND' } : bybitOutcome(code)),
  },
  options: (marketType) => ({
    // Flotilla trades unified accounts only: without these, ccxt asks /v5/user/query-api before its first private call.
    enableUnifiedAccount: true,
    enableUnifiedMargin: false,
    // Only the category traded is loaded: every other category's instruments are thousands of markets never used.
    fetchMarkets: { types: [marketType === 'spot' ? 'spot' : 'linear'] },
    // ccxt drops Funding executions from the trade stream by default; the adapter books them as they settle.
    watchMyTrades: { execType: ['Trade', 'AdlTrade', 'BustTrade', 'Settle', 'Funding'] },
  }),
  // With a key, loadMarkets would also ask /v5/asset/coin/query-info, which a trading key may not read.
  has: { fetchCurrencies: false },
  stopParams: (side, triggerPrice, reduceOnly) => ({
    triggerPrice,
    // A buy stop fires when the price rises to its trigger, a sell stop when it falls to it.
    triggerDirection: side === 'BUY' ? 'ascending' : 'descending',
    triggerBy: 'LastPrice',
    closeOnTrigger: reduceOnly,
  }),
  async queryByClientId(client, symbol, clientOrderId) {
    // /v5/order/realtime answers an orderLinkId in any recent status; /v5/order/history holds older ones.
    for (const fetch of [client.fetchOpenOrders.bind(client), client.fetchClosedOrders.bind(client)]) {
      const found = (await fetch(symbol, undefined, undefined, { orderLinkId: clientOrderId })).find((order) => order.clientOrderId === clientOrderId);
      if (found !== undefined) return found;
    }
    return null;
  },
  tradeWindowMs: 7 * 86_400_000,
  // ccxt follows Bybit's nextPageCursor; a hundred pages of 100 is ten thousand trades in a week.
  tradePageParams: { paginate: true, paginationCalls: 100, maxEntriesPerRequest: 100 },
  tradeClientOrderId: (trade) => {
    const id = field(trade.info, 'orderLinkId');
    return typeof id === 'string' ? id : '';
  },
  tradeSequence: (trade) => {
    const seq = field(trade.info, 'seq');
    const number = typeof seq === 'number' ? seq : typeof seq === 'string' && /^\d{1,16}$/.test(seq) ? Number(seq) : Number.NaN;
    return Number.isSafeInteger(number) ? number : null;
  },
  fillProgress: (trade) => {
    const orderQuantity = field(trade.info, 'orderQty');
    const leaves = field(trade.info, 'leavesQty');
    return orderQuantity === undefined || orderQuantity === '' || leaves === undefined || leaves === '' ? null : { orderQuantity, leaves };
  },
  subscribed: (message) => field(message, 'op') === 'subscribe' && field(message, 'success') === true,
  // Bybit's funding is an execution of execType Funding, read as the Bybit adapter reads it (../bybit/funding.ts).
  funding: (info, where) => (field(info, 'execType') === 'Funding' ? fundingOfExecution(info, where) : null),
};

function fundingOfExecution(info: unknown, where: string): FundingPayment | null {
  const execution = readExecution(info, where);
  return isFunding(execution) ? fundingPaymentOf(execution) : null;
}

/** Exchanges (ccxt ids) with a profile; see README.md for which pass the contract suite. */
export const PROFILES: Readonly<Record<string, ExchangeProfile>> = { bybit };
