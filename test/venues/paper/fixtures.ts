import type { Candle } from '../../../core/candle.ts';
import { ManualClock } from '../../../core/clock.ts';
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
import { reportClientOrderId, type ExecutionReport, type SubmitOrder, type TimeInForce } from '../../../core/order.ts';
import type { PaperVenueConfig } from '../../../venues/paper/config.ts';
import { PaperMatchingEngine } from '../../../venues/paper/matching-engine.ts';

export const BTC = parseInstrumentId('BTCUSDT.PAPER');
export const ETH = parseInstrumentId('ETHUSDT.PAPER');
export const ALPHA = parseSubAccountId('alpha');
export const BETA = parseSubAccountId('beta');

export const btc: Instrument = {
  id: BTC,
  kind: 'PERPETUAL',
  tickSize: dec('0.01'),
  lotStep: dec('0.1'),
  minQuantity: dec('0.1'),
  minNotional: dec('1'),
  exposureKey: parseExposureKey('BTC'),
  beta: dec('1'),
};

export const eth: Instrument = { ...btc, id: ETH, exposureKey: parseExposureKey('ETH') };

/** Zero fees and slippage and full participation unless a test says otherwise, so prices are easy to read. */
export function paperConfig(overrides: Partial<PaperVenueConfig> = {}): PaperVenueConfig {
  return {
    name: 'PAPER',
    seed: 42,
    session: 's1',
    instruments: [btc, eth],
    fees: { makerRate: dec('0'), takerRate: dec('0') },
    slippage: { baseBps: dec('0'), jitterBps: dec('0') },
    partialFills: { participation: dec('1') },
    accounts: [
      { subAccountId: ALPHA, balance: dec('10000'), leverage: dec('5') },
      { subAccountId: BETA, balance: dec('10000'), leverage: dec('5') },
    ],
    ...overrides,
  };
}

export function makeEngine(overrides: Partial<PaperVenueConfig> = {}): { engine: PaperMatchingEngine; clock: ManualClock } {
  const clock = new ManualClock();
  return { engine: new PaperMatchingEngine(paperConfig(overrides), clock), clock };
}

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
  account?: SubAccountId;
  instrument?: Instrument;
  reduceOnly?: boolean;
  parent?: ClientOrderId;
  activatesOnParentFill?: boolean;
  timeInForce?: TimeInForce;
  role?: OrderRole;
}

export function order(spec: OrderSpec): SubmitOrder {
  const account = spec.account ?? ALPHA;
  return {
    clientOrderId: spec.id,
    botId: parseBotId(account),
    subAccountId: account,
    intentId: parseIntentId(`intent-${spec.id}`),
    instrumentId: (spec.instrument ?? btc).id,
    role: spec.role ?? (spec.parent === undefined ? 'ENTRY' : 'STOP'),
    side: spec.side,
    type: spec.type,
    quantity: dec(spec.quantity),
    limitPrice: spec.limit === undefined ? null : dec(spec.limit),
    triggerPrice: spec.trigger === undefined ? null : dec(spec.trigger),
    timeInForce: spec.timeInForce ?? 'GTC',
    reduceOnly: spec.reduceOnly ?? spec.parent !== undefined,
    parentClientOrderId: spec.parent ?? null,
    activatesOnParentFill: spec.activatesOnParentFill ?? spec.parent !== undefined,
  };
}

let openTime = Date.UTC(2026, 0, 1);

export function candle(open: string, high: string, low: string, close: string, volume = '1000', instrument: Instrument = btc): Candle {
  openTime += 60_000;
  return { instrumentId: instrument.id, openTime, durationMs: 60_000, open: dec(open), high: dec(high), low: dec(low), close: dec(close), volume: dec(volume) };
}

/** A flat candle that only sets the last price. */
export function price(value: string, instrument: Instrument = btc): Candle {
  return candle(value, value, value, value, '1000', instrument);
}

export interface FillSummary {
  id: string;
  side: string;
  quantity: string;
  price: string;
  fee: string;
  liquidity: string;
  cumulative: string;
  leaves: string;
}

export function fills(reports: ExecutionReport[]): FillSummary[] {
  return reports.flatMap((report) =>
    report.type === 'ORDER_FILLED'
      ? [
          {
            id: report.fill.clientOrderId,
            side: report.fill.side,
            quantity: report.fill.quantity.toString(),
            price: report.fill.price.toString(),
            fee: report.fill.fee.toString(),
            liquidity: report.fill.liquidity,
            cumulative: report.cumulativeQuantity.toString(),
            leaves: report.leavesQuantity.toString(),
          },
        ]
      : [],
  );
}

/** "TYPE id" per report, for asserting the sequence of events. */
export function events(reports: ExecutionReport[]): string[] {
  return reports.map((report) => `${report.type} ${reportClientOrderId(report) ?? ''}`);
}

export function rejection(reports: ExecutionReport[]): string | undefined {
  const report = reports.find((candidate) => candidate.type === 'ORDER_REJECTED' || candidate.type === 'CANCEL_REJECTED');
  return report !== undefined && (report.type === 'ORDER_REJECTED' || report.type === 'CANCEL_REJECTED') ? report.reason : undefined;
}
