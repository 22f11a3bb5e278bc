import { ManualClock } from '../../../core/clock.ts';
import { dec } from '../../../core/decimal.ts';
import { formatLedgerEpoch, makeClientOrderId, parseBotId, parseExposureKey, parseInstrumentId, parseIntentId, parseSubAccountId, type ClientOrderId, type OrderRole } from '../../../core/ids.ts';
import type { Instrument } from '../../../core/instrument.ts';
import type { OrderType, Side } from '../../../core/intent.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { ExecutionReport, SubmitOrder } from '../../../core/order.ts';
import { AlpacaVenue } from '../../../venues/alpaca/alpaca-venue.ts';
import { AlpacaStandin, type AccountKeys } from '../../../venues/alpaca/standin/standin.ts';

/**
 * What the Alpaca exit tests share: one bot's QQQ orders against the stand-in on 127.0.0.1 at 10:00 New York on a
 * session day, the adapter's execution reports awaited as they arrive, and a filled entry with its protection.
 */

export const QQQ: Instrument = { id: parseInstrumentId('QQQ.ALPACA'), kind: 'EQUITY', tickSize: dec('0.01'), lotStep: dec('1'), minQuantity: dec('1'), minNotional: dec('1'), exposureKey: parseExposureKey('NDX'), beta: dec('1') };
export const SUB = parseSubAccountId('alpha');
const BOT = parseBotId('alpha');
const epoch = formatLedgerEpoch(Date.UTC(2026, 0, 1));
export const id = (role: OrderRole, sequence: number): ClientOrderId => makeClientOrderId(BOT, epoch, role, sequence);

export function order(spec: { id: ClientOrderId; side: Side; type: OrderType; quantity: string; limit?: string; trigger?: string; parent?: ClientOrderId; role?: OrderRole }): SubmitOrder {
  return {
    clientOrderId: spec.id,
    botId: BOT,
    subAccountId: SUB,
    intentId: parseIntentId('intent-1'),
    instrumentId: QQQ.id,
    role: spec.role ?? 'ENTRY',
    side: spec.side,
    type: spec.type,
    quantity: dec(spec.quantity),
    limitPrice: spec.limit === undefined ? null : dec(spec.limit),
    triggerPrice: spec.trigger === undefined ? null : dec(spec.trigger),
    timeInForce: 'GTC',
    reduceOnly: spec.parent !== undefined,
    parentClientOrderId: spec.parent ?? null,
    activatesOnParentFill: spec.parent !== undefined,
  };
}

export class Reports {
  readonly all: ExecutionReport[] = [];
  #wake: Array<() => void> = [];
  add(report: ExecutionReport): void {
    this.all.push(report);
    for (const wake of this.#wake.splice(0)) wake();
  }
  of(clientOrderId: string): string[] {
    return this.all.filter((report) => report.type !== 'FUNDING_SETTLED' && (report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : report.clientOrderId) === clientOrderId).map((report) => report.type);
  }
  async until(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${this.all.map((report) => report.type + ' ' + ('clientOrderId' in report ? report.clientOrderId : '')).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#wake.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }
  async next(type: string, clientOrderId: string): Promise<void> {
    await this.until(() => this.of(clientOrderId).includes(type), `${type} ${clientOrderId}`);
  }
}

export async function raw(standin: AlpacaStandin, keys: AccountKeys, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> & Array<Record<string, unknown>> }> {
  const response = await fetch(`${standin.url}${path}`, {
    method,
    headers: { 'APCA-API-KEY-ID': keys.key, 'APCA-API-SECRET-KEY': keys.secret, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as never };
}

/** A stand-in with one account, a first QQQ bar at 480, and an adapter started on it; stop() ends every adapter made. */
export class ExitFixture {
  readonly clock: ManualClock;
  readonly standin: AlpacaStandin;
  readonly keys: AccountKeys;
  readonly reports = new Reports();
  readonly #venues: AlpacaVenue[] = [];
  #venue: AlpacaVenue | null = null;

  private constructor(clock: ManualClock, standin: AlpacaStandin) {
    this.clock = clock;
    this.standin = standin;
    this.keys = standin.createAccount();
  }

  static async start(): Promise<ExitFixture> {
    const clock = new ManualClock(Date.UTC(2024, 10, 26, 15, 0));
    const standin = await AlpacaStandin.start({ instruments: [{ id: 'QQQ.ALPACA', kind: 'EQUITY', tickSize: '0.01', lotStep: '1', minQuantity: '1', minNotional: '1', exposure: { key: 'NDX', beta: '1' }, startPrice: '480' }], clock });
    const fixture = new ExitFixture(clock, standin);
    fixture.bar('480');
    fixture.#venue = await fixture.adapter();
    return fixture;
  }

  /** The adapter started first. */
  get venue(): AlpacaVenue {
    if (this.#venue === null) throw new Error('the fixture has not started');
    return this.#venue;
  }

  /** The next minute's QQQ bar, flat at `price`. */
  bar(price: string, volume?: string): void {
    this.clock.advance(60_000);
    this.standin.pushBar('QQQ', { open: price, high: price, low: price, close: price, ...(volume === undefined ? {} : { volume }) });
  }

  /** Another adapter on the same account (a restart), reporting into the same reports. */
  async adapter(): Promise<AlpacaVenue> {
    const made = new AlpacaVenue({ name: 'ALPACA', environment: this.standin.url, credentials: new Map([[SUB, this.keys]]), instruments: [QQQ], clock: this.clock, logger: silentLogger });
    this.#venues.push(made);
    made.onExecutionReport((report) => this.reports.add(report));
    await made.start();
    return made;
  }

  /**
   * A filled entry of 10 QQQ with a stop at 470 and (unless `stopOnly`) a take-profit at 500, as the order manager
   * submits them (not awaited one by one).
   */
  async bracket(stopOnly = false): Promise<{ entry: ClientOrderId; stop: ClientOrderId; takeProfit: ClientOrderId }> {
    const entry = id('ENTRY', 1);
    const stop = id('STOP', 2);
    const takeProfit = id('TAKE_PROFIT', 3);
    await Promise.all([
      this.venue.submitOrder(order({ id: entry, side: 'BUY', type: 'MARKET', quantity: '10' })),
      this.venue.submitOrder(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '10', trigger: '470', parent: entry, role: 'STOP' })),
      ...(stopOnly ? [] : [this.venue.submitOrder(order({ id: takeProfit, side: 'SELL', type: 'LIMIT', quantity: '10', limit: '500', parent: entry, role: 'TAKE_PROFIT' }))]),
    ]);
    this.bar('480');
    await this.reports.next('ORDER_ACCEPTED', stop);
    if (!stopOnly) await this.reports.next('ORDER_ACCEPTED', takeProfit);
    return { entry, stop, takeProfit };
  }

  async stop(): Promise<void> {
    for (const made of this.#venues.splice(0)) await made.stop();
    await this.standin.stop();
  }
}
