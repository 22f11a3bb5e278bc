import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import { Decimal, dec } from '../core/decimal.ts';
import type { BotId, InstrumentId } from '../core/ids.ts';
import { parseBotId, parseInstrumentId, parseIntentId, parseSubAccountId } from '../core/ids.ts';
import type { Decision } from '../core/decision.ts';
import type { Intent, Side } from '../core/intent.ts';
import { silentLogger } from '../core/logger.ts';
import type { SubmitOrder } from '../core/order.ts';
import type { Venue } from '../core/venue.ts';
import { openLedger } from '../ledger/sqlite-ledger.ts';
import type { Ledger } from '../ledger/types.ts';
import { parseOrderManagerConfig } from '../supervisor/order-manager/config.ts';
import { OrderManager } from '../supervisor/order-manager/order-manager.ts';
import { SupervisorStore } from '../supervisor/store/supervisor-store.ts';
import { PaperVenue } from '../venues/paper/paper-venue.ts';
import type { Benchmark, Figure } from './harness.ts';
import { quantile, round } from './harness.ts';

const INSTRUMENTS = 50;
const BOTS = ['scalper', 'breakout', 'trend'];
const WARMUP = 2_000;
// About 1% of the stream is approved: 200,000 intents give some 2,000 approvals, so om.approve's p99 is not the
// fifth-largest of 500 samples (it moved by 150 µs between runs at 40,000).
const MEASURED = 200_000;
/** Bare ledger commits timed for the floor under om.approve. */
const FLOOR_COMMITS = 2_000;

/** A small deterministic generator, so every run decides the same stream of intents. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A clock that reads real time, for latencies, but lets the bench move wall time forward to expire windows. */
class BenchClock implements Clock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  monotonicNs(): bigint {
    return process.hrtime.bigint();
  }
}

/**
 * Defers the paper venue's work to a microtask, as a remote venue answers later: the measured path is then the
 * order manager's own (decision, durable decision record, ledger write of approved orders), not the venue's.
 */
function deferred(venue: PaperVenue): Venue {
  return {
    name: venue.name,
    submitOrder: (order: SubmitOrder) => Promise.resolve().then(() => venue.submitOrder(order)),
    cancelOrder: (subAccountId, instrumentId, clientOrderId) => Promise.resolve().then(() => venue.cancelOrder(subAccountId, instrumentId, clientOrderId)),
    amendOrder: (subAccountId, instrumentId, clientOrderId, changes) => Promise.resolve().then(() => venue.amendOrder(subAccountId, instrumentId, clientOrderId, changes)),
    cancelOrders: (subAccountId, orders) => Promise.resolve().then(() => venue.cancelOrders(subAccountId, orders)),
    capabilities: venue.capabilities,
    start: () => venue.start(),
    stop: () => venue.stop(),
    queryOrder: (subAccountId, instrumentId, clientOrderId) => venue.queryOrder(subAccountId, instrumentId, clientOrderId),
    openOrders: (subAccountId) => venue.openOrders(subAccountId),
    fillsSince: (subAccountId, cursor, limit) => venue.fillsSince(subAccountId, cursor, limit),
    positions: (subAccountId) => venue.positions(subAccountId),
    balance: (subAccountId) => venue.balance(subAccountId),
    equity: (subAccountId) => venue.equity(subAccountId),
    instruments: () => venue.instruments(),
    onExecutionReport: (listener) => venue.onExecutionReport(listener),
    onConnectionEvent: (listener) => venue.onConnectionEvent(listener),
  };
}

/**
 * The floor under om.approve: the bot's ledger alone writing what an approval writes (a bracket's three orders and
 * its decision) in one durable commit, with nothing of the order manager around it. A tick passes between commits,
 * as between intents, so the ledger's own WAL checkpoints run where they do in the fleet.
 */
async function ledgerCommitLatencies(path: string, clock: Clock): Promise<number[]> {
  const botId = parseBotId('floor');
  const ledger = openLedger({ path, botId, clock });
  try {
    const instrumentId = parseInstrumentId('C0USDT.BYBIT');
    const subAccountId = parseSubAccountId('floor-sub');
    const latencies: number[] = [];
    for (let index = 0; index < WARMUP / 10 + FLOOR_COMMITS; index++) {
      const intentId = parseIntentId(`floor-${index}`);
      const base = { botId, subAccountId, intentId, instrumentId, quantity: dec('0.123'), timeInForce: 'GTC' as const, limitPrice: null, triggerPrice: null };
      const entry: SubmitOrder = { ...base, clientOrderId: ledger.allocateClientOrderId('ENTRY'), role: 'ENTRY', side: 'BUY', type: 'MARKET', reduceOnly: false, parentClientOrderId: null, activatesOnParentFill: false };
      const child = { reduceOnly: true, side: 'SELL' as const, parentClientOrderId: entry.clientOrderId, activatesOnParentFill: true };
      const orders: SubmitOrder[] = [
        entry,
        { ...base, ...child, clientOrderId: ledger.allocateClientOrderId('STOP'), role: 'STOP', type: 'STOP_MARKET', triggerPrice: dec('95000.5') },
        { ...base, ...child, clientOrderId: ledger.allocateClientOrderId('TAKE_PROFIT'), role: 'TAKE_PROFIT', type: 'LIMIT', limitPrice: dec('105000.5') },
      ];
      const intentJson = JSON.stringify({ intentId, botId, instrumentId, side: 'BUY', size: { kind: 'RISK', riskFraction: '0.002' }, orderType: 'MARKET', reduceOnly: false, bracket: { stopLoss: '95000.5', takeProfit: '105000.5' }, reason: 'bench entry' });
      const decision: Decision = { intentId, botId, instrumentId, outcome: 'APPROVED', reason: null, detail: '', requestedQuantity: entry.quantity, approvedQuantity: entry.quantity, clientOrderId: entry.clientOrderId, decidedAt: clock.now(), latencyNs: 0 };
      const started = process.hrtime.bigint();
      ledger.recordOrders(orders, clock.now(), { decision: { decision, intentJson } });
      if (index >= WARMUP / 10) latencies.push(Number(process.hrtime.bigint() - started) / 1000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return latencies.sort((a, b) => a - b);
  } finally {
    ledger.close();
  }
}

export const orderManagerBenchmark: Benchmark = {
  name: 'om',
  async run(): Promise<Figure[]> {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-om-'));
    try {
      const symbols = Array.from({ length: INSTRUMENTS }, (_, index) => `C${index}USDT.BYBIT`);
      // Ten keys of five instruments each, betas of ±1 and ±2, half exclusive and half capped: every rule gets work.
      const config = parseOrderManagerConfig({
        instruments: symbols.map((id, index) => ({
          id,
          kind: 'PERPETUAL',
          tickSize: '0.01',
          lotStep: '0.001',
          minQuantity: '0.001',
          minNotional: '5',
          exposure: { key: `K${index % 10}`, beta: ['1', '2', '-1', '1', '-2'][Math.floor(index / 10)] ?? '1' },
        })),
        exposureKeys: Object.fromEntries(Array.from({ length: 10 }, (_, key) => [`K${key}`, key % 2 === 0 ? { policy: 'exclusive' } : { policy: 'capped', maxNotional: '400000' }])),
        bots: BOTS.map((id) => ({
          id,
          subAccountId: `${id}-sub`,
          riskPerTrade: '0.005',
          maxOpenRisk: '0.05',
          maxNotionalPerOrder: '50000',
          maxAdds: 2,
          orderRateLimit: { maxRequests: 1_000_000, windowMs: 1_000 },
          drawdown: { threshold: '0.5', windowMs: 86_400_000, action: 'HALTED' },
        })),
        fleetDrawdown: { threshold: '0.5', windowMs: 86_400_000, action: 'HALTED' },
      });
      const clock = new BenchClock();
      const instruments = [...config.instruments.values()];
      const paper = new PaperVenue(
        { name: 'PAPER', seed: 1, session: 'bench', instruments, fees: { makerRate: dec('0.0002'), takerRate: dec('0.00055') }, slippage: { baseBps: dec('1'), jitterBps: dec('2') }, partialFills: { participation: dec('0.1') }, accounts: [...config.bots.values()].map((bot) => ({ subAccountId: bot.subAccountId, balance: dec('1000000'), leverage: dec('10') })) },
        clock,
        { logger: silentLogger },
      );
      const store = new SupervisorStore(join(dir, 'supervisor.sqlite'));
      const ledgers = new Map<BotId, Ledger>();
      for (const botId of config.bots.keys()) {
        const ledger = openLedger({ path: join(dir, `${botId}.sqlite`), botId, clock });
        ledger.recordCapital(dec('1000000'), clock.now(), 'bench');
        ledgers.set(botId, ledger);
      }
      const om = new OrderManager({ config, store, ledgers, venues: new Map([['BYBIT', deferred(paper)]]), clock, logger: silentLogger });
      const prices = new Map<InstrumentId, number>();
      const random = mulberry32(20261121);
      for (const instrument of instruments) {
        const price = 10 + Math.floor(random() * 5000);
        prices.set(instrument.id, price);
        const text = Decimal.fromInteger(price);
        paper.pushCandle({ instrumentId: instrument.id, openTime: clock.now() - 60_000, durationMs: 60_000, open: text, high: text, low: text, close: text, volume: dec('1000000') });
        om.updateMark(instrument.id, text);
      }
      const botIds = [...config.bots.keys()];
      let counter = 0;
      const nextIntent = (): Intent => {
        counter++;
        const botId = botIds[Math.floor(random() * botIds.length)]!;
        const instrument = instruments[Math.floor(random() * instruments.length)]!;
        const price = prices.get(instrument.id)!;
        const position = ledgers.get(botId)!.position(instrument.id);
        const side: Side = random() < 0.5 ? 'BUY' : 'SELL';
        const intentId = parseIntentId(`b-${counter}`);
        // One intent in four closes part of an open position, as exits do; the rest are entries of every kind.
        if (position !== null && !position.quantity.isZero() && random() < 0.25) {
          return { intentId, botId, instrumentId: instrument.id, side: position.quantity.isPositive() ? 'SELL' : 'BUY', size: { kind: 'QUANTITY', quantity: position.quantity.abs().mulDiv(dec('1'), dec('2'), 'floor').quantize(instrument.lotStep, 'floor').add(instrument.lotStep) }, orderType: 'MARKET', reduceOnly: true, reason: 'bench exit' };
        }
        const stopOffset = price * (0.005 + random() * 0.02);
        const stop = Decimal.fromNumber(side === 'BUY' ? price - stopOffset : price + stopOffset, 2);
        const limit = random() < 0.3;
        return {
          intentId,
          botId,
          instrumentId: instrument.id,
          side,
          size: random() < 0.5 ? { kind: 'RISK', riskFraction: dec('0.002') } : { kind: 'QUANTITY', quantity: Decimal.fromNumber(2000 / price, 3) },
          orderType: limit ? 'LIMIT' : 'MARKET',
          ...(limit ? { limitPrice: Decimal.fromNumber(side === 'BUY' ? price * 0.995 : price * 1.005, 2) } : {}),
          reduceOnly: false,
          bracket: { stopLoss: stop, takeProfit: Decimal.fromNumber(side === 'BUY' ? price + 2 * stopOffset : price - 2 * stopOffset, 2) },
          reason: 'bench entry',
        };
      };

      // The decision is made and recorded when DECISION_MADE fires; an approval's orders are written and sent after it.
      let decidedAt = 0n;
      om.onEvent((event) => {
        if (event.type === 'DECISION_MADE') decidedAt = process.hrtime.bigint();
      });
      const latencies: number[] = [];
      const submitLatencies: number[] = [];
      const approveLatencies: number[] = [];
      let submitNs = 0n;
      let denied = 0;
      const byOutcome: Record<string, number[]> = {};
      const outcomes = new Map<string, number>();
      let measuredNs = 0n;
      for (let index = 0; index < WARMUP + MEASURED; index++) {
        const intent = nextIntent();
        const started = process.hrtime.bigint();
        const decision = om.submitIntent(intent);
        const submitted = process.hrtime.bigint() - started;
        const elapsed = decidedAt - started;
        if (index >= WARMUP) {
          latencies.push(Number(elapsed) / 1000);
          submitLatencies.push(Number(submitted) / 1000);
          // An approval: decided, then committed with its orders in the bot's ledger (durable); DECISION_MADE fires
          // right after that commit, before the sends, whose cost is the venue's.
          if (decision.outcome !== 'DENIED') approveLatencies.push(Number(elapsed) / 1000);
          measuredNs += elapsed;
          submitNs += submitted;
          const label = decision.reason ?? decision.outcome;
          outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
          if (decision.outcome === 'DENIED') denied++;
          if (process.env.BENCH_DEBUG) (byOutcome[decision.outcome] ??= []).push(Number(elapsed) / 1000);
        }
        // Let the venue answer in batches, off the clock, as acknowledgements and fills would arrive.
        // The tick then ends, as it does between messages in a live process, and group commits land.
        if (index % 50 === 49) {
          await om.idle();
          await new Promise((resolve) => setImmediate(resolve));
        }
        // Expire stale resting entries' locks now and then, as time passes in a real session.
        if (index % 5_000 === 4_999) clock.offset += 100_000;
      }
      await om.idle();
      latencies.sort((a, b) => a - b);
      submitLatencies.sort((a, b) => a - b);
      approveLatencies.sort((a, b) => a - b);
      if (process.env.BENCH_DEBUG) {
        console.error(Object.fromEntries(outcomes));
        for (const [outcome, values] of Object.entries(byOutcome)) {
          values.sort((a, b) => a - b);
          console.error(outcome, values.length, 'p50', quantile(values, 0.5), 'p99', quantile(values, 0.99));
        }
      }
      const openPositions = botIds.reduce((sum, botId) => sum + ledgers.get(botId)!.openPositions().length, 0);
      const openOrders = botIds.reduce((sum, botId) => sum + ledgers.get(botId)!.openOrders().length, 0);
      om.close();
      for (const ledger of ledgers.values()) ledger.close();
      store.close();
      const floor = await ledgerCommitLatencies(join(dir, 'floor.sqlite'), clock);
      return [
        { name: 'om.decide.p50_us', value: round(quantile(latencies, 0.5)), unit: 'us' },
        { name: 'om.decide.p99_us', value: round(quantile(latencies, 0.99)), unit: 'us' },
        { name: 'om.decide.per_s', value: round(MEASURED / (Number(measuredNs) / 1e9), 0), unit: 'decisions/s' },
        { name: 'om.submit.p50_us', value: round(quantile(submitLatencies, 0.5)), unit: 'us' },
        { name: 'om.submit.p99_us', value: round(quantile(submitLatencies, 0.99)), unit: 'us' },
        { name: 'om.submit.per_s', value: round(MEASURED / (Number(submitNs) / 1e9), 0), unit: 'intents/s' },
        { name: 'om.approve.p50_us', value: round(quantile(approveLatencies, 0.5)), unit: 'us' },
        { name: 'om.approve.p99_us', value: round(quantile(approveLatencies, 0.99)), unit: 'us' },
        { name: 'om.approve.count', value: approveLatencies.length, unit: 'intents' },
        { name: 'om.approve.ledger_commit.p50_us', value: round(quantile(floor, 0.5)), unit: 'us' },
        { name: 'om.approve.ledger_commit.p99_us', value: round(quantile(floor, 0.99)), unit: 'us' },
        { name: 'om.decide.denied_share', value: round(denied / MEASURED, 3), unit: 'fraction' },
        { name: 'om.decide.open_positions_at_end', value: openPositions, unit: 'positions' },
        { name: 'om.decide.open_orders_at_end', value: openOrders, unit: 'orders' },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
