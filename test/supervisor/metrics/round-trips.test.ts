import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.ts';
import { makeClientOrderId, parseSubAccountId, parseTradeId } from '../../../core/ids.ts';
import type { ClientOrderId, OrderRole } from '../../../core/ids.ts';
import type { ExecutionReport } from '../../../core/order.ts';
import type { PositionRecord } from '../../../ledger/types.ts';
import { ALPHA, BTC, NOW, botStatus, fleetStatus, makeMetrics, order, samples, valueOf } from './fixture.ts';

const dec = (text: string) => Decimal.parse(text);
let trade = 0;

function fill(clientOrderId: ClientOrderId, side: 'BUY' | 'SELL', quantity: string, cumulative: string): ExecutionReport {
  trade += 1;
  return {
    type: 'ORDER_FILLED',
    subAccountId: parseSubAccountId('alpha-sub'),
    fill: { tradeId: parseTradeId(`rt-${trade}`), clientOrderId, instrumentId: BTC, side, quantity: dec(quantity), price: dec('50000'), fee: dec('1'), liquidity: 'TAKER', at: NOW },
    cumulativeQuantity: dec(cumulative),
    leavesQuantity: dec('0'),
  };
}

function positionOf(quantity: string): PositionRecord {
  return { instrumentId: BTC, quantity: dec(quantity), costBasis: dec(quantity).mul(dec('50000')), averageEntryPrice: dec('50000'), realizedPnl: dec('0'), fees: dec('0'), entryOrders: 1, updatedAt: NOW };
}

function orderOf(role: OrderRole, sequence: number) {
  const id = makeClientOrderId(ALPHA, '0000beef', role, sequence);
  return { id, record: { ...order(ALPHA, id, 'FILLED'), role } };
}

describe('round trips and filled entries', () => {
  it('counts an entry once at its first fill, and a round trip by the role of the order whose fill closed it', async () => {
    const { metrics } = makeMetrics();
    const entry = orderOf('ENTRY', 1);
    const takeProfit = orderOf('TAKE_PROFIT', 2);
    const stop = orderOf('STOP', 3);
    // Act: an entry filled in two parts, a take-profit that halves the position, then the stop that closes the rest.
    metrics.recordReport(ALPHA, fill(entry.id, 'BUY', '0.1', '0.1'), entry.record, positionOf('0.1'));
    metrics.recordReport(ALPHA, fill(entry.id, 'BUY', '0.1', '0.2'), entry.record, positionOf('0.2'));
    metrics.recordReport(ALPHA, fill(takeProfit.id, 'SELL', '0.1', '0.1'), takeProfit.record, positionOf('0.1'));
    metrics.recordReport(ALPHA, fill(stop.id, 'SELL', '0.1', '0.1'), stop.record, positionOf('0'));
    // Assert
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_entry_orders_filled_total', { bot: 'alpha' })).toBe(1);
    expect(valueOf(all, 'flotilla_round_trips_closed_total', { bot: 'alpha', exit: 'STOP' })).toBe(1);
    expect(valueOf(all, 'flotilla_round_trips_closed_total', { bot: 'alpha', exit: 'TAKE_PROFIT' })).toBe(0);
    expect(valueOf(all, 'flotilla_round_trips_closed_total', { bot: 'alpha', exit: 'CLOSE' })).toBe(0);
  });

  it('counts a short closed by a buy, and a fill through flat as a round trip closed', async () => {
    const { metrics } = makeMetrics();
    const close = orderOf('CLOSE', 4);
    const entry = orderOf('ENTRY', 5);
    metrics.recordReport(ALPHA, fill(close.id, 'BUY', '0.2', '0.2'), close.record, positionOf('0'));
    // From short 0.1 through flat to long 0.1.
    metrics.recordReport(ALPHA, fill(entry.id, 'BUY', '0.2', '0.2'), entry.record, positionOf('0.1'));
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_round_trips_closed_total', { bot: 'alpha', exit: 'CLOSE' })).toBe(1);
    expect(valueOf(all, 'flotilla_round_trips_closed_total', { bot: 'alpha', exit: 'ENTRY' })).toBe(1);
  });

  it('sets risk in use and its target from the status, per bot', async () => {
    const { metrics } = makeMetrics();
    metrics.observeFleet(fleetStatus([botStatus('alpha', { riskInUse: { openRisk: '800', fraction: '0.008', target: '0.01' } })]), { lockedKeys: [], pnl: [] });
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_bot_open_risk_fraction', { bot: 'alpha' })).toBe(0.008);
    expect(valueOf(all, 'flotilla_bot_open_risk_target_fraction', { bot: 'alpha' })).toBe(0.01);
  });
});
