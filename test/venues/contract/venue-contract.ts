import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec, type Decimal } from '../../../core/decimal.ts';
import { parseBotId, parseIntentId, type ClientOrderId, type OrderRole, type SubAccountId } from '../../../core/ids.ts';
import type { Instrument } from '../../../core/instrument.ts';
import type { OrderType, Side } from '../../../core/intent.ts';
import type { ExecutionReport, SubmitOrder } from '../../../core/order.ts';
import type { Venue, VenueConnectionEvent } from '../../../core/venue.ts';

/**
 * The venue contract (core/venue.ts), one suite for every adapter (after Hummingbot's shared connector tests): the
 * paper venue in process and the Bybit adapter against the stand-in over real HTTP and WebSocket both pass it.
 * Reports may arrive synchronously (paper) or later (a remote venue): the suite waits for them, never sleeps.
 */

export interface VenueFixture {
  venue: Venue;
  /** A funded sub-account, and a second one that the tests leave alone. */
  account: SubAccountId;
  other: SubAccountId;
  /** Tick 0.1, lot 0.001, minimum notional 5; its last price is 60000 when the fixture is made. */
  instrument: Instrument;
  startingBalance: Decimal;
  /** A client order ID of the fixture's bot. */
  id(role: OrderRole, sequence: number): ClientOrderId;
  /** Moves the market: the next minute's flat candle at `price`, or a candle with a range; fills it causes follow. */
  trade(price: string): Promise<void>;
  candle(open: string, high: string, low: string, close: string): Promise<void>;
  close(): Promise<void>;
  /** What the venue lists for the instrument as [tick, lot, minimum quantity, minimum notional], when it differs from the instrument's own (Alpaca publishes no minimum notional). */
  listing?: [string, string, string, string];
}

class Reports {
  readonly all: ExecutionReport[] = [];
  readonly connections: VenueConnectionEvent[] = [];
  readonly #waiters: Array<() => void> = [];

  add(report: ExecutionReport): void {
    this.all.push(report);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  connection(event: VenueConnectionEvent): void {
    this.connections.push(event);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  of(id: string): ExecutionReport[] {
    return this.all.filter((report) => report.type !== 'FUNDING_SETTLED' && (report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : report.clientOrderId) === id);
  }

  types(id: string): string[] {
    return this.of(id).map((report) => report.type);
  }

  async until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; reports: ${this.all.map((report) => `${report.type} ${report.type === 'FUNDING_SETTLED' ? '' : report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : report.clientOrderId}`).join(', ')}`);
      // Woken by the next report or connection event; a timer only bounds the wait.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.#waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  async next<T extends ExecutionReport['type']>(type: T, id: string): Promise<Extract<ExecutionReport, { type: T }>> {
    const find = (): ExecutionReport | undefined => this.of(id).find((report) => report.type === type);
    await this.until(() => find() !== undefined, `${type} ${id}`);
    return find() as Extract<ExecutionReport, { type: T }>;
  }
}

export function describeVenueContract(name: string, makeFixture: () => Promise<VenueFixture>): void {
  describe(`the venue contract: ${name}`, () => {
    let fixture: VenueFixture;
    let reports: Reports;
    let venue: Venue;

    const make = (spec: { id: ClientOrderId; side: Side; type: OrderType; quantity: string; limit?: string; trigger?: string; reduceOnly?: boolean; parent?: ClientOrderId; role?: OrderRole }): SubmitOrder => ({
      clientOrderId: spec.id,
      botId: parseBotId(spec.id.slice(0, spec.id.indexOf('_'))),
      subAccountId: fixture.account,
      intentId: parseIntentId(`intent-${spec.id}`),
      instrumentId: fixture.instrument.id,
      role: spec.role ?? 'ENTRY',
      side: spec.side,
      type: spec.type,
      quantity: dec(spec.quantity),
      limitPrice: spec.limit === undefined ? null : dec(spec.limit),
      triggerPrice: spec.trigger === undefined ? null : dec(spec.trigger),
      timeInForce: 'GTC',
      reduceOnly: spec.reduceOnly ?? false,
      parentClientOrderId: spec.parent ?? null,
      activatesOnParentFill: spec.parent !== undefined,
    });

    beforeEach(async () => {
      fixture = await makeFixture();
      venue = fixture.venue;
      reports = new Reports();
      venue.onExecutionReport((report) => reports.add(report));
      venue.onConnectionEvent((event) => reports.connection(event));
      await venue.start();
    });

    afterEach(async () => {
      await fixture.close();
    });

    it('connects on start (CONNECTED), and a second start changes nothing', async () => {
      await reports.until(() => reports.connections.some((event) => event.type === 'CONNECTED'), 'CONNECTED');
      const seen = reports.connections.length;
      await venue.start();
      expect(reports.connections).toHaveLength(seen);
      expect(venue.capabilities.maxBatchCancel).toBeGreaterThanOrEqual(1);
    });

    it('accepts a limit order and lists it among the open orders with its fields', async () => {
      const id = fixture.id('ENTRY', 1);
      await venue.submitOrder(make({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000' }));
      const accepted = await reports.next('ORDER_ACCEPTED', id);
      const open = (await venue.openOrders(fixture.account)).filter((order) => order.clientOrderId === id);
      expect(open).toHaveLength(1);
      expect(open[0]).toMatchObject({ clientOrderId: id, venueOrderId: accepted.venueOrderId, instrumentId: fixture.instrument.id, side: 'BUY', type: 'LIMIT', status: 'ACCEPTED', triggerPrice: null, reduceOnly: false });
      expect(open[0]?.quantity.toString()).toBe('0.01');
      expect(open[0]?.leavesQuantity.toString()).toBe('0.01');
      expect(open[0]?.filledQuantity.toString()).toBe('0');
      expect(open[0]?.limitPrice?.toString()).toBe('59000');
    });

    it('creates nothing new when a client order ID is submitted again, and reports the order it has', async () => {
      const id = fixture.id('ENTRY', 1);
      const order = make({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000' });
      await venue.submitOrder(order);
      const first = await reports.next('ORDER_ACCEPTED', id);
      await venue.submitOrder(order);
      await reports.until(() => reports.types(id).filter((type) => type === 'ORDER_ACCEPTED').length >= 1, 'the state of the order');
      expect(reports.types(id).every((type) => type === 'ORDER_ACCEPTED')).toBe(true);
      for (const report of reports.of(id)) expect(report).toMatchObject({ venueOrderId: first.venueOrderId });
      expect((await venue.openOrders(fixture.account)).filter((open) => open.clientOrderId === id)).toHaveLength(1);
    });

    it('fills a market order: the trade, the position, the cash', async () => {
      const id = fixture.id('ENTRY', 1);
      await venue.submitOrder(make({ id, side: 'BUY', type: 'MARKET', quantity: '0.01' }));
      const filled = await reports.next('ORDER_FILLED', id);
      expect(filled.fill).toMatchObject({ clientOrderId: id, instrumentId: fixture.instrument.id, side: 'BUY', liquidity: 'TAKER' });
      expect(filled.fill.quantity.toString()).toBe('0.01');
      expect(filled.fill.price.toString()).toBe('60000');
      expect(filled.leavesQuantity.toString()).toBe('0');
      expect(filled.cumulativeQuantity.toString()).toBe('0.01');
      const positions = await venue.positions(fixture.account);
      expect(positions.map((position) => [position.instrumentId, position.quantity.toString(), position.averagePrice.toString()])).toEqual([[fixture.instrument.id, '0.01', '60000']]);
      expect((await venue.balance(fixture.account)).toString()).toBe(fixture.startingBalance.sub(filled.fill.fee).toString());
      await fixture.trade('60100');
      // Equity is the cash plus the position's gain at the new price.
      expect((await venue.equity(fixture.account)).toString()).toBe(fixture.startingBalance.sub(filled.fill.fee).add(dec('1')).toString());
    });

    it('cancels a resting order by its client order ID: ORDER_CANCELED, no longer open, queried as CANCELED', async () => {
      const id = fixture.id('ENTRY', 1);
      await venue.submitOrder(make({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000' }));
      await reports.next('ORDER_ACCEPTED', id);
      await venue.cancelOrder(fixture.account, fixture.instrument.id, id);
      await reports.next('ORDER_CANCELED', id);
      expect((await venue.openOrders(fixture.account)).filter((order) => order.clientOrderId === id)).toEqual([]);
      const ended = await venue.queryOrder(fixture.account, fixture.instrument.id, id);
      expect(ended).toMatchObject({ clientOrderId: id, status: 'CANCELED' });
      expect(ended?.leavesQuantity.toString()).toBe('0');
    });

    it('answers a cancel of an order it never had with CANCEL_REJECTED (UNKNOWN_ORDER)', async () => {
      const id = fixture.id('ENTRY', 9);
      await venue.cancelOrder(fixture.account, fixture.instrument.id, id);
      const rejected = await reports.next('CANCEL_REJECTED', id);
      expect(rejected.reason).toBe('UNKNOWN_ORDER');
    });

    it('cancels several orders by ID in one call', async () => {
      const ids = [1, 2, 3].map((sequence) => fixture.id('ENTRY', sequence));
      for (const [index, id] of ids.entries()) await venue.submitOrder(make({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: String(59000 - index * 100) }));
      for (const id of ids) await reports.next('ORDER_ACCEPTED', id);
      await venue.cancelOrders(fixture.account, ids.map((clientOrderId) => ({ instrumentId: fixture.instrument.id, clientOrderId })));
      for (const id of ids) await reports.next('ORDER_CANCELED', id);
      expect(await venue.openOrders(fixture.account)).toEqual([]);
    });

    it("amends a resting limit's price and quantity in place, keeping its IDs", async () => {
      const id = fixture.id('ENTRY', 1);
      await venue.submitOrder(make({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000' }));
      const accepted = await reports.next('ORDER_ACCEPTED', id);
      await venue.amendOrder(fixture.account, fixture.instrument.id, id, { limitPrice: dec('59500'), quantity: dec('0.02') });
      const amended = await reports.next('ORDER_AMENDED', id);
      expect([amended.quantity.toString(), amended.limitPrice?.toString(), amended.triggerPrice]).toEqual(['0.02', '59500', null]);
      const now = await venue.queryOrder(fixture.account, fixture.instrument.id, id);
      expect(now).toMatchObject({ venueOrderId: accepted.venueOrderId, status: 'ACCEPTED' });
      expect([now?.quantity.toString(), now?.limitPrice?.toString()]).toEqual(['0.02', '59500']);
    });

    it("amends a stop's trigger in place", async () => {
      const id = fixture.id('ENTRY', 1);
      await venue.submitOrder(make({ id, side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', trigger: '59000' }));
      await reports.next('ORDER_ACCEPTED', id);
      await venue.amendOrder(fixture.account, fixture.instrument.id, id, { triggerPrice: dec('58500') });
      const amended = await reports.next('ORDER_AMENDED', id);
      expect(amended.triggerPrice?.toString()).toBe('58500');
      expect((await venue.queryOrder(fixture.account, fixture.instrument.id, id))?.triggerPrice?.toString()).toBe('58500');
    });

    it('answers queryOrder for an open order, an ended one, and one it never received (null)', async () => {
      const open = fixture.id('ENTRY', 1);
      const filled = fixture.id('ENTRY', 2);
      await venue.submitOrder(make({ id: open, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000' }));
      await venue.submitOrder(make({ id: filled, side: 'BUY', type: 'MARKET', quantity: '0.01' }));
      await reports.next('ORDER_ACCEPTED', open);
      await reports.next('ORDER_FILLED', filled);
      expect(await venue.queryOrder(fixture.account, fixture.instrument.id, open)).toMatchObject({ clientOrderId: open, status: 'ACCEPTED', type: 'LIMIT', side: 'BUY' });
      const ended = await venue.queryOrder(fixture.account, fixture.instrument.id, filled);
      expect(ended).toMatchObject({ clientOrderId: filled, status: 'FILLED', type: 'MARKET' });
      expect(ended?.filledQuantity.toString()).toBe('0.01');
      expect(await venue.queryOrder(fixture.account, fixture.instrument.id, fixture.id('ENTRY', 3))).toBeNull();
    });

    it('pages fills oldest first, and its cursor continues exactly where it stopped', async () => {
      const ids = [1, 2, 3].map((sequence) => fixture.id('ENTRY', sequence));
      for (const [index, id] of ids.entries()) {
        await venue.submitOrder(make({ id, side: index % 2 === 0 ? 'BUY' : 'SELL', type: 'MARKET', quantity: '0.01' }));
        await reports.next('ORDER_FILLED', id);
      }
      const tradeIds = await Promise.all(ids.map(async (id) => (await reports.next('ORDER_FILLED', id)).fill.tradeId));
      const first = await venue.fillsSince(fixture.account, null, 2);
      expect(first.fills.map((fill) => fill.clientOrderId)).toEqual(ids.slice(0, 2));
      expect(first.complete).toBe(false);
      const second = await venue.fillsSince(fixture.account, first.cursor, 2);
      expect(second.fills.map((fill) => fill.clientOrderId)).toEqual(ids.slice(2));
      expect(second.complete).toBe(true);
      expect([...first.fills, ...second.fills].map((fill) => fill.tradeId)).toEqual(tradeIds);
      const nothing = await venue.fillsSince(fixture.account, second.cursor);
      expect(nothing.fills).toEqual([]);
      expect(nothing.complete).toBe(true);

      const later = fixture.id('ENTRY', 4);
      await venue.submitOrder(make({ id: later, side: 'SELL', type: 'MARKET', quantity: '0.01' }));
      await reports.next('ORDER_FILLED', later);
      const after = await venue.fillsSince(fixture.account, nothing.cursor ?? second.cursor);
      expect(after.fills.map((fill) => fill.clientOrderId)).toEqual([later]);
      expect(after.fills[0]).toMatchObject({ side: 'SELL', instrumentId: fixture.instrument.id, liquidity: 'TAKER' });
    });

    it("keeps each sub-account's positions and cash its own", async () => {
      const id = fixture.id('ENTRY', 1);
      await venue.submitOrder(make({ id, side: 'SELL', type: 'MARKET', quantity: '0.02' }));
      await reports.next('ORDER_FILLED', id);
      expect((await venue.positions(fixture.account)).map((position) => position.quantity.toString())).toEqual(['-0.02']);
      expect(await venue.positions(fixture.other)).toEqual([]);
      expect((await venue.balance(fixture.other)).toString()).toBe(fixture.startingBalance.toString());
      expect((await venue.equity(fixture.other)).toString()).toBe(fixture.startingBalance.toString());
      expect((await venue.fillsSince(fixture.other, null)).fills).toEqual([]);
    });

    it('lists its instruments with tick size, lot step and minimums', async () => {
      const listed = (await venue.instruments()).find((instrument) => instrument.instrumentId === fixture.instrument.id);
      expect(listed).toBeDefined();
      expect([listed?.tickSize.toString(), listed?.lotStep.toString(), listed?.minQuantity.toString(), listed?.minNotional.toString()]).toEqual(fixture.listing ?? ['0.1', '0.001', '0.001', '5']);
    });

    it("holds a bracket's children until the entry fills, then protects what filled; a filled take-profit ends the stop", async () => {
      const entry = fixture.id('ENTRY', 1);
      const stop = fixture.id('STOP', 2);
      const takeProfit = fixture.id('TAKE_PROFIT', 3);
      await venue.submitOrder(make({ id: entry, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59900' }));
      await venue.submitOrder(make({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', trigger: '59000', reduceOnly: true, parent: entry, role: 'STOP' }));
      await venue.submitOrder(make({ id: takeProfit, side: 'SELL', type: 'LIMIT', quantity: '0.01', limit: '60500', reduceOnly: true, parent: entry, role: 'TAKE_PROFIT' }));
      await reports.next('ORDER_ACCEPTED', entry);
      expect(reports.types(stop)).toEqual([]);
      expect(await venue.queryOrder(fixture.account, fixture.instrument.id, stop)).toMatchObject({ status: 'ACCEPTED', venueOrderId: null });

      await fixture.candle('60000', '60000', '59850', '59950');
      await reports.next('ORDER_FILLED', entry);
      await reports.next('ORDER_ACCEPTED', stop);
      await reports.next('ORDER_ACCEPTED', takeProfit);
      const working = await venue.queryOrder(fixture.account, fixture.instrument.id, stop);
      expect(working?.venueOrderId).not.toBeNull();
      expect(working?.triggerPrice?.toString()).toBe('59000');

      await fixture.candle('59950', '60600', '59950', '60550');
      await reports.next('ORDER_FILLED', takeProfit);
      await reports.next('ORDER_CANCELED', stop);
      expect(await venue.positions(fixture.account)).toEqual([]);
      expect(await venue.openOrders(fixture.account)).toEqual([]);
    });

    it("cancels a bracket's waiting children when the entry is cancelled unfilled", async () => {
      const entry = fixture.id('ENTRY', 1);
      const stop = fixture.id('STOP', 2);
      await venue.submitOrder(make({ id: entry, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000' }));
      await venue.submitOrder(make({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', trigger: '58000', reduceOnly: true, parent: entry, role: 'STOP' }));
      await reports.next('ORDER_ACCEPTED', entry);
      await venue.cancelOrder(fixture.account, fixture.instrument.id, entry);
      await reports.next('ORDER_CANCELED', entry);
      await reports.next('ORDER_CANCELED', stop);
      expect(reports.types(stop)).toEqual(['ORDER_CANCELED']);
    });

    it('delivers no report once stop has resolved, and says DISCONNECTED', async () => {
      const id = fixture.id('ENTRY', 1);
      await venue.submitOrder(make({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59900' }));
      await reports.next('ORDER_ACCEPTED', id);
      await venue.stop();
      expect(reports.connections.at(-1)?.type).toBe('DISCONNECTED');
      const delivered = reports.all.length;
      await fixture.trade('59800');
      // A fill that would have been reported, given the time to arrive: nothing comes.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(reports.all).toHaveLength(delivered);
    });
  });
}
