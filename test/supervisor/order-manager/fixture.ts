import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Candle } from '../../../core/candle.ts';
import { ManualClock } from '../../../core/clock.ts';
import { Decimal, dec } from '../../../core/decimal.ts';
import type { BotId, InstrumentId, SubAccountId } from '../../../core/ids.ts';
import { parseBotId, parseInstrumentId, parseIntentId } from '../../../core/ids.ts';
import type { Intent, OrderType, Side } from '../../../core/intent.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { SessionOf } from '../../../core/market-session.ts';
import { openLedger } from '../../../ledger/sqlite-ledger.ts';
import type { Ledger } from '../../../ledger/types.ts';
import type { OrderManagerConfigInput } from '../../../supervisor/order-manager/config.ts';
import { parseOrderManagerConfig } from '../../../supervisor/order-manager/config.ts';
import { OrderManager } from '../../../supervisor/order-manager/order-manager.ts';
import { SupervisorStore } from '../../../supervisor/store/supervisor-store.ts';
import type { Venue } from '../../../core/venue.ts';
import { PaperVenue } from '../../../venues/paper/paper-venue.ts';

export const ALPHA = parseBotId('alpha');
export const BRAVO = parseBotId('bravo');
export const CHARLIE = parseBotId('charlie');
export const BTC = parseInstrumentId('BTCUSDT.BYBIT');
export const ETH = parseInstrumentId('ETHUSDT.BYBIT');
export const PEPE = parseInstrumentId('1000PEPEUSDT.BYBIT');
export const QQQ = parseInstrumentId('QQQ.ALPACA');
export const TQQQ = parseInstrumentId('TQQQ.ALPACA');
export const SQQQ = parseInstrumentId('SQQQ.ALPACA');

const bot = (id: string, overrides: Record<string, unknown> = {}) => ({
  id,
  subAccountId: `${id}-sub`,
  maxNotionalPerOrder: '50000',
  orderRateLimit: { maxRequests: 50, windowMs: 1000 },
  drawdown: { threshold: '0.10', windowMs: 86_400_000, action: 'HALTED' as const },
  ...overrides,
});

export function configInput(overrides: Partial<OrderManagerConfigInput> = {}, botOverrides: Record<string, Record<string, unknown>> = {}): OrderManagerConfigInput {
  return {
    instruments: [
      { id: BTC, kind: 'PERPETUAL', tickSize: '0.1', lotStep: '0.001', minQuantity: '0.001', minNotional: '5', exposure: { key: 'BTC', beta: '1' } },
      { id: ETH, kind: 'PERPETUAL', tickSize: '0.01', lotStep: '0.01', minQuantity: '0.01', minNotional: '5', exposure: { key: 'ETH', beta: '1' } },
      { id: PEPE, kind: 'PERPETUAL', tickSize: '0.0000001', lotStep: '100', minQuantity: '100', minNotional: '5', exposure: { key: 'PEPE', beta: '1' } },
      { id: QQQ, kind: 'EQUITY', tickSize: '0.01', lotStep: '1', minQuantity: '1', minNotional: '1', exposure: { key: 'NDX', beta: '1' } },
      { id: TQQQ, kind: 'EQUITY', tickSize: '0.01', lotStep: '1', minQuantity: '1', minNotional: '1', exposure: { key: 'NDX', beta: '3' } },
      { id: SQQQ, kind: 'EQUITY', tickSize: '0.01', lotStep: '1', minQuantity: '1', minNotional: '1', exposure: { key: 'NDX', beta: '-3' } },
    ],
    exposureKeys: { BTC: { policy: 'exclusive' }, ETH: { policy: 'capped', maxNotional: '20000' }, PEPE: { policy: 'exclusive' }, NDX: { policy: 'exclusive' } },
    bots: [bot('alpha', botOverrides.alpha), bot('bravo', botOverrides.bravo), bot('charlie', botOverrides.charlie)],
    fleetDrawdown: { threshold: '0.15', windowMs: 86_400_000, action: 'HALTED' },
    ...overrides,
  };
}

export const STARTING_EQUITY = dec('100000');

export interface Harness {
  dir: string;
  clock: ManualClock;
  om: OrderManager;
  venue: PaperVenue;
  ledgers: Map<BotId, Ledger>;
  store: SupervisorStore;
  subAccount(botId: BotId): SubAccountId;
  candle(instrumentId: InstrumentId, open: string, high: string, low: string, close: string, volume?: string): void;
  /** Sets the mark and the venue's last price with a flat candle. */
  price(instrumentId: InstrumentId, price: string): void;
  /** Closes everything and opens it again from the same files: the crash-recovery path. */
  restart(): void;
  close(): void;
}

/**
 * The venue as one that cannot amend in place (capabilities.amend false), so stop moves go by replacement. Every call
 * reaches `venue` when it is made, so a test may still stub the paper venue's methods.
 */
export function withoutAmend(venue: PaperVenue): Venue {
  return new Proxy(venue, {
    get(target, property) {
      if (property === 'capabilities') return { ...target.capabilities, amend: false };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export interface HarnessOptions {
  dir?: string;
  clock?: ManualClock;
  slippage?: { baseBps: string; jitterBps: string };
  requireReconciliation?: boolean;
  /** Whether the venue amends in place (default true, as the paper venue does); false: stop moves are replacements. */
  venueAmends?: boolean;
  /** The market session of each instrument; the bundled calendar unless given. */
  sessions?: SessionOf;
}

export function makeHarness(input: OrderManagerConfigInput = configInput(), options: HarnessOptions = {}): Harness {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'flotilla-om-'));
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 10, 2, 14, 30));
  const config = parseOrderManagerConfig(input);
  const instruments = [...config.instruments.values()];
  const accounts = [...config.bots.values()].map((b) => ({ subAccountId: b.subAccountId, balance: STARTING_EQUITY, leverage: dec('5') }));
  const venue = new PaperVenue(
    { name: 'PAPER', seed: 7, session: 's1', instruments, fees: { makerRate: dec('0.0002'), takerRate: dec('0.00055') }, slippage: { baseBps: dec(options.slippage?.baseBps ?? '0'), jitterBps: dec(options.slippage?.jitterBps ?? '0') }, partialFills: { participation: dec('1') }, accounts },
    clock,
    { logger: silentLogger },
  );
  const seen: Venue = options.venueAmends === false ? withoutAmend(venue) : venue;
  const venues = new Map([['BYBIT', seen], ['ALPACA', seen]]);
  let store!: SupervisorStore;
  let ledgers!: Map<BotId, Ledger>;
  let om!: OrderManager;
  const open = () => {
    store = new SupervisorStore(join(dir, 'supervisor.sqlite'));
    ledgers = new Map();
    for (const botId of config.bots.keys()) {
      const ledger = openLedger({ path: join(dir, `${botId}.ledger.sqlite`), botId, clock });
      if (ledger.capital().isZero()) ledger.recordCapital(STARTING_EQUITY, clock.now(), 'paper deposit');
      ledgers.set(botId, ledger);
    }
    om = new OrderManager({ config, store, ledgers, venues, clock, logger: silentLogger, requireReconciliation: options.requireReconciliation ?? false, ...(options.sessions === undefined ? {} : { sessions: options.sessions }) });
  };
  const shut = () => {
    om.close();
    for (const ledger of ledgers.values()) ledger.close();
    store.close();
  };
  open();
  const harness: Harness = {
    dir,
    clock,
    get om() {
      return om;
    },
    venue,
    get ledgers() {
      return ledgers;
    },
    get store() {
      return store;
    },
    subAccount: (botId) => {
      const found = config.bots.get(botId);
      if (found === undefined) throw new Error(`no bot ${botId}`);
      return found.subAccountId;
    },
    candle(instrumentId, openPrice, high, low, close, volume = '1000000') {
      clock.advance(60_000);
      const candle: Candle = { instrumentId, openTime: clock.now() - 60_000, durationMs: 60_000, open: dec(openPrice), high: dec(high), low: dec(low), close: dec(close), volume: dec(volume) };
      venue.pushCandle(candle);
      om.updateMark(instrumentId, candle.close);
    },
    price(instrumentId, price) {
      harness.candle(instrumentId, price, price, price, price);
    },
    restart() {
      shut();
      open();
    },
    close() {
      shut();
      rmSync(dir, { recursive: true, force: true });
    },
  } as Harness;
  return harness;
}

let intentCounter = 0;

export function intent(botId: BotId, instrumentId: InstrumentId, side: Side, fields: Partial<Omit<Intent, 'botId' | 'instrumentId' | 'side'>> & { quantity?: string; stop?: string; takeProfit?: string; type?: OrderType } = {}): Intent {
  intentCounter++;
  const { quantity, stop, takeProfit, type, ...rest } = fields;
  return {
    intentId: parseIntentId(`i-${intentCounter}`),
    botId,
    instrumentId,
    side,
    size: { kind: 'QUANTITY', quantity: dec(quantity ?? '1') },
    orderType: type ?? 'MARKET',
    reduceOnly: false,
    ...(stop === undefined ? {} : { bracket: { stopLoss: dec(stop), ...(takeProfit === undefined ? {} : { takeProfit: dec(takeProfit) }) } }),
    reason: 'test',
    ...rest,
  };
}

export const d = (text: string): Decimal => dec(text);
