import type { Decimal } from '../../../../core/decimal.ts';
import { BybitError, makeCursor, optionalInteger, optionalString, readCursor, requiredDecimal } from '../wire.ts';
import { ok, type RouteTable } from './route.ts';

/** Universal transfers between the master and its sub-members (the master's key only), and the coins held. */

/** Amounts arrive as decimal strings, as for orders; anything else is Bybit's "Amount error". */
function transferAmount(value: unknown): Decimal {
  try {
    return requiredDecimal({ amount: value }, 'amount');
  } catch (error) {
    if (error instanceof BybitError) throw new BybitError('TRANSFER_AMOUNT_ERROR', 'amount must be a decimal string such as "1000"');
    throw error;
  }
}

export const assetRoutes: RouteTable = {
  'POST /v5/asset/transfer/save-transfer-sub-member': {
    access: 'master',
    handle: ({ exchange, params }) => {
      exchange.accounts.enableUniversalTransfer(params['subMemberIds']);
      return ok({});
    },
  },

  'POST /v5/asset/transfer/universal-transfer': {
    access: 'master',
    handle: ({ exchange, params, marketNow }) => {
      const transfer = exchange.accounts.transfer(params as Record<string, unknown>, (uid, amount) => exchange.moveCash(uid, amount), transferAmount, marketNow);
      return ok({ transferId: transfer.transferId, status: 'SUCCESS' });
    },
  },

  'GET /v5/asset/transfer/query-universal-transfer-list': {
    access: 'master',
    handle: ({ exchange, params }) => {
      const transferId = optionalString(params, 'transferId');
      const limit = optionalInteger(params, 'limit', 1, 50) ?? 20;
      const offset = readCursor(params) ?? 0;
      const all = exchange.accounts.transfers().filter((transfer) => transferId === undefined || transfer.transferId === transferId);
      const list = all.slice(offset, offset + limit).map((transfer) => ({
        transferId: transfer.transferId,
        coin: transfer.coin,
        amount: transfer.amount.toString(),
        fromMemberId: String(transfer.fromMemberId),
        toMemberId: String(transfer.toMemberId),
        fromAccountType: transfer.fromAccountType,
        toAccountType: transfer.toAccountType,
        timestamp: String(transfer.timestamp),
        status: 'SUCCESS',
      }));
      return ok({ list, nextPageCursor: offset + limit < all.length ? makeCursor(offset + limit) : '' });
    },
  },

  'GET /v5/asset/coin/query-info': {
    access: 'read',
    handle: ({ exchange, params }) => {
      const coin = optionalString(params, 'coin');
      const coins = ['USDT', ...exchange.instruments().map((listed) => listed.baseCoin)].filter((name) => coin === undefined || name === coin);
      const rows = coins.map((name) => ({
        name,
        coin: name,
        remainAmount: '0',
        chains: [{ chain: name, chainType: name, confirmation: '1', withdrawFee: '0', depositMin: '0', withdrawMin: '0', minAccuracy: '8', chainDeposit: '0', chainWithdraw: '0', withdrawPercentageFee: '0', contractAddress: '', safeConfirmNumber: '1', withdrawMax: '0' }],
      }));
      return ok({ rows });
    },
  },
};
