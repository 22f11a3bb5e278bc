import { requireLinear } from '../order-params.ts';
import { positionWire, walletWire } from '../wire-shapes.ts';
import { BybitError, makeCursor, optionalInteger, optionalString, parameterError, readCursor, requiredString } from '../wire.ts';
import { ok, type RouteTable } from './route.ts';

/** A UID's positions, wallet and account settings. */

export const accountRoutes: RouteTable = {
  'GET /v5/position/list': {
    access: 'read',
    handle: ({ params, exchange, uid }) => {
      requireLinear(params);
      const symbol = optionalString(params, 'symbol');
      const baseCoin = optionalString(params, 'baseCoin');
      const settleCoin = optionalString(params, 'settleCoin');
      if (symbol === undefined && settleCoin === undefined && baseCoin === undefined) throw parameterError('symbol, baseCoin or settleCoin is required for linear');
      if (settleCoin !== undefined && settleCoin !== 'USDT') throw parameterError('settleCoin must be USDT');
      const limit = optionalInteger(params, 'limit', 1, 200) ?? 20;
      const offset = readCursor(params) ?? 0;
      let facts;
      if (symbol !== undefined) {
        if (exchange.instrument(symbol) === undefined) throw parameterError(`symbol ${JSON.stringify(symbol)} is not listed`);
        // Asked by symbol, a flat position is listed too (size "0", side ""), as Bybit does.
        facts = [exchange.position(uid, symbol)];
      } else {
        facts = exchange.positions(uid).filter((position) => baseCoin === undefined || exchange.instrument(position.symbol)?.baseCoin === baseCoin);
      }
      const page = facts.slice(offset, offset + limit);
      return ok({ category: 'linear', list: page.map((position) => positionWire(position)), nextPageCursor: offset + limit < facts.length ? makeCursor(offset + limit) : '' });
    },
  },

  'GET /v5/account/wallet-balance': {
    access: 'read',
    handle: ({ params, exchange, uid }) => {
      const accountType = requiredString(params, 'accountType');
      const wallet = exchange.wallet(uid);
      if (accountType !== wallet.accountType) {
        throw wallet.accountType === 'UNIFIED' ? parameterError(`accountType ${accountType}: this is a unified account (UNIFIED)`) : new BybitError('UNIFIED_ONLY', 'this sub-member is a classic account (created without isUta); ask for accountType CONTRACT');
      }
      const coin = optionalString(params, 'coin');
      if (coin !== undefined && !coin.split(',').includes('USDT')) return ok({ list: [{ ...walletWire(wallet), coin: [] }] });
      return ok({ list: [walletWire(wallet)] });
    },
  },

  'GET /v5/account/info': {
    access: 'read',
    handle: ({ exchange, uid, marketNow }) => {
      const classic = exchange.accounts.member(uid)?.isUta === false;
      return ok({
        // 1 classic account, 6 UTA 2.0 Pro: what ccxt assumes when it cannot ask.
        unifiedMarginStatus: classic ? 1 : 6,
        marginMode: 'REGULAR_MARGIN',
        isMasterTrader: false,
        spotHedgingStatus: 'OFF',
        updatedTime: String(marketNow),
        dcpStatus: 'OFF',
        timeWindow: 10,
        smpGroup: 0,
      });
    },
  },
};
