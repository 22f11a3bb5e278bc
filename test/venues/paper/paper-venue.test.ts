import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { dec } from '../../../core/decimal.ts';
import type { Logger } from '../../../core/logger.ts';
import type { ExecutionReport } from '../../../core/order.ts';
import type { Venue } from '../../../core/venue.ts';
import { PaperVenue } from '../../../venues/paper/paper-venue.ts';
import { ALPHA, BTC, ETH, candle, events, order, orderId, paperConfig, price } from './fixtures.ts';

function capturingLogger(): Logger & { errors: { fields: object; message: string }[] } {
  const errors: { fields: object; message: string }[] = [];
  const logger: Logger & { errors: typeof errors } = {
    errors,
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (fields, message) => errors.push({ fields, message }),
    child: () => logger,
  };
  return logger;
}

function makeVenue() {
  const logger = capturingLogger();
  const venue = new PaperVenue(paperConfig(), new ManualClock(), { logger });
  const seen: ExecutionReport[] = [];
  venue.onExecutionReport((report) => seen.push(report));
  return { venue, logger, seen };
}

describe('PaperVenue', () => {
  it('implements the Venue interface under the configured name', () => {
    const venue: Venue = makeVenue().venue;

    expect(venue.name).toBe('PAPER');
  });

  it('delivers a call’s reports to every listener, in order, before the call settles', async () => {
    const { venue, seen } = makeVenue();
    const second: string[] = [];
    venue.onExecutionReport((report) => second.push(report.type));
    venue.pushCandle(price('100'));

    const pending = venue.submitOrder(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '1' }));

    expect(seen.map((report) => report.type)).toEqual(['ORDER_ACCEPTED', 'ORDER_FILLED']);
    expect(second).toEqual(['ORDER_ACCEPTED', 'ORDER_FILLED']);
    await pending;
  });

  it('delivers the fills a pushed candle causes', async () => {
    const { venue, seen } = makeVenue();
    venue.pushCandle(price('100'));
    await venue.submitOrder(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '98' }));

    venue.pushCandle(candle('100', '100', '97', '99'));

    expect(events(seen)).toEqual([`ORDER_ACCEPTED ${orderId('ENTRY', 1)}`, `ORDER_FILLED ${orderId('ENTRY', 1)}`]);
    expect(await venue.positions(ALPHA)).toHaveLength(1);
    expect((await venue.balance(ALPHA)).toString()).toBe('10000');
  });

  it('keeps delivering to other listeners and later reports when a listener throws, and logs the error', async () => {
    const logger = capturingLogger();
    const throwing = new PaperVenue(paperConfig(), new ManualClock(), { logger });
    const after: string[] = [];
    throwing.onExecutionReport(() => {
      throw new Error('listener bug');
    });
    throwing.onExecutionReport((report) => after.push(report.type));
    throwing.pushCandle(price('100'));

    await throwing.submitOrder(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '1' }));
    await throwing.submitOrder(order({ id: orderId('ENTRY', 2), side: 'SELL', type: 'MARKET', quantity: '1' }));

    expect(after).toEqual(['ORDER_ACCEPTED', 'ORDER_FILLED', 'ORDER_ACCEPTED', 'ORDER_FILLED']);
    expect(logger.errors).toHaveLength(4);
    expect(logger.errors[1]?.fields).toMatchObject({ reportType: 'ORDER_FILLED', clientOrderId: orderId('ENTRY', 1) });
  });

  it('queues reports raised from inside a listener behind the reports still being delivered', async () => {
    const { venue, seen } = makeVenue();
    venue.pushCandle(price('100'));
    const entry = orderId('ENTRY', 1);
    const stop = orderId('STOP', 2);
    const heard: string[] = [];
    venue.onExecutionReport((report) => {
      heard.push(report.type);
      if (report.type === 'ORDER_ACCEPTED' && report.clientOrderId === entry) {
        void venue.submitOrder(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '95', parent: entry }));
      }
    });

    await venue.submitOrder(order({ id: entry, side: 'BUY', type: 'MARKET', quantity: '1' }));

    // The stop's acceptance comes after the entry's fill, as the engine produced them, for every listener.
    expect(events(seen)).toEqual([`ORDER_ACCEPTED ${entry}`, `ORDER_FILLED ${entry}`, `ORDER_ACCEPTED ${stop}`]);
    expect(heard).toEqual(['ORDER_ACCEPTED', 'ORDER_FILLED', 'ORDER_ACCEPTED']);
  });

  it('cancels by sub-account, instrument and client order ID, and lists open orders', async () => {
    const { venue, seen } = makeVenue();
    venue.pushCandle(price('100'));
    const id = orderId('ENTRY', 1);
    await venue.submitOrder(order({ id, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '90' }));

    expect(await venue.openOrders(ALPHA)).toMatchObject([{ clientOrderId: id, instrumentId: BTC }]);
    await venue.cancelOrder(ALPHA, ETH, id);
    await venue.cancelOrder(ALPHA, BTC, id);

    expect(seen.slice(1).map((report) => report.type)).toEqual(['CANCEL_REJECTED', 'ORDER_CANCELED']);
    expect(await venue.openOrders(ALPHA)).toEqual([]);
  });

  it('amends by sub-account, instrument and client order ID, says it can, and delivers the outcome', async () => {
    const { venue, seen } = makeVenue();
    venue.pushCandle(price('100'));
    const id = orderId('ENTRY', 1);
    await venue.submitOrder(order({ id, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '90' }));

    expect(venue.capabilities.amend).toBe(true);
    await venue.amendOrder(ALPHA, ETH, id, { limitPrice: dec('91') });
    await venue.amendOrder(ALPHA, BTC, id, { limitPrice: dec('91'), quantity: dec('2') });

    expect(seen.slice(1).map((report) => report.type)).toEqual(['AMEND_REJECTED', 'ORDER_AMENDED']);
    expect(await venue.openOrders(ALPHA)).toMatchObject([{ clientOrderId: id, leavesQuantity: dec('2') }]);
  });

  it('delivers what restoring an order causes', () => {
    const { venue, seen } = makeVenue();
    venue.pushCandle(price('100'));
    const id = orderId('ENTRY', 1);

    venue.restoreOrder({ order: order({ id, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '90' }), filledQuantity: dec('0'), venueOrderId: null });

    expect(events(seen)).toEqual([`ORDER_ACCEPTED ${id}`]);
  });

  it('has no cancel-everything operation anywhere in the paper venue source', () => {
    const directory = fileURLToPath(new URL('../../../venues/paper/', import.meta.url));
    const forbidden = new RegExp(['cancel', '_?all'].join(''), 'i');
    const sources = readdirSync(directory).filter((file) => file.endsWith('.ts') || file.endsWith('.md'));

    expect(sources.length).toBeGreaterThan(5);
    for (const file of sources) expect(readFileSync(`${directory}${file}`, 'utf8')).not.toMatch(forbidden);
  });
});
