import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../core/clock.ts';
import { Decimal, dec } from '../core/decimal.ts';
import { parseBotId, parseInstrumentId, parseIntentId, parseSubAccountId, parseTradeId, parseVenueOrderId } from '../core/ids.ts';
import type { SubmitOrder } from '../core/order.ts';
import { openLedger } from '../ledger/sqlite-ledger.ts';
import type { Benchmark, Figure } from './harness.ts';
import { round } from './harness.ts';

const FILLS = 60_000;
const FILLS_PER_ORDER = 3;
const OWN_TICK_FILLS = 6_000;

/** Fills applied through applyReport, each one durable with its position update, on a real file in WAL mode. */
export const ledgerBenchmark: Benchmark = {
  name: 'ledger',
  async run(): Promise<Figure[]> {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-ledger-'));
    try {
      const clock = new ManualClock();
      const botId = parseBotId('bench');
      const ledger = openLedger({ path: join(dir, 'bench.ledger.sqlite'), botId, clock });
      ledger.recordCapital(dec('100000'), clock.now(), 'bench');
      const instruments = Array.from({ length: 10 }, (_, index) => parseInstrumentId(`SYM${index}USDT.BYBIT`));
      const orders: SubmitOrder[] = [];
      for (let index = 0; index < FILLS / FILLS_PER_ORDER; index++) {
        orders.push({
          clientOrderId: ledger.allocateClientOrderId('ENTRY'),
          botId,
          subAccountId: parseSubAccountId('bench'),
          intentId: parseIntentId(`bench-${index}`),
          instrumentId: instruments[index % instruments.length]!,
          role: 'ENTRY',
          // Alternating sides per instrument make positions open, grow, shrink, close and flip.
          side: Math.floor(index / instruments.length) % 3 === 2 ? 'SELL' : 'BUY',
          type: 'MARKET',
          quantity: dec('0.003'),
          limitPrice: null,
          triggerPrice: null,
          timeInForce: 'GTC',
          reduceOnly: false,
          parentClientOrderId: null,
          activatesOnParentFill: false,
        });
      }
      ledger.recordOrders(orders, clock.now());
      const unit = dec('0.001');
      const started = process.hrtime.bigint();
      let trade = 0;
      for (const order of orders) {
        ledger.applyReport({ type: 'ORDER_ACCEPTED', subAccountId: order.subAccountId, clientOrderId: order.clientOrderId, venueOrderId: parseVenueOrderId(`v${trade}`), at: clock.now() });
        for (let part = 1; part <= FILLS_PER_ORDER; part++) {
          trade++;
          const price = Decimal.fromUnits(BigInt(50_000 + (trade % 997)) * 10n ** 17n); // 5000.0 .. 5099.6
          ledger.applyReport({
            type: 'ORDER_FILLED',
            subAccountId: order.subAccountId,
            fill: { tradeId: parseTradeId(`t${trade}`), clientOrderId: order.clientOrderId, instrumentId: order.instrumentId, side: order.side, quantity: unit, price, fee: dec('0.0028'), liquidity: 'TAKER', at: clock.now() },
            cumulativeQuantity: unit.mul(Decimal.fromInteger(part)),
            leavesQuantity: unit.mul(Decimal.fromInteger(FILLS_PER_ORDER - part)),
          });
        }
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // Live fills arrive one per event-loop turn (one WebSocket message each), so each commits on its own.
      const ownTick = orders.slice(0, OWN_TICK_FILLS / FILLS_PER_ORDER).map((order) => ({ ...order, clientOrderId: ledger.allocateClientOrderId('ENTRY') }));
      ledger.recordOrders(ownTick, clock.now());
      const ownStarted = process.hrtime.bigint();
      for (const order of ownTick) {
        for (let part = 1; part <= FILLS_PER_ORDER; part++) {
          trade++;
          ledger.applyReport({
            type: 'ORDER_FILLED',
            subAccountId: order.subAccountId,
            fill: { tradeId: parseTradeId(`t${trade}`), clientOrderId: order.clientOrderId, instrumentId: order.instrumentId, side: order.side, quantity: unit, price: dec('5000'), fee: dec('0.0028'), liquidity: 'TAKER', at: clock.now() },
            cumulativeQuantity: unit.mul(Decimal.fromInteger(part)),
            leavesQuantity: unit.mul(Decimal.fromInteger(FILLS_PER_ORDER - part)),
          });
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      const ownSeconds = Number(process.hrtime.bigint() - ownStarted) / 1e9;
      ledger.close();
      return [
        { name: 'ledger.apply_fill.per_s', value: round(FILLS / seconds, 0), unit: 'fills/s' },
        { name: 'ledger.apply_fill_one_per_tick.per_s', value: round(OWN_TICK_FILLS / ownSeconds, 0), unit: 'fills/s' },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
