import { dec } from '../../../core/decimal.ts';
import { formatLedgerEpoch, makeClientOrderId, parseBotId } from '../../../core/ids.ts';
import { btc } from '../bybit/fixtures.ts';
import { setupCcxt } from '../ccxt/fixtures.ts';
import { describeVenueContract } from './venue-contract.ts';

/** The ccxt adapter, with ccxt's own bybit client, against the Bybit stand-in on 127.0.0.1 over real HTTP and WebSocket. */

describeVenueContract('ccxt (bybit) on the Bybit stand-in', async () => {
  const setup = await setupCcxt({ accounts: ['alpha', 'beta'], start: false });
  const [account, other] = setup.accounts;
  const epoch = formatLedgerEpoch(Date.UTC(2026, 0, 1));
  return {
    venue: setup.venue,
    account: account!,
    other: other!,
    instrument: btc,
    startingBalance: dec('100000'),
    id: (role, sequence) => makeClientOrderId(parseBotId('alpha'), epoch, role, sequence),
    trade: async (price) => setup.trade(price),
    candle: async (open, high, low, close) => setup.candle(open, high, low, close),
    close: () => setup.close(),
  };
});
