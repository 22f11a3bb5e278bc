import { ManualClock } from '../../../core/clock.ts';
import { dec } from '../../../core/decimal.ts';
import { formatLedgerEpoch, makeClientOrderId, parseBotId, parseExposureKey, parseInstrumentId, parseSubAccountId } from '../../../core/ids.ts';
import type { Instrument } from '../../../core/instrument.ts';
import { silentLogger } from '../../../core/logger.ts';
import { PaperVenue } from '../../../venues/paper/paper-venue.ts';
import { describeVenueContract } from './venue-contract.ts';

/** The paper venue in process, with the stand-in's fees and no slippage. */

const instrument: Instrument = {
  id: parseInstrumentId('BTCUSDT.PAPER'),
  kind: 'PERPETUAL',
  tickSize: dec('0.1'),
  lotStep: dec('0.001'),
  minQuantity: dec('0.001'),
  minNotional: dec('5'),
  exposureKey: parseExposureKey('BTC'),
  beta: dec('1'),
};

describeVenueContract('paper', async () => {
  const clock = new ManualClock();
  const account = parseSubAccountId('alpha');
  const other = parseSubAccountId('beta');
  const startingBalance = dec('100000');
  const venue = new PaperVenue(
    {
      name: 'PAPER',
      seed: 7,
      session: 'contract',
      instruments: [instrument],
      fees: { makerRate: dec('0.0002'), takerRate: dec('0.00055') },
      slippage: { baseBps: dec('0'), jitterBps: dec('0') },
      partialFills: { participation: dec('1') },
      accounts: [
        { subAccountId: account, balance: startingBalance, leverage: dec('10') },
        { subAccountId: other, balance: startingBalance, leverage: dec('10') },
      ],
    },
    clock,
    { logger: silentLogger },
  );
  const candle = async (open: string, high: string, low: string, close: string): Promise<void> => {
    clock.advance(60_000);
    venue.pushCandle({ instrumentId: instrument.id, openTime: clock.now() - 60_000, durationMs: 60_000, open: dec(open), high: dec(high), low: dec(low), close: dec(close), volume: dec('1000000') });
  };
  await candle('60000', '60000', '60000', '60000');
  const epoch = formatLedgerEpoch(Date.UTC(2026, 0, 1));
  return {
    venue,
    account,
    other,
    instrument,
    startingBalance,
    id: (role, sequence) => makeClientOrderId(parseBotId('alpha'), epoch, role, sequence),
    trade: (price) => candle(price, price, price, price),
    candle,
    close: () => venue.stop(),
  };
});
