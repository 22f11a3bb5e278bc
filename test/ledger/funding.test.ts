import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { dec } from '../../core/decimal.ts';
import { parseBotId, parseFundingId, parseInstrumentId, parseIntentId, parseSubAccountId, parseTradeId } from '../../core/ids.ts';
import { openDatabaseReadOnly } from '../../core/sqlite.ts';
import { openLedger } from '../../ledger/sqlite-ledger.ts';
import type { FundingPayment, Ledger } from '../../ledger/types.ts';

const BOT = parseBotId('perp');
const SUB = parseSubAccountId('perp');
const BTC = parseInstrumentId('BTCUSDT.BYBIT');
const ETH = parseInstrumentId('ETHUSDT.BYBIT');

let dir: string;
let opened: Ledger[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-funding-'));
  opened = [];
});

afterEach(() => {
  for (const ledger of opened) ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(path = join(dir, 'perp.sqlite')): Ledger {
  const ledger = openLedger({ path, botId: BOT, clock: new ManualClock(1_000) });
  opened.push(ledger);
  return ledger;
}

function reopen(ledger: Ledger): Ledger {
  ledger.close();
  return open(ledger.path);
}

function payment(id: string, amount: string, overrides: Partial<FundingPayment> = {}): FundingPayment {
  return { fundingId: parseFundingId(id), instrumentId: BTC, amount: dec(amount), rate: dec('0.0001'), positionQuantity: dec('-2'), markPrice: dec('50000'), at: 28_800_000, ...overrides };
}

/** A long of one BTC at 50,000, so that balance and equity have a position beside the funding. */
function holdOneBitcoin(ledger: Ledger): void {
  const [order] = ledger.recordOrders(
    [{
      clientOrderId: ledger.allocateClientOrderId('ENTRY'), botId: BOT, subAccountId: SUB, intentId: parseIntentId('i-1'), instrumentId: BTC, role: 'ENTRY', side: 'BUY',
      type: 'MARKET', quantity: dec('1'), limitPrice: null, triggerPrice: null, timeInForce: 'GTC', reduceOnly: false, parentClientOrderId: null, activatesOnParentFill: false,
    }],
    1,
  );
  if (order === undefined) throw new Error('no order');
  ledger.applyReport({
    type: 'ORDER_FILLED', subAccountId: SUB, cumulativeQuantity: dec('1'), leavesQuantity: dec('0'),
    fill: { tradeId: parseTradeId('t-1'), clientOrderId: order.clientOrderId, instrumentId: BTC, side: 'BUY', quantity: dec('1'), price: dec('50000'), fee: dec('27.5'), liquidity: 'TAKER', at: 2 },
  });
}

describe('funding payments', () => {
  it('test_record_funding_when_received_and_paid_then_balance_and_equity_move_by_their_sum_and_nothing_else', () => {
    const ledger = open();
    ledger.recordCapital(dec('100000'), 0, 'deposit');
    holdOneBitcoin(ledger);
    const before = ledger.allPositions();

    ledger.recordFunding(payment('f-1', '-5', { positionQuantity: dec('1'), at: 28_800_000 }));
    ledger.recordFunding(payment('f-2', '2.5', { positionQuantity: dec('1'), rate: dec('-0.00005'), at: 57_600_000 }));
    ledger.recordFunding(payment('f-3', '1.25', { instrumentId: ETH, positionQuantity: dec('-10'), markPrice: dec('2500'), at: 57_600_000 }));

    expect(ledger.balance().toString()).toBe(dec('100000').sub(dec('27.5')).add(dec('-5')).add(dec('2.5')).add(dec('1.25')).toString());
    expect(ledger.equity(new Map([[BTC, dec('50100')]]), 3).equity.toString()).toBe('100071.25');
    expect([...ledger.fundingByInstrument()].map(([id, amount]) => [id, amount.toString()])).toEqual([[BTC, '-2.5'], [ETH, '1.25']]);
    // A funding payment is no fill: positions, realized PnL and fees are as the fill left them.
    expect(ledger.allPositions()).toEqual(before);
    expect(ledger.fills()).toHaveLength(1);
    expect(ledger.fundingPayments().map((entry) => entry.fundingId)).toEqual(['f-1', 'f-2', 'f-3']);
  });

  it('test_record_funding_when_the_same_venue_id_comes_again_then_it_counts_once_also_after_reopen', () => {
    const ledger = open();
    expect(ledger.recordFunding(payment('exec-7', '-3')).duplicate).toBe(false);
    const again = ledger.recordFunding(payment('exec-7', '-300'));
    expect(again).toEqual({ payment: payment('exec-7', '-3'), duplicate: true });
    const reopened = reopen(ledger);
    expect(reopened.recordFunding(payment('exec-7', '-3')).duplicate).toBe(true);
    expect(reopened.fundingPayments()).toEqual([payment('exec-7', '-3')]);
    expect(reopened.balance().toString()).toBe('-3');
  });

  it('test_recovery_when_reopened_then_every_payment_and_its_sums_are_rebuilt_from_the_file', () => {
    const ledger = open();
    ledger.recordCapital(dec('1000'), 0, 'deposit');
    ledger.recordFunding(payment('a', '-0.12345678', { at: 10 }));
    ledger.recordFunding(payment('b', '0.5', { instrumentId: ETH, at: 20 }));
    const payments = ledger.fundingPayments();
    const reopened = reopen(ledger);
    expect(reopened.fundingPayments()).toEqual(payments);
    expect(reopened.balance().toString()).toBe('1000.37654322');
    expect(reopened.latestRecordedAt()).toBe(20);
    reopened.recordFunding(payment('c', '1', { at: 30 }));
    expect(reopen(reopened).fundingPayments().map((entry) => entry.fundingId)).toEqual(['a', 'b', 'c']);
  });

  it('test_record_funding_when_position_is_zero_or_mark_is_not_positive_then_refused_and_nothing_recorded', () => {
    const ledger = open();
    expect(() => ledger.recordFunding(payment('z', '-1', { positionQuantity: dec('0') }))).toThrow(/position quantity is zero/);
    expect(() => ledger.recordFunding(payment('m', '-1', { markPrice: dec('0') }))).toThrow(/mark price must be positive/);
    expect(ledger.fundingPayments()).toEqual([]);
    expect(reopen(ledger).balance().isZero()).toBe(true);
  });

  it('test_funding_table_when_written_then_amounts_are_decimal_text_and_rows_are_append_only', () => {
    const ledger = open();
    ledger.recordFunding(payment('exact', '-0.000000000000000001'));
    ledger.close();
    const db = new DatabaseSync(ledger.path);
    try {
      expect(db.prepare('SELECT funding_id, instrument, amount, rate, position_quantity, mark_price, at FROM funding').all()).toEqual([
        { funding_id: 'exact', instrument: BTC, amount: '-0.000000000000000001', rate: '0.0001', position_quantity: '-2', mark_price: '50000', at: 28_800_000 },
      ]);
      expect(() => db.prepare("UPDATE funding SET amount = '0'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM funding').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('test_migration_when_a_version_4_file_is_opened_then_it_gains_the_funding_table_and_keeps_its_money', () => {
    const path = join(dir, 'old.sqlite');
    const first = open(path);
    first.recordCapital(dec('500'), 0, 'deposit');
    holdOneBitcoin(first);
    const balance = first.balance();
    first.close();
    // Back to what a version 4 build wrote.
    const db = new DatabaseSync(path);
    db.exec('DROP TABLE stop_amendment_outcomes; DROP TABLE stop_amendments; DROP TABLE funding; PRAGMA user_version = 4;');
    db.close();

    const migrated = open(path);

    expect(migrated.balance()).toEqual(balance);
    expect(migrated.fundingPayments()).toEqual([]);
    migrated.recordFunding(payment('after', '-1', { positionQuantity: dec('1') }));
    expect(reopen(migrated).balance()).toEqual(balance.sub(dec('1')));
    const check = openDatabaseReadOnly(path);
    try {
      expect((check.prepare('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(6);
    } finally {
      check.close();
    }
  });
});
