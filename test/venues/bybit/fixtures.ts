import { dec } from '../../../core/decimal.ts';
import {
  formatLedgerEpoch,
  makeClientOrderId,
  parseBotId,
  parseExposureKey,
  parseInstrumentId,
  parseIntentId,
  parseSubAccountId,
  type ClientOrderId,
  type OrderRole,
  type SubAccountId,
} from '../../../core/ids.ts';
import type { Instrument } from '../../../core/instrument.ts';
import type { OrderType, Side } from '../../../core/intent.ts';
import { silentLogger, type Logger } from '../../../core/logger.ts';
import type { ExecutionReport, SubmitOrder, TimeInForce } from '../../../core/order.ts';
import type { VenueConnectionEvent } from '../../../core/venue.ts';
import type { BybitTimeouts } from '../../../venues/bybit/config.ts';
import { BybitVenue } from '../../../venues/bybit/bybit-venue.ts';
import type { BybitStandinOptions } from '../../../venues/bybit/standin/standin.ts';
import { provision, startStandin, type Credentials, type Running } from './standin/harness.ts';

/** The adapter against a stand-in on 127.0.0.1 (manual market, no slippage, full participation), with sub-accounts provisioned as the CLI will. */

export const BTC = parseInstrumentId('BTCUSDT.BYBIT');
export const ETH = parseInstrumentId('ETHUSDT.BYBIT');

export const btc: Instrument = { id: BTC, kind: 'PERPETUAL', tickSize: dec('0.1'), lotStep: dec('0.001'), minQuantity: dec('0.001'), minNotional: dec('5'), exposureKey: parseExposureKey('BTC'), beta: dec('1') };
export const eth: Instrument = { id: ETH, kind: 'PERPETUAL', tickSize: dec('0.01'), lotStep: dec('0.01'), minQuantity: dec('0.01'), minNotional: dec('5'), exposureKey: parseExposureKey('ETH'), beta: dec('1') };

const EPOCH = formatLedgerEpoch(Date.UTC(2026, 0, 1));

export function orderId(role: OrderRole, sequence: number, bot = 'alpha'): ClientOrderId {
  return makeClientOrderId(parseBotId(bot), EPOCH, role, sequence);
}

export interface OrderSpec {
  id: ClientOrderId;
  side: Side;
  type: OrderType;
  quantity: string;
  limit?: string;
  trigger?: string;
  account: SubAccountId;
  instrument?: Instrument;
  reduceOnly?: boolean;
  parent?: ClientOrderId;
  timeInForce?: TimeInForce;
  role?: OrderRole;
}

export function order(spec: OrderSpec): SubmitOrder {
  return {
    clientOrderId: spec.id,
    botId: parseBotId(spec.id.slice(0, spec.id.indexOf('_'))),
    subAccountId: spec.account,
    intentId: parseIntentId(`intent-${spec.id}`),
    instrumentId: (spec.instrument ?? btc).id,
    role: spec.role ?? (spec.parent === undefined ? 'ENTRY' : spec.type === 'STOP_MARKET' ? 'STOP' : 'TAKE_PROFIT'),
    side: spec.side,
    type: spec.type,
    quantity: dec(spec.quantity),
    limitPrice: spec.limit === undefined ? null : dec(spec.limit),
    triggerPrice: spec.trigger === undefined ? null : dec(spec.trigger),
    timeInForce: spec.timeInForce ?? 'GTC',
    reduceOnly: spec.reduceOnly ?? spec.parent !== undefined,
    parentClientOrderId: spec.parent ?? null,
    activatesOnParentFill: spec.parent !== undefined,
  };
}

/** Every report and connection event the venue delivered, and a way to wait (without sleeping) for one. */
export class Recorder {
  readonly reports: ExecutionReport[] = [];
  readonly connections: VenueConnectionEvent[] = [];
  readonly #waiters: Array<{ match: () => boolean; resolve: () => void }> = [];

  report(report: ExecutionReport): void {
    this.reports.push(report);
    this.#wake();
  }

  connection(event: VenueConnectionEvent): void {
    this.connections.push(event);
    this.#wake();
  }

  /** Resolves once `match` holds; fails the test after `timeoutMs`. */
  until(match: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (match()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; reports: ${this.describe()}`)), timeoutMs);
      this.#waiters.push({ match, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** The first report of a type for an order, once it arrives. */
  async next(type: ExecutionReport['type'], clientOrderId: string, timeoutMs = 10_000): Promise<ExecutionReport> {
    const find = (): ExecutionReport | undefined => this.reports.find((report) => report.type === type && idOf(report) === clientOrderId);
    await this.until(() => find() !== undefined, `${type} ${clientOrderId}`, timeoutMs);
    return find() as ExecutionReport;
  }

  of(clientOrderId: string): string[] {
    return this.reports.filter((report) => idOf(report) === clientOrderId).map((report) => report.type);
  }

  describe(): string {
    return this.reports.map((report) => `${report.type} ${idOf(report)}`).join(', ');
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) {
      if (!waiter.match()) continue;
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}

export function idOf(report: ExecutionReport): string {
  return report.type === 'FUNDING_SETTLED' ? report.fundingId : report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : report.clientOrderId;
}

export interface BybitSetup {
  running: Running;
  venue: BybitVenue;
  accounts: SubAccountId[];
  credentials: Map<SubAccountId, Credentials>;
  recorder: Recorder;
  /** The next minute's flat candle at `price` (the stand-in matches it, and its fills are pushed). */
  trade(price: string, symbol?: string): void;
  candle(open: string, high: string, low: string, close: string, symbol?: string): void;
  close(): Promise<void>;
}

export interface SetupOptions {
  accounts?: string[];
  timeouts?: Partial<BybitTimeouts>;
  standin?: Partial<BybitStandinOptions>;
  logger?: Logger;
  /** Start the venue (default true). */
  start?: boolean;
  /** The first price of BTCUSDT (default 60000). */
  price?: string;
}

/** Small timeouts, so a fault's timeout or backoff takes a fraction of a second. */
export const FAST: Partial<BybitTimeouts> = {
  requestMs: 1_000,
  settleMs: 8_000,
  rateLimitBackoffMs: 100,
  overloadBackoffMs: 100,
  ipLimitBackoffMs: 200,
  reconnectMinMs: 50,
  reconnectMaxMs: 400,
  connectMs: 5_000,
};

export async function setupBybit(options: SetupOptions = {}): Promise<BybitSetup> {
  const running = await startStandin(options.standin);
  const price = options.price ?? '60000';
  running.clock.advance(60_000);
  running.standin.pushCandle('BTCUSDT', { open: price, high: price, low: price, close: price });
  running.clock.advance(60_000);
  running.standin.pushCandle('ETHUSDT', { open: '3000', high: '3000', low: '3000', close: '3000' });
  const credentials = new Map<SubAccountId, Credentials>();
  const names = options.accounts ?? ['alpha'];
  for (const [index, name] of names.entries()) credentials.set(parseSubAccountId(name), await provision(running.standin, `member${index + 1}x`));
  const venue = new BybitVenue({
    name: 'BYBIT',
    environment: running.standin.url,
    credentials,
    instruments: [btc, eth],
    clock: running.clock,
    logger: options.logger ?? silentLogger,
    timeouts: { ...FAST, ...options.timeouts },
  });
  const recorder = new Recorder();
  venue.onExecutionReport((report) => recorder.report(report));
  venue.onConnectionEvent((event) => recorder.connection(event));
  if (options.start !== false) await venue.start();
  return {
    running,
    venue,
    accounts: [...credentials.keys()],
    credentials,
    recorder,
    trade: (value, symbol = 'BTCUSDT') => {
      running.clock.advance(60_000);
      running.standin.pushCandle(symbol, { open: value, high: value, low: value, close: value });
    },
    candle: (open, high, low, close, symbol = 'BTCUSDT') => {
      running.clock.advance(60_000);
      running.standin.pushCandle(symbol, { open, high, low, close });
    },
    close: async () => {
      await venue.stop();
      await running.standin.stop();
    },
  };
}
