import { Decimal } from '../../../../core/decimal.ts';
import { instrumentWire } from '../instruments.ts';
import { INTERVALS, type Kline } from '../kline-book.ts';
import { makeCursor, optionalInteger, optionalString, parameterError, readCursor, requiredEnum, requiredString } from '../wire.ts';
import { ok, type RouteContext, type RouteTable } from './route.ts';

/** Public market data: server time, instruments (paged), klines (newest first), tickers. Linear only; other categories are empty. */

const CATEGORIES = ['linear', 'spot', 'inverse', 'option'] as const;

function linearSymbol(context: RouteContext): string {
  const category = requiredEnum(context.params, 'category', CATEGORIES);
  if (category !== 'linear') throw parameterError(`category ${category} is not served: the stand-in lists linear perpetuals only`);
  const symbol = requiredString(context.params, 'symbol');
  if (context.exchange.instrument(symbol) === undefined) throw parameterError(`symbol ${JSON.stringify(symbol)} is not listed`);
  return symbol;
}

function klineRow(kline: Kline): string[] {
  return [String(kline.start), kline.open.toString(), kline.high.toString(), kline.low.toString(), kline.close.toString(), kline.volume.toString(), kline.turnover.toString()];
}

export const marketRoutes: RouteTable = {
  'GET /v5/market/time': {
    access: 'public',
    handle: ({ now }) => ok({ timeSecond: String(Math.floor(now / 1000)), timeNano: (BigInt(now) * 1_000_000n).toString() }),
  },

  'GET /v5/market/instruments-info': {
    access: 'public',
    handle: ({ params, exchange, marketNow }) => {
      const category = requiredEnum(params, 'category', CATEGORIES);
      const symbol = optionalString(params, 'symbol');
      const baseCoin = optionalString(params, 'baseCoin');
      const status = optionalString(params, 'status') ?? 'Trading';
      const limit = optionalInteger(params, 'limit', 1, 1000) ?? 500;
      const offset = readCursor(params) ?? 0;
      // Only linear perpetuals are listed, all of them Trading; other categories and statuses are empty.
      const listed = category !== 'linear' || status !== 'Trading' ? [] : exchange.instruments().filter((one) => (symbol === undefined || one.symbol === symbol) && (baseCoin === undefined || one.baseCoin === baseCoin));
      const page = listed.slice(offset, offset + limit);
      const more = offset + limit < listed.length;
      return ok({ category, list: page.map((one) => instrumentWire(one, marketNow - 365 * 86_400_000)), nextPageCursor: more ? makeCursor(offset + limit) : '' });
    },
  },

  'GET /v5/market/kline': {
    access: 'public',
    handle: (context) => {
      const symbol = linearSymbol(context);
      const { params } = context;
      const interval = requiredEnum(params, 'interval', INTERVALS);
      const start = optionalInteger(params, 'start', 0, Number.MAX_SAFE_INTEGER);
      const end = optionalInteger(params, 'end', 0, Number.MAX_SAFE_INTEGER);
      const limit = optionalInteger(params, 'limit', 1, 1000) ?? 200;
      const rows = context.market.klines.list(symbol, interval, limit, start, end).map(klineRow);
      return ok({ category: 'linear', symbol, list: rows });
    },
  },

  'GET /v5/market/tickers': {
    access: 'public',
    handle: ({ params, exchange, market }) => {
      const category = requiredEnum(params, 'category', CATEGORIES);
      if (category !== 'linear') return ok({ category, list: [] });
      const symbol = optionalString(params, 'symbol');
      const list = exchange
        .instruments()
        .filter((one) => symbol === undefined || one.symbol === symbol)
        .map((one) => {
          const last = exchange.lastPrice(one.symbol);
          // The last day's minutes, as far as the kline book still holds them.
          const day = market.klines.list(one.symbol, '1', 1440);
          const oldest = day[day.length - 1];
          const high = day.reduce<Decimal | null>((max, kline) => (max === null || kline.high.gt(max) ? kline.high : max), null);
          const low = day.reduce<Decimal | null>((min, kline) => (min === null || kline.low.lt(min) ? kline.low : min), null);
          const price = last === null ? '' : last.toString();
          return {
            symbol: one.symbol,
            lastPrice: price,
            indexPrice: price,
            markPrice: price,
            prevPrice24h: oldest === undefined ? '' : oldest.open.toString(),
            price24hPcnt: oldest === undefined || last === null ? '' : last.sub(oldest.open).div(oldest.open).round(6).toString(),
            highPrice24h: high === null ? '' : high.toString(),
            lowPrice24h: low === null ? '' : low.toString(),
            volume24h: Decimal.sum(day.map((kline) => kline.volume)).toString(),
            turnover24h: Decimal.sum(day.map((kline) => kline.turnover)).toString(),
            fundingRate: '0',
            nextFundingTime: '0',
            openInterest: '0',
            openInterestValue: '0',
            bid1Price: price,
            bid1Size: '0',
            ask1Price: price,
            ask1Size: '0',
          };
        });
      return ok({ category, list });
    },
  },
};
