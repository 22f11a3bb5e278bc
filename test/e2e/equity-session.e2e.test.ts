import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { newYorkDate, nextOpen, sessionOnDate, type Session } from '../../core/us-equity-calendar.ts';
import type { DecisionInfo, OrderInfo, PositionInfo } from '../../supervisor/control/fleet-control.ts';
import { AlpacaStandin } from '../../venues/alpaca/standin/standin.ts';
import { FleetUnderTest } from './fleet-harness.ts';

/**
 * An equity bot under pm2, live on the Alpaca stand-in, across a session close and the next open. The stand-in's
 * clock is moved by hand (its /v2/clock is what the supervisor's order manager believes), so no test waits for real
 * hours: before the close the bot enters QQQ and its stop goes to the venue; after the close its SPY entry is
 * denied MARKET_CLOSED while the QQQ position and stop stay; at the next open its SPY entry goes through.
 */

const MINUTE = 60_000;
const DAY = 86_400_000;

const CATALOG = [
  { id: 'QQQ.ALPACA', kind: 'EQUITY', tickSize: '0.01', lotStep: '1', minQuantity: '1', minNotional: '1', exposure: { key: 'NDX', beta: '1' }, startPrice: '480' },
  { id: 'SPY.ALPACA', kind: 'EQUITY', tickSize: '0.01', lotStep: '1', minQuantity: '1', minNotional: '1', exposure: { key: 'SPX', beta: '1' }, startPrice: '590' },
];

/** Enters 10 shares of any instrument it is flat in, with a stop 5% below: it tries on every live candle. */
const STRATEGY = `import { z } from 'zod';
import { Decimal, defineStrategy } from 'flotilla/strategy';
import type { BotStateView, StrategyAction, TimeframeCandle } from 'flotilla/strategy';

export default defineStrategy({
  interfaceVersion: 1,
  parameters: z.strictObject({}),
  create() {
    return {
      onCandle(candle: TimeframeCandle, state: BotStateView): StrategyAction[] {
        if (state.warmingUp) return [];
        const held = state.positions.get(candle.instrumentId);
        const entering = state.pendingEntries.has(candle.instrumentId) || state.openOrders.some((order) => order.instrumentId === candle.instrumentId && order.role === 'ENTRY');
        if ((held !== undefined && !held.quantity.isZero()) || entering) return [];
        const stop = Decimal.fromNumber(candle.close.toNumber() * 0.95, 2);
        return [{ type: 'ENTER', instrumentId: candle.instrumentId, side: 'BUY', size: { kind: 'QUANTITY', quantity: Decimal.fromNumber(10, 0) }, orderType: 'MARKET', stopLoss: stop, reason: 'flat' }];
      },
    };
  },
});
`;

const MANIFEST = {
  id: 'equity',
  name: 'Equity session test bot',
  interfaceVersion: 1,
  venue: 'ALPACA',
  subAccount: 'equity',
  instruments: ['QQQ.ALPACA', 'SPY.ALPACA'],
  timeframes: ['1m'],
  risk: { riskPerTrade: '0.01', maxOpenRisk: '0.05', maxNotionalPerOrder: '50000', orderRateLimit: { maxRequests: 20, windowMs: 1000 }, drawdown: { threshold: '0.5', windowMs: 86_400_000, action: 'HALTED' } },
  parameters: {},
};

/** The latest session that closed more than an hour before now: its bars are history to the supervisor's clock. */
function lastClosedSession(): Session {
  const { year, month, day } = newYorkDate(Date.now());
  for (let back = 0; back < 10; back++) {
    const date = new Date(Date.UTC(year, month, day) - back * DAY).toISOString().slice(0, 10);
    const session = sessionOnDate(date);
    if (session !== null && session.close < Date.now() - 3_600_000) return session;
  }
  throw new Error('no session in the last ten days');
}

describe('an equity bot across the US session close and the next open', () => {
  const session = lastClosedSession();
  const clock = new ManualClock(session.close - 5 * MINUTE);
  let standin: AlpacaStandin;
  let fleet: FleetUnderTest;

  const decisions = (): Promise<DecisionInfo[]> => fleet.json<DecisionInfo[]>('decisions', '--bot', 'equity', '--limit', '100');
  const orders = (): Promise<OrderInfo[]> => fleet.json<OrderInfo[]>('orders', '--bot', 'equity', '--limit', '100');
  const positions = (): Promise<PositionInfo[]> => fleet.json<PositionInfo[]>('positions', '--bot', 'equity');
  const bar = (symbol: string, price: string): void => {
    standin.pushBar(symbol, { open: price, high: price, low: price, close: price });
  };
  /** Moves the stand-in's clock, then waits until the supervisor has asked /v2/clock twice since: one full answer after the move. */
  const moveClock = async (to: number): Promise<void> => {
    clock.set(to);
    const seen = standin.clockReads;
    await fleet.until('the supervisor to read the venue clock', async () => standin.clockReads >= seen + 2, 10_000);
  };

  beforeAll(async () => {
    standin = await AlpacaStandin.start({ instruments: CATALOG, market: { kind: 'manual' }, clock });
    fleet = FleetUnderTest.onAlpacaStandin(standin, 'equity', {
      defaultCatalog: false,
      instruments: CATALOG.map(({ startPrice: _startPrice, ...instrument }) => instrument),
      exposureKeys: { NDX: { policy: 'exclusive' }, SPX: { policy: 'exclusive' } },
      marketData: { historyCandles: 5 },
    });
    fleet.addFolder('equity', { 'manifest.json': JSON.stringify(MANIFEST), 'strategy.ts': STRATEGY });
    await fleet.start();
  }, 120_000);

  afterAll(async () => {
    await fleet?.destroy();
    await standin?.stop();
  }, 60_000);

  it('enters QQQ before the close, with its stop at the venue', async () => {
    // 15:56 New York: the bar of 15:55 makes the bot enter; the stand-in fills a market order at the last price.
    await moveClock(session.close - 4 * MINUTE);
    bar('QQQ', '480');
    const stop = await fleet.until('the QQQ fill and its stop', async () => {
      const held = (await positions()).find((position) => position.instrumentId === 'QQQ.ALPACA');
      const working = (await orders()).find((order) => order.instrumentId === 'QQQ.ALPACA' && order.role === 'STOP' && order.status === 'ACCEPTED');
      return held?.quantity === '10' ? working : undefined;
    });
    expect(stop.triggerPrice).toBe('456');
  }, 60_000);

  it('denies the SPY entry after the close MARKET_CLOSED, and the QQQ position and stop stay', async () => {
    // 16:00:30: the last bar of the session (15:59) arrives after the close, as it does at Alpaca.
    await moveClock(session.close + 30_000);
    bar('SPY', '590');
    const denied = await fleet.until('the SPY denial', async () => (await decisions()).find((decision) => decision.instrumentId === 'SPY.ALPACA'));
    expect(denied).toMatchObject({ outcome: 'DENIED', reason: 'MARKET_CLOSED' });
    expect(denied.detail).toMatch(/^SPY\.ALPACA trades in the ALPACA session, which is closed; it opens at /);
    // Nothing for SPY reached the venue; QQQ is held with its stop, in the ledger and at Alpaca.
    expect((await orders()).filter((order) => order.instrumentId === 'SPY.ALPACA')).toEqual([]);
    expect((await positions()).map((position) => [position.instrumentId, position.quantity])).toEqual([['QQQ.ALPACA', '10']]);
    const account = standin.exchange.accounts()[0]!;
    expect(standin.exchange.positions(account).map((position) => [position.symbol, position.qty.toString()])).toEqual([['QQQ', '10']]);
    const stop = (await orders()).find((order) => order.instrumentId === 'QQQ.ALPACA' && order.role === 'STOP');
    expect(stop?.status).toBe('ACCEPTED');
    expect(standin.exchange.orderByClientId(account, stop!.clientOrderId)).toMatchObject({ type: 'stop', status: 'new' });
  }, 60_000);

  it('enters SPY at the next open: trading resumes', async () => {
    const opens = nextOpen(session.close);
    await moveClock(opens + MINUTE);
    bar('SPY', '592');
    await fleet.until('the SPY fill', async () => (await positions()).find((position) => position.instrumentId === 'SPY.ALPACA' && position.quantity === '10'));
    const spy = (await decisions()).filter((decision) => decision.instrumentId === 'SPY.ALPACA').map((decision) => decision.reason ?? decision.outcome);
    expect(spy).toContain('APPROVED');
    expect(spy).toContain('MARKET_CLOSED');
    // The QQQ stop lived through the night.
    expect((await orders()).filter((order) => order.instrumentId === 'QQQ.ALPACA' && order.role === 'STOP' && order.status === 'ACCEPTED')).toHaveLength(1);
  }, 60_000);
});
