import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { dec } from '../../../core/decimal.ts';
import { parseExposureKey, parseInstrumentId, parseSubAccountId } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import { parseOrderManagerConfig } from '../../../supervisor/order-manager/config.ts';
import { AlpacaVenue } from '../../../venues/alpaca/alpaca-venue.ts';
import { AlpacaStandin } from '../../../venues/alpaca/standin/standin.ts';
import { ALPHA, configInput, d, intent } from '../../supervisor/order-manager/fixture.ts';
import { Run } from '../../supervisor/order-manager/venue-run.ts';

/**
 * An exit by signal through the real order manager and ledger, on the Alpaca adapter against its stand-in (which
 * holds the shares of open closing orders as Alpaca does): the bracket's oco is freed, the close fills under its own
 * ID, the pair ends cancelled, and the protection keeper never finds the position unprotected.
 */
const QQQ = parseInstrumentId('QQQ.ALPACA');
const config = parseOrderManagerConfig(
  configInput(
    {
      instruments: [{ id: QQQ, kind: 'EQUITY', tickSize: '0.01', lotStep: '1', minQuantity: '1', minNotional: '1', exposure: { key: 'NDX', beta: '1' } }],
      exposureKeys: { NDX: { policy: 'exclusive' } },
    },
    { alpha: { subAccountId: 'alpha' } },
  ),
);

describe('an exit by signal through the order manager on Alpaca', () => {
  let standin: AlpacaStandin | undefined;
  let venue: AlpacaVenue | undefined;
  let run: Run | undefined;
  let dir = '';
  afterEach(async () => {
    run?.close();
    await venue?.stop();
    await standin?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['the whole position', '10', '0'],
    ['part of the position', '4', '6'],
  ])('exits %s while an oco holds the shares: the close fills under its own ID and the position is never unprotected', async (_what, exit, left) => {
    const clock = new ManualClock(Date.UTC(2024, 10, 26, 15, 0));
    standin = await AlpacaStandin.start({ instruments: [{ id: QQQ, kind: 'EQUITY', tickSize: '0.01', lotStep: '1', minQuantity: '1', minNotional: '1', exposure: { key: 'NDX', beta: '1' }, startPrice: '480' }], clock });
    const bar = (price: string): void => {
      clock.advance(60_000);
      standin!.pushBar('QQQ', { open: price, high: price, low: price, close: price });
    };
    bar('480');
    venue = new AlpacaVenue({
      name: 'ALPACA',
      environment: standin.url,
      credentials: new Map([[parseSubAccountId('alpha'), standin.createAccount()]]),
      instruments: [{ id: QQQ, kind: 'EQUITY', tickSize: dec('0.01'), lotStep: dec('1'), minQuantity: dec('1'), minNotional: dec('1'), exposureKey: parseExposureKey('NDX'), beta: dec('1') }],
      clock,
      logger: silentLogger,
    });
    await venue.start();
    dir = mkdtempSync(join(tmpdir(), 'flotilla-alpaca-exit-'));
    run = new Run(dir, config, venue, clock);
    const r = run;
    r.om.updateMark(QQQ, d('480'));
    expect(r.om.submitIntent(intent(ALPHA, QQQ, 'BUY', { quantity: '10', stop: '470', takeProfit: '500' })).outcome).toBe('APPROVED');
    bar('480');
    const working = (role: string): boolean => r.ledger.openOrders().some((order) => order.role === role && order.status === 'ACCEPTED');
    await r.until(() => r.ledger.position(QQQ)?.quantity.eq(d('10')) === true && working('STOP') && working('TAKE_PROFIT'), 'the entry filled and its oco working');
    const decision = r.om.submitIntent(intent(ALPHA, QQQ, 'SELL', { quantity: exit, reduceOnly: true }));
    expect(decision.outcome, decision.detail).toBe('APPROVED');
    const close = decision.clientOrderId!;
    await r.until(() => r.ledger.order(close)?.status === 'FILLED', 'the close filled');
    await r.until(() => (left === '0' ? !working('STOP') && !working('TAKE_PROFIT') : r.ledger.openOrders().find((order) => order.role === 'STOP')?.quantity.eq(d(left)) === true), 'the protection shrunk to what is left');
    r.om.checkProtection();
    await r.om.idle();
    expect(r.ledger.order(close)).toMatchObject({ role: 'CLOSE', status: 'FILLED' });
    expect(r.ledger.position(QQQ)?.quantity.toString() ?? '0').toBe(left);
    expect(r.events.filter((event) => event.type === 'PROTECTION_REPAIRED')).toEqual([]);
    expect(r.om.unprotectedPositions(ALPHA)).toEqual([]);
    expect(r.ledger.openOrders().filter((order) => order.role === 'CLOSE' || order.role === 'ENTRY')).toEqual([]);
  });
});
