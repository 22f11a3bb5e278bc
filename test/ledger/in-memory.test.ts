import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { dec } from '../../core/decimal.ts';
import { parseBotId, parseFundingId, parseInstrumentId, parseIntentId, parseSubAccountId, parseTradeId } from '../../core/ids.ts';
import { IN_MEMORY_LEDGER, openLedger } from '../../ledger/sqlite-ledger.ts';
import { LEDGER_MIGRATIONS } from '../../ledger/schema.ts';
import type { Ledger } from '../../ledger/types.ts';

const BOT = parseBotId('memo');
const SUB = parseSubAccountId('memo');
const BTC = parseInstrumentId('BTCUSDT.BYBIT');

let cwd: string;
let previous: string;

beforeEach(() => {
  previous = process.cwd();
  cwd = mkdtempSync(join(tmpdir(), 'flotilla-memory-'));
  process.chdir(cwd);
});

afterEach(() => {
  process.chdir(previous);
  rmSync(cwd, { recursive: true, force: true });
});

function trade(ledger: Ledger, quantity: string, price: string): void {
  const [order] = ledger.recordOrders(
    [{
      clientOrderId: ledger.allocateClientOrderId('ENTRY'), botId: BOT, subAccountId: SUB, intentId: parseIntentId(`i-${quantity}`), instrumentId: BTC, role: 'ENTRY', side: 'BUY',
      type: 'MARKET', quantity: dec(quantity), limitPrice: null, triggerPrice: null, timeInForce: 'GTC', reduceOnly: false, parentClientOrderId: null, activatesOnParentFill: false,
    }],
    1,
  );
  if (order === undefined) throw new Error('no order');
  ledger.applyReport({
    type: 'ORDER_FILLED', subAccountId: SUB, cumulativeQuantity: dec(quantity), leavesQuantity: dec('0'),
    fill: { tradeId: parseTradeId(`t-${quantity}`), clientOrderId: order.clientOrderId, instrumentId: BTC, side: 'BUY', quantity: dec(quantity), price: dec(price), fee: dec('1'), liquidity: 'TAKER', at: 2 },
  });
}

describe('a ledger on an in-memory database', () => {
  it('test_open_when_in_memory_then_the_latest_schema_is_there_and_orders_fills_and_funding_work_with_no_file_anywhere', () => {
    const ledger = openLedger({ path: IN_MEMORY_LEDGER, botId: BOT, clock: new ManualClock(5), ordersDurableBeforeSend: false });
    try {
      ledger.recordCapital(dec('1000'), 0, 'deposit');
      trade(ledger, '0.01', '50000');
      ledger.recordFunding({ fundingId: parseFundingId('f'), instrumentId: BTC, amount: dec('-0.05'), rate: dec('0.0001'), positionQuantity: dec('0.01'), markPrice: dec('50000'), at: 3 });
      expect(ledger.position(BTC)?.quantity.toString()).toBe('0.01');
      expect(ledger.fills()).toHaveLength(1);
      expect(ledger.balance().toString()).toBe('998.95');
      expect(ledger.latestRecordedAt()).toBe(3);
    } finally {
      ledger.close();
    }
    expect(readdirSync(cwd)).toEqual([]);
    expect(existsSync(join(cwd, IN_MEMORY_LEDGER))).toBe(false);
    expect(Math.max(...LEDGER_MIGRATIONS.map((migration) => migration.version))).toBe(6);
  });

  it('test_open_when_two_in_memory_ledgers_then_each_is_its_own_and_neither_takes_a_writer_lock', () => {
    const first = openLedger({ path: IN_MEMORY_LEDGER, botId: BOT, clock: new ManualClock() });
    const second = openLedger({ path: IN_MEMORY_LEDGER, botId: parseBotId('other'), clock: new ManualClock() });
    try {
      trade(first, '1', '100');
      expect(first.fills()).toHaveLength(1);
      expect(second.fills()).toHaveLength(0);
    } finally {
      first.close();
      second.close();
    }
  });
});
