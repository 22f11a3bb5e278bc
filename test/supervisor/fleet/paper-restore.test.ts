import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Candle } from '../../../core/candle.ts';
import { ManualClock } from '../../../core/clock.ts';
import { dec } from '../../../core/decimal.ts';
import type { BotId, InstrumentId } from '../../../core/ids.ts';
import { parseIntentId } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import { openLedger } from '../../../ledger/sqlite-ledger.ts';
import type { Ledger } from '../../../ledger/types.ts';
import { restorePaperVenue } from '../../../supervisor/fleet/paper-restore.ts';
import { parseOrderManagerConfig } from '../../../supervisor/order-manager/config.ts';
import type { OrderManagerConfig } from '../../../supervisor/order-manager/config.ts';
import { OrderManager } from '../../../supervisor/order-manager/order-manager.ts';
import { SupervisorStore } from '../../../supervisor/store/supervisor-store.ts';
import { PaperVenue } from '../../../venues/paper/paper-venue.ts';
import { ALPHA, BTC, ETH, STARTING_EQUITY, configInput, intent, withoutAmend } from '../order-manager/fixture.ts';

/**
 * One supervisor run: ledgers and store on files in `dir`, a paper venue that lives in memory only, and the order
 * manager between them. A restart is a new run on the same files, with a new venue rebuilt by restorePaperVenue.
 */
class Run {
  readonly venue: PaperVenue;
  readonly ledgers = new Map<BotId, Ledger>();
  readonly store: SupervisorStore;
  readonly om: OrderManager;
  readonly #clock: ManualClock;

  constructor(dir: string, config: OrderManagerConfig, clock: ManualClock, session: string, venueAmends = true) {
    this.#clock = clock;
    const accounts = [...config.bots.values()].map((bot) => ({ subAccountId: bot.subAccountId, balance: STARTING_EQUITY, leverage: dec('5') }));
    this.venue = new PaperVenue(
      { name: 'PAPER', seed: 7, session, instruments: [...config.instruments.values()], fees: { makerRate: dec('0'), takerRate: dec('0') }, slippage: { baseBps: dec('0'), jitterBps: dec('0') }, partialFills: { participation: dec('1') }, accounts },
      clock,
      { logger: silentLogger },
    );
    this.store = new SupervisorStore(join(dir, 'supervisor.sqlite'));
    for (const botId of config.bots.keys()) {
      const ledger = openLedger({ path: join(dir, `${botId}.ledger.sqlite`), botId, clock });
      if (ledger.capital().isZero()) ledger.recordCapital(STARTING_EQUITY, clock.now(), 'paper deposit');
      this.ledgers.set(botId, ledger);
    }
    const seen = venueAmends ? this.venue : withoutAmend(this.venue);
    this.om = new OrderManager({ config, store: this.store, ledgers: this.ledgers, venues: new Map([['BYBIT', seen], ['ALPACA', seen]]), clock, logger: silentLogger });
  }

  candle(instrumentId: InstrumentId, open: string, high: string, low: string, close: string): void {
    this.#clock.advance(60_000);
    const candle: Candle = { instrumentId, openTime: this.#clock.now() - 60_000, durationMs: 60_000, open: dec(open), high: dec(high), low: dec(low), close: dec(close), volume: dec('1000000') };
    this.venue.pushCandle(candle);
    this.om.updateMark(instrumentId, candle.close);
  }

  close(): void {
    this.om.close();
    for (const ledger of this.ledgers.values()) ledger.close();
    this.store.close();
  }
}

describe('restoring the paper venue from the ledgers', () => {
  let dir: string;
  let runs: Run[] = [];
  afterEach(() => {
    for (const run of runs) run.close();
    runs = [];
    rmSync(dir, { recursive: true, force: true });
  });

  function start(config: OrderManagerConfig, clock: ManualClock, session: string, venueAmends = true): Run {
    const run = new Run(dir, config, clock, session, venueAmends);
    runs.push(run);
    return run;
  }

  function restart(previous: Run, config: OrderManagerConfig, clock: ManualClock, prices: Record<string, string>, venueAmends = true): Run {
    previous.close();
    runs = runs.filter((run) => run !== previous);
    const next = start(config, clock, 'after', venueAmends);
    // As Fleet.start does: last prices first, then the venue rebuilt from the ledgers.
    for (const [instrumentId, price] of Object.entries(prices)) next.candle(instrumentId as InstrumentId, price, price, price, price);
    restorePaperVenue(next.venue, next.ledgers, config, silentLogger);
    return next;
  }

  it('test_restore_when_the_price_crossed_a_resting_limit_meanwhile_then_it_is_not_filled_on_arrival_but_along_the_next_candle', async () => {
    // Arrange: a buy limit resting at 2900 while ETH is at 3000, its stop at 2700 waiting for it.
    dir = mkdtempSync(join(tmpdir(), 'flotilla-restore-'));
    const config = parseOrderManagerConfig(configInput());
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 14, 30));
    const before = start(config, clock, 'before');
    before.candle(ETH, '3000', '3000', '3000', '3000');
    before.om.submitIntent(intent(ALPHA, ETH, 'BUY', { quantity: '2', type: 'LIMIT', limitPrice: dec('2900'), stop: '2700' }));
    await before.om.idle();
    const entry = before.ledgers.get(ALPHA)!.openOrders().find((order) => order.role === 'ENTRY')!;
    expect(entry.status).toBe('ACCEPTED');
    // Act: the market stands at 2800 when the supervisor comes back.
    const after = restart(before, config, clock, { [ETH]: '2800' });
    await after.om.idle();
    // Assert: it rests where it stood, unfilled; the next candle fills it from the path, at its open, as maker.
    const ledger = after.ledgers.get(ALPHA)!;
    expect(ledger.order(entry.clientOrderId)).toMatchObject({ status: 'ACCEPTED', filledQuantity: dec('0') });
    expect((await after.venue.openOrders(config.bots.get(ALPHA)!.subAccountId)).find((order) => order.clientOrderId === entry.clientOrderId)).toMatchObject({ leavesQuantity: dec('2') });
    after.candle(ETH, '2810', '2850', '2805', '2840');
    await after.om.idle();
    expect(ledger.fills()).toMatchObject([{ clientOrderId: entry.clientOrderId, quantity: dec('2'), price: dec('2810'), liquidity: 'MAKER' }]);
  });

  it('test_move_stop_after_restart_when_the_entry_has_filled_then_the_replacement_naming_it_is_accepted_and_the_position_stays_protected', async () => {
    // Arrange: a bracketed long whose entry filled before the restart.
    dir = mkdtempSync(join(tmpdir(), 'flotilla-restore-'));
    const config = parseOrderManagerConfig(configInput());
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 14, 30));
    const before = start(config, clock, 'before');
    before.candle(BTC, '50000', '50000', '50000', '50000');
    before.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000', takeProfit: '53000' }));
    await before.om.idle();
    const stop = before.ledgers.get(ALPHA)!.openOrders().find((order) => order.role === 'STOP')!;
    // A venue that cannot amend, so the move is a replacement.
    const after = restart(before, config, clock, { [BTC]: '50000' }, false);
    // Act
    const moved = after.om.moveStop(ALPHA, stop.clientOrderId, dec('49500'), parseIntentId('move-after-restart'));
    await after.om.idle();
    // Assert: the replacement (which names no parent: the entry has ended) works, and it still closes the position.
    expect(moved.outcome).toBe('ACCEPTED');
    const replacement = moved.outcome === 'ACCEPTED' ? moved.replacement! : null;
    const ledger = after.ledgers.get(ALPHA)!;
    expect(ledger.order(replacement!)).toMatchObject({ status: 'ACCEPTED', parentClientOrderId: null });
    after.candle(BTC, '50000', '50000', '49400', '49450');
    await after.om.idle();
    expect(ledger.order(replacement!)?.status).toBe('FILLED');
    expect(ledger.position(BTC)?.quantity.isZero()).toBe(true);
  });

  it('test_move_stop_after_restart_when_the_venue_amends_then_the_restored_stop_is_amended_in_place_and_still_closes_the_position', async () => {
    // Arrange: a bracketed long whose entry filled before the restart; the restored venue knows the stop as a plain
    // reduce-only order.
    dir = mkdtempSync(join(tmpdir(), 'flotilla-restore-'));
    const config = parseOrderManagerConfig(configInput());
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 14, 30));
    const before = start(config, clock, 'before');
    before.candle(BTC, '50000', '50000', '50000', '50000');
    before.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000', takeProfit: '53000' }));
    await before.om.idle();
    const stop = before.ledgers.get(ALPHA)!.openOrders().find((order) => order.role === 'STOP')!;
    const after = restart(before, config, clock, { [BTC]: '50000' });
    // Act
    const moved = after.om.moveStop(ALPHA, stop.clientOrderId, dec('49500'), parseIntentId('amend-after-restart'));
    await after.om.idle();
    // Assert: the same stop, with the new trigger in the ledger and at the venue, and it closes the position there.
    expect(moved).toMatchObject({ outcome: 'ACCEPTED', replacement: null });
    const ledger = after.ledgers.get(ALPHA)!;
    expect(ledger.order(stop.clientOrderId)).toMatchObject({ status: 'ACCEPTED', triggerPrice: dec('49500') });
    expect((await after.venue.queryOrder(stop.subAccountId, BTC, stop.clientOrderId))?.triggerPrice?.toString()).toBe('49500');
    after.candle(BTC, '50000', '50000', '49400', '49450');
    await after.om.idle();
    expect(ledger.order(stop.clientOrderId)?.status).toBe('FILLED');
    expect(ledger.position(BTC)?.quantity.isZero()).toBe(true);
  });
});
