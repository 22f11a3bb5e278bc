import { ManualClock } from '../../../core/clock.ts';
import { dec } from '../../../core/decimal.ts';
import { formatLedgerEpoch, makeClientOrderId, parseBotId, parseExposureKey, parseInstrumentId, parseSubAccountId } from '../../../core/ids.ts';
import type { Instrument } from '../../../core/instrument.ts';
import { silentLogger } from '../../../core/logger.ts';
import { AlpacaVenue } from '../../../venues/alpaca/alpaca-venue.ts';
import { AlpacaStandin } from '../../../venues/alpaca/standin/standin.ts';
import { describeVenueContract } from './venue-contract.ts';

/** The Alpaca adapter against its stand-in on 127.0.0.1, over real HTTP and WebSocket, with two accounts (two key pairs). */

const instrument: Instrument = {
  id: parseInstrumentId('FRAC.ALPACA'),
  kind: 'EQUITY',
  tickSize: dec('0.1'),
  lotStep: dec('0.001'),
  minQuantity: dec('0.001'),
  minNotional: dec('5'),
  exposureKey: parseExposureKey('FRAC'),
  beta: dec('1'),
};

describeVenueContract('alpaca on the stand-in', async () => {
  const clock = new ManualClock(Date.UTC(2024, 10, 26, 15, 0));
  const standin = await AlpacaStandin.start({
    instruments: [{ id: instrument.id, kind: 'EQUITY', tickSize: '0.1', lotStep: '0.001', minQuantity: '0.001', minNotional: '5', exposure: { key: 'FRAC', beta: '1' }, startPrice: '60000' }],
    clock,
  });
  const account = parseSubAccountId('alpha');
  const other = parseSubAccountId('beta');
  const venue = new AlpacaVenue({
    name: 'ALPACA',
    environment: standin.url,
    credentials: new Map([
      [account, standin.createAccount()],
      [other, standin.createAccount()],
    ]),
    instruments: [instrument],
    clock,
    logger: silentLogger,
  });
  const candle = async (open: string, high: string, low: string, close: string): Promise<void> => {
    clock.advance(60_000);
    standin.pushBar('FRAC', { open, high, low, close });
  };
  await candle('60000', '60000', '60000', '60000');
  const epoch = formatLedgerEpoch(Date.UTC(2026, 0, 1));
  return {
    venue,
    account,
    other,
    instrument,
    startingBalance: dec('100000'),
    id: (role, sequence) => makeClientOrderId(parseBotId('alpha'), epoch, role, sequence),
    trade: (price) => candle(price, price, price, price),
    candle,
    close: async () => {
      await venue.stop();
      await standin.stop();
    },
    listing: ['0.1', '0.001', '0.001', '1'],
  };
});
