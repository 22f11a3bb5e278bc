import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../core/decimal.ts';
import type { FleetStatus } from '../../supervisor/control/fleet-control.ts';
import { FleetUnderTest } from './fleet-harness.ts';

/** Enters long when flat, with a stop 5% under, and moves that stop between 5% and 5.1% under the close on every candle. */
const TRAILING_HOLDER = `import { z } from 'zod';
import { Decimal, defineStrategy } from 'flotilla/strategy';
import type { BotStateView, StrategyAction, TimeframeCandle } from 'flotilla/strategy';

export default defineStrategy({
  interfaceVersion: 1,
  parameters: z.strictObject({}),
  create() {
    let wide = false;
    return {
      onCandle(candle: TimeframeCandle, state: BotStateView): StrategyAction[] {
        if (state.warmingUp === true) return [];
        const position = state.positions.get(candle.instrumentId);
        if (position === undefined || position.quantity.isZero()) {
          const entering = state.pendingEntries.has(candle.instrumentId) || state.openOrders.some((order) => order.instrumentId === candle.instrumentId && order.role === 'ENTRY');
          if (entering) return [];
          return [{ type: 'ENTER', instrumentId: candle.instrumentId, side: 'BUY', size: { kind: 'RISK', riskFraction: Decimal.parse('0.002') }, orderType: 'MARKET', stopLoss: candle.close.mul(Decimal.parse('0.95')), reason: 'hold' }];
        }
        const stop = state.openOrders.find((order) => order.instrumentId === candle.instrumentId && order.role === 'STOP');
        if (stop === undefined) return [];
        wide = !wide;
        return [{ type: 'MOVE_STOP', clientOrderId: stop.clientOrderId, triggerPrice: candle.close.mul(Decimal.parse(wide ? '0.949' : '0.95')), reason: 'trail' }];
      },
    };
  },
});
`;
const BOTS = ['alpha', 'bravo'];

/**
 * Crash-only under fire: the supervisor is SIGKILLed while the fleet trades, pm2 brings it back, and the stop moves
 * the bots make after each restart must leave every position with a working stop.
 */
describe('the fleet after the supervisor is SIGKILLed', () => {
  const fleet = new FleetUnderTest({
    clock: { speed: 1200 },
    marketData: { historyCandles: 60 },
    control: { port: 0 },
    metrics: { port: 0 },
  });
  const status = (): Promise<FleetStatus> => fleet.json<FleetStatus>('status');
  /** Stop moves the ledgers record, across both bots: replacements, and amends the venue carried out (the paper venue amends in place). */
  const AMENDED = "FROM stop_amendments a JOIN stop_amendment_outcomes o ON o.amendment = a.id JOIN orders b ON b.client_order_id = a.client_order_id WHERE o.outcome = 'AMENDED'";
  const count = (id: string, sql: string): number => fleet.ledgerRows<{ n: number | null }>(id, sql)[0]?.n ?? 0;
  const moves = (): number => BOTS.reduce((sum, id) => sum + count(id, 'SELECT COUNT(*) AS n FROM replacements') + count(id, `SELECT COUNT(*) AS n ${AMENDED}`), 0);
  const lastSequences = (): Map<string, { order: number; amendment: number }> =>
    new Map(BOTS.map((id) => [id, { order: count(id, 'SELECT MAX(sequence) AS n FROM orders'), amendment: count(id, 'SELECT MAX(id) AS n FROM stop_amendments') }]));
  /** Moves, made after the crash, of stops placed before it: the case a rebuilt venue once refused. */
  const movesAcrossCrash = (before: Map<string, { order: number; amendment: number }>): number =>
    BOTS.reduce((sum, id) => {
      const last = before.get(id) ?? { order: 0, amendment: 0 };
      const replaced = count(id, `SELECT COUNT(*) AS n FROM replacements r JOIN orders a ON a.client_order_id = r.replacement JOIN orders b ON b.client_order_id = r.replaced WHERE a.sequence > ${last.order} AND b.sequence <= ${last.order}`);
      const amended = count(id, `SELECT COUNT(*) AS n ${AMENDED} AND a.id > ${last.amendment} AND b.sequence <= ${last.order}`);
      return sum + replaced + amended;
    }, 0);

  /**
   * The invariant, read from each ledger file in one read transaction (a consistent snapshot while the fleet trades):
   * the accepted, unfinished stops of every open position cover all of it; and status agrees that none is unprotected.
   */
  async function assertProtected(): Promise<void> {
    const current = await status();
    expect(current.bots.flatMap((bot) => bot.unprotectedPositions)).toEqual([]);
    for (const id of BOTS) {
      const gaps = fleet.ledgerSnapshot(id, (rows) => {
        const positions = rows<{ instrument: string; quantity: string }>("SELECT instrument, quantity FROM positions WHERE quantity NOT IN ('0', '-0')");
        const stops = rows<{ instrument: string; quantity: string; filled: string | null }>(`
          SELECT o.instrument,
            COALESCE((SELECT e.quantity FROM order_events e WHERE e.client_order_id = o.client_order_id AND e.type = 'ORDER_AMENDED' ORDER BY e.id DESC LIMIT 1), o.quantity) AS quantity,
            (SELECT group_concat(f.quantity, ' ') FROM fills f WHERE f.client_order_id = o.client_order_id) AS filled
          FROM orders o
          WHERE o.role = 'STOP'
            AND EXISTS (SELECT 1 FROM order_events e WHERE e.client_order_id = o.client_order_id AND e.type = 'ORDER_ACCEPTED')
            AND NOT EXISTS (SELECT 1 FROM order_events e WHERE e.client_order_id = o.client_order_id AND e.type IN ('ORDER_CANCELED', 'ORDER_REJECTED', 'ORDER_EXPIRED'))`);
        return positions.flatMap((position) => {
          const covered = Decimal.sum(
            stops
              .filter((stop) => stop.instrument === position.instrument)
              .map((stop) => Decimal.parse(stop.quantity).sub(Decimal.sum((stop.filled ?? '').split(' ').filter((text) => text !== '').map((text) => Decimal.parse(text))))),
          );
          return covered.gte(Decimal.parse(position.quantity).abs()) ? [] : [`${id} ${position.instrument} ${position.quantity}: stops cover ${covered.toString()}`];
        });
      });
      expect(gaps).toEqual([]);
    }
  }

  beforeAll(async () => {
    // Each bot holds one long per instrument and moves its stop on every candle, so every restart meets stops to move.
    for (const [index, id] of BOTS.entries()) {
      fleet.addFolder(id, {
        'manifest.json': JSON.stringify({
          id,
          name: `Trailing holder ${id}`,
          interfaceVersion: 1,
          venue: 'BYBIT',
          subAccount: id,
          instruments: index === 0 ? ['BTCUSDT.BYBIT', 'ETHUSDT.BYBIT'] : ['SOLUSDT.BYBIT', 'XRPUSDT.BYBIT'],
          timeframes: ['1m'],
          risk: { maxNotionalPerOrder: '50000', orderRateLimit: { maxRequests: 100, windowMs: 1000 }, drawdown: { threshold: '0.5', windowMs: 86400000, action: 'HALTED' } },
          parameters: {},
        }),
        'strategy.ts': TRAILING_HOLDER,
      });
    }
    const started = await fleet.script('supervisor/fleet-start.ts');
    expect(started.stdout).toContain('Fleet online');
  }, 120_000);

  afterAll(async () => {
    await fleet.destroy();
  }, 60_000);

  it('moves stops after each restart and never leaves a position without one', async () => {
    await fleet.until('a stop moved', async () => (moves() > 0 ? true : null), 90_000);
    for (let round = 0; round < 2; round++) {
      const before = await status();
      const sequences = lastSequences();
      process.kill(before.supervisor.pid, 'SIGKILL');
      const after = await fleet.until('the supervisor back, with every bot connected', async () => {
        const current = await status();
        return current.supervisor.pid !== before.supervisor.pid && current.bots.every((bot) => bot.connected) ? current : null;
      }, 60_000);
      expect(after.supervisor.pid).not.toBe(before.supervisor.pid);
      await assertProtected();
      await fleet.until('a stop placed before the crash moved after it', async () => (movesAcrossCrash(sequences) > 0 ? true : null), 60_000);
      await assertProtected();
    }
    // Nothing a crash did doubled an order or a fill.
    for (const id of BOTS) {
      expect(fleet.ledgerRows(id, "SELECT intent_id FROM orders WHERE role IN ('ENTRY', 'CLOSE') GROUP BY intent_id HAVING COUNT(*) > 1")).toEqual([]);
    }
  }, 400_000);
});
