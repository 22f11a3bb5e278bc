import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.ts';
import type { InstrumentId } from '../../../core/ids.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { BTC, ETH, FleetHarness, LINK, SOL, botIdOf, ledgerView, marketLong, quietBot, restingLong, venueView, withTimeout, stopOutAfterRestart } from './fleet-harness.ts';

interface SavedMarket {
  originMs: number;
  seed: number;
  marketTimeMs: number;
}

/**
 * Crash-only: a fleet that traded is closed and opened again on the same FLOTILLA_HOME. Startup is recovery,
 * so everything must come back from the files: ledgers, the supervisor's store, market.json.
 */
/** The market starts on a Monday at 00:00 UTC: only the instruments that trade around the clock (not equities, which wait for the US session) have live candles. */
function aroundTheClock(fleet: { omConfig: { instruments: ReadonlyMap<unknown, { kind: string }> } }): number {
  return [...fleet.omConfig.instruments.values()].filter((instrument) => instrument.kind !== 'EQUITY').length;
}

describe('restart recovery', () => {
  let h: FleetHarness;
  afterEach(async () => {
    await h.dispose();
  });

  async function tradedFleet(): Promise<{ lastCloseSeen: number }> {
    h = await FleetHarness.open({ bots: [quietBot('alpha', { instruments: [BTC, ETH] }), quietBot('bravo', { instruments: [SOL, LINK] })] });
    const alpha = await h.connectedBot('alpha');
    const bravo = await h.connectedBot('bravo');
    for (const [bot, command] of [
      [alpha, marketLong(h, 'alpha', 'alpha-btc', BTC, '0.01')],
      [alpha, restingLong(h, 'alpha', 'alpha-eth', ETH, '0.5')],
      [bravo, marketLong(h, 'bravo', 'bravo-sol', SOL, '5')],
      [bravo, restingLong(h, 'bravo', 'bravo-link', LINK, '10')],
    ] as const) {
      const result = await bot.execute(command);
      if (result.kind !== 'decision' || result.decision.outcome !== 'APPROVED') throw new Error(`setup intent not approved: ${JSON.stringify(result)}`);
    }
    await h.fleet.control.halt({ botId: 'bravo', reason: 'before the restart' });
    const candle = await alpha.waitFor((message) => (message.t === 'candle' ? message.candle : undefined), 'a live candle');
    await h.fleet.om.idle();
    alpha.close();
    bravo.close();
    return { lastCloseSeen: candle.openTime + candle.durationMs };
  }

  function snapshot() {
    const fleet = h.fleet;
    return {
      books: { alpha: ledgerView(fleet, 'alpha'), bravo: ledgerView(fleet, 'bravo') },
      statuses: ['alpha', 'bravo'].flatMap((id) => fleet.om.ledger(botIdOf(id)).openOrders().map((order) => [order.clientOrderId, order.role, order.status])),
      states: ['alpha', 'bravo'].map((id) => {
        const { state, reason, detail } = fleet.om.scopeState(`bot:${botIdOf(id)}`);
        return { state, reason, detail };
      }),
      balances: ['alpha', 'bravo'].map((id) => fleet.om.ledger(botIdOf(id)).balance().toString()),
    };
  }

  it('test_reopen_when_fleet_traded_then_positions_open_orders_and_trading_states_survive', async () => {
    // Arrange
    await tradedFleet();
    const before = snapshot();
    // Act
    await h.closeFleet();
    await h.reopen();
    // Assert
    const after = snapshot();
    expect(after).toEqual(before);
    expect(before.books.alpha.positions).toHaveLength(1);
    expect(before.books.alpha.orders).toHaveLength(5);
    expect(before.states[1]).toEqual({ state: 'HALTED', reason: 'OPERATOR_HALT', detail: 'before the restart' });
    // The bot reconnecting sees its position and orders in its welcome.
    const alpha = await h.connectedBot('alpha');
    const welcome = await alpha.welcome();
    expect(welcome.state.positions.map((position) => [position.instrumentId, position.quantity])).toEqual([[BTC, '0.01']]);
    expect(welcome.state.openOrders.map((order) => order.clientOrderId).sort()).toEqual(before.books.alpha.orders);
  });

  it('test_reopen_when_fleet_traded_then_paper_venue_is_rebuilt_from_the_ledgers', async () => {
    // Arrange
    await tradedFleet();
    // Act
    await h.closeFleet();
    await h.reopen();
    await h.fleet.om.idle();
    // Assert: the venue's open orders, positions and cash are the ledgers', bot by bot.
    for (const botId of ['alpha', 'bravo']) {
      const ledger = ledgerView(h.fleet, botId);
      expect(await venueView(h.fleet, botId)).toEqual(ledger);
      const subAccount = h.fleet.omConfig.bots.get(botIdOf(botId))!.subAccountId;
      expect((await h.fleet.venue.balance(subAccount)).toString()).toBe(h.fleet.om.ledger(botIdOf(botId)).balance().toString());
    }
    expect((await venueView(h.fleet, 'bravo')).positions).toEqual([expect.objectContaining({ instrumentId: SOL, quantity: '5' })]);
  });

  it('test_reopen_when_intent_is_replayed_after_restart_then_recorded_decision_and_no_new_order', async () => {
    // Arrange
    await tradedFleet();
    const original = h.fleet.om.recentDecisions(10).find((decision) => decision.intentId === 'alpha-btc')!;
    const ordersBefore = h.fleet.om.ledger(botIdOf('alpha')).recentOrders(100).length;
    await h.closeFleet();
    await h.reopen();
    // Act
    const alpha = await h.connectedBot('alpha');
    const replay = await alpha.execute(marketLong(h, 'alpha', 'alpha-btc', BTC, '0.01'));
    await h.fleet.om.idle();
    // Assert
    expect(replay).toMatchObject({ kind: 'decision', decision: { outcome: 'APPROVED', clientOrderId: original.clientOrderId } });
    expect(h.fleet.om.ledger(botIdOf('alpha')).recentOrders(100)).toHaveLength(ordersBefore);
  });

  it('test_reopen_when_market_was_saved_then_first_live_candle_opens_at_the_last_close_delivered_before', async () => {
    // Arrange: remember the last 1m close the market delivered on each instrument before the restart.
    h = await FleetHarness.open({ bots: [quietBot('alpha')] });
    const lastClose = new Map<InstrumentId, string>();
    h.fleet.hub.onEveryCandle('restart-continuity', (candle) => {
      if (candle.timeframe === '1m') lastClose.set(candle.instrumentId, candle.close.toString());
    });
    const bot = await h.connectedBot('alpha');
    await bot.waitFor((message) => (message.t === 'candle' ? true : undefined), 'a live candle');
    bot.close();
    await h.closeFleet();
    // Act
    const fleet = await h.reopen(false);
    const firstOpen = new Map<InstrumentId, string>();
    const seen = withTimeout(
      new Promise<void>((resolve) => {
        fleet.hub.onEveryCandle('restart-continuity', (candle) => {
          if (candle.timeframe !== '1m' || firstOpen.has(candle.instrumentId)) return;
          firstOpen.set(candle.instrumentId, candle.open.toString());
          if (firstOpen.size === aroundTheClock(fleet)) resolve();
        });
      }),
      'a first live candle on every instrument',
    );
    await fleet.start();
    await seen;
    // Assert: no jump: the path continues exactly.
    expect(lastClose.size).toBe(aroundTheClock(fleet));
    expect(Object.fromEntries(firstOpen)).toEqual(Object.fromEntries(lastClose));
  });

  it('test_reopen_when_market_was_saved_then_market_time_continues_and_never_goes_back', async () => {
    // Arrange
    const { lastCloseSeen } = await tradedFleet();
    await h.closeFleet();
    const saved = JSON.parse(readFileSync(join(h.home, 'market.json'), 'utf8')) as SavedMarket;
    // Act: open, listen for the first live minute of each instrument, then start.
    const fleet = await h.reopen(false);
    const firstLive = new Map<InstrumentId, TimeframeCandle>();
    const allSeen = withTimeout(
      new Promise<void>((resolve) => {
        fleet.hub.onEveryCandle('restart-test', (candle) => {
          if (candle.timeframe !== '1m' || firstLive.has(candle.instrumentId)) return;
          firstLive.set(candle.instrumentId, candle);
          if (firstLive.size === aroundTheClock(fleet)) resolve();
        });
      }),
      'a live candle on every instrument',
    );
    await fleet.start();
    await allSeen;
    // Assert
    expect(saved.marketTimeMs).toBeGreaterThanOrEqual(lastCloseSeen);
    expect(fleet.clock.now()).toBeGreaterThanOrEqual(saved.marketTimeMs);
    // The candle still forming at the restart is the first one delivered after it.
    const liveFrom = Math.floor(saved.marketTimeMs / 60_000) * 60_000;
    for (const candle of firstLive.values()) {
      expect(candle.openTime).toBe(liveFrom);
      expect(candle.openTime).toBeGreaterThanOrEqual(lastCloseSeen);
    }
    // A second restart moves on again from where this one stood.
    await h.closeFleet();
    const savedAgain = JSON.parse(readFileSync(join(h.home, 'market.json'), 'utf8')) as SavedMarket;
    expect(savedAgain.marketTimeMs).toBeGreaterThanOrEqual(liveFrom + 60_000);
    await h.reopen();
    expect(h.fleet.clock.now()).toBeGreaterThanOrEqual(savedAgain.marketTimeMs);
  });
  // Regression: the paper venue numbered trades from PAPER-T1 in every new engine, and the ledger took a fill whose
  // trade ID it had already seen for a duplicate, so fills after a restart were silently dropped.
  it('test_fill_after_restart_when_the_venue_is_new_then_the_ledger_books_it_and_agrees_with_the_venue', async () => {
    // Arrange: one fill before the restart.
    h = await FleetHarness.open({ bots: [quietBot('alpha', { instruments: [BTC, ETH] })] });
    const before = await h.connectedBot('alpha');
    await before.execute(marketLong(h, 'alpha', 'before-restart', BTC, '0.01'));
    before.close();
    await h.closeFleet();
    await h.reopen();
    // Act: a new market entry fills at the venue after the restart.
    const after = await h.connectedBot('alpha');
    const result = await after.execute(marketLong(h, 'alpha', 'after-restart', ETH, '0.5'));
    await h.fleet.om.idle();
    // Assert
    expect(result).toMatchObject({ kind: 'decision', decision: { outcome: 'APPROVED' } });
    const ledger = h.fleet.om.ledger(botIdOf('alpha'));
    expect(ledger.ordersForIntent('after-restart' as never)[0]?.status).toBe('FILLED');
    expect(new Set(ledger.fills().map((fill) => fill.tradeId)).size).toBe(2);
    expect(ledgerView(h.fleet, 'alpha')).toEqual(await venueView(h.fleet, 'alpha'));
  });

  it('test_stop_after_restart_when_it_triggers_then_the_ledger_books_the_exit', async () => {
    // Arrange and act: a bracketed long, a restart, then a candle through the stop (nowhere near the take-profit).
    const outcome = await stopOutAfterRestart();
    h = outcome.h;
    const stop = outcome.stop;
    // Assert
    const ledger = h.fleet.om.ledger(botIdOf('alpha'));
    expect(ledger.order(stop.clientOrderId)?.status).toBe('FILLED');
    expect(ledger.openPositions()).toEqual([]);
    expect((await venueView(h.fleet, 'alpha')).positions).toEqual([]);
  });
});
