import { afterEach, describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.ts';
import type { BotStatus, HourActivityInfo } from '../../../supervisor/control/fleet-control.ts';
import { parseExposition, valueOf } from '../metrics/fixture.ts';
import { BTC, FleetHarness, botIdOf, manifest, marketLong, quietBot, withTimeout } from './fleet-harness.ts';

/**
 * A test bot that declares the notes the per-hour figures count (the equity-baskets bot's contract, ISSUE 12); the
 * test makes the notes through the channel itself, as the bot's runtime would.
 */
const BASKET_NOTES_STRATEGY = `import { z } from 'zod';
import { defineStrategy } from 'flotilla/strategy';

export default defineStrategy({
  interfaceVersion: 1,
  parameters: z.strictObject({}),
  notes: {
    route: ['ENTRY', 'ADD', 'STOCK_LONG', 'ETF_DIRECT'],
    suppress: ['BELOW_BREADTH', 'MEAN_TOO_WEAK', 'NOT_PERSISTENT', 'NOT_FALLING', 'LOCKED', 'CONFLICT', 'MARKET_CLOSED', 'RISK_FULL'],
    block: ['IN_FLIGHT_LOCK', 'WOULD_HEDGE', 'WOULD_STACK', 'PYRAMID_LIMIT', 'OTHER'],
    basket_state: ['IDLE', 'WATCHING', 'ACTIONABLE', 'HOLDING', 'ADDED'],
    flip_flop: ['SIGN_CHANGED'],
  },
  create() {
    return { onCandle: () => [] };
  },
});
`;

/** A command whose result proves that everything the bot wrote before it has been handled. */
const BARRIER = { type: 'CANCEL_ORDER', botId: 'baskets', clientOrderId: 'baskets_00000000_E1' } as const;

/** The figures summed over the hours shown, so a test that crosses an hour of market time still reads them whole. */
function totals(bot: BotStatus): Omit<HourActivityInfo, 'hour' | 'stopOutRatio' | 'peakRiskInUse'> {
  const hours = bot.activity?.hours ?? [];
  const sum = (pick: (hour: HourActivityInfo) => number) => hours.reduce((total, hour) => total + pick(hour), 0);
  const merge = (pick: (hour: HourActivityInfo) => Record<string, number>) => {
    const merged: Record<string, number> = {};
    for (const hour of hours) for (const [key, count] of Object.entries(pick(hour))) merged[key] = (merged[key] ?? 0) + count;
    return merged;
  };
  return {
    actionable: sum((hour) => hour.actionable),
    filled: sum((hour) => hour.filled),
    suppressed: sum((hour) => hour.suppressed),
    suppressedBy: merge((hour) => hour.suppressedBy),
    blockedBy: merge((hour) => hour.blockedBy),
    flipFlops: sum((hour) => hour.flipFlops),
    closed: sum((hour) => hour.closed),
    stoppedOut: sum((hour) => hour.stoppedOut),
  };
}

const EXPECTED = {
  actionable: 1,
  filled: 1,
  suppressed: 3,
  suppressedBy: { LOCKED: 2, BELOW_BREADTH: 1 },
  blockedBy: { IN_FLIGHT_LOCK: 1 },
  flipFlops: 1,
  closed: 1,
  stoppedOut: 1,
};

describe('supervisor status <bot>: figures per hour', () => {
  let h: FleetHarness;
  afterEach(async () => {
    await h.dispose();
  });

  it('test_status_of_one_bot_when_it_routes_fills_is_suppressed_and_stops_out_then_the_hour_shows_it_and_a_restart_keeps_it', async () => {
    // Arrange: market time runs at real speed, so the test stays within one hour of it.
    h = await FleetHarness.open({
      bots: [{ folder: 'baskets', manifest: manifest('baskets', { risk: { ...(manifest('baskets')['risk'] as object), maxOpenRisk: '0.01', riskPerTrade: '0.002' } }), strategy: BASKET_NOTES_STRATEGY }, quietBot('quiet')],
      config: { clock: { speed: 1, start: '2026-03-02T00:00:00.000Z' } },
    });
    const raw = await h.raw();
    raw.hello('baskets', h.token('baskets'));
    await raw.waitFor((line) => line.t === 'welcome', 'the welcome');
    // Act: one evaluation routed, three suppressed, a block, a flip-flop; a replayed note (already counted when made) and basket states (not counted per hour).
    const note = (name: string, value: string, replayed = false) => raw.write({ t: 'note', name, value, instrumentId: BTC, replayed });
    note('route', 'ENTRY');
    note('suppress', 'LOCKED');
    note('suppress', 'LOCKED');
    note('suppress', 'BELOW_BREADTH');
    note('suppress', 'BELOW_BREADTH', true);
    note('block', 'IN_FLIGHT_LOCK');
    note('flip_flop', 'SIGN_CHANGED');
    note('basket_state', 'ACTIONABLE');
    const long = marketLong(h, 'baskets', 'baskets-long', BTC, '0.01');
    raw.write({ t: 'command', seq: 1, command: long });
    await raw.waitFor((line) => line.t === 'result' && line.seq === 1, 'the entry result');
    await h.fleet.om.idle();
    // The risk in use the fleet samples every second while the position is open.
    const holding = await h.fleet.control.status({ botId: 'baskets' });
    const risk = holding.bots[0]?.riskInUse;
    expect(risk?.target).toBe('0.01');
    expect(Decimal.parse(risk?.fraction ?? '0').isPositive()).toBe(true);
    await withTimeout(
      (async () => {
        while (((await h.fleet.control.status({ botId: 'baskets' })).bots[0]?.activity?.hours ?? []).every((hour) => hour.peakRiskInUse === null)) await new Promise((resolve) => setTimeout(resolve, 50));
      })(),
      'a sample of risk in use',
    );
    // The stop is hit.
    const stop = h.fleet.om.ledger(botIdOf('baskets')).openOrders().find((order) => order.role === 'STOP');
    if (stop?.triggerPrice == null) throw new Error('the entry has no stop');
    const low = stop.triggerPrice.mul(Decimal.parse('0.99')).quantize(h.tick(BTC), 'floor');
    const open = h.mark(BTC);
    h.fleet.venue.pushCandle({ instrumentId: BTC, openTime: h.fleet.clock.now(), durationMs: 60_000, open, high: open, low, close: low, volume: Decimal.parse('1000') });
    await h.fleet.om.idle();
    raw.write({ t: 'command', seq: 2, command: BARRIER });
    await raw.waitFor((line) => line.t === 'result' && line.seq === 2, 'the barrier result');

    // Assert: the per-bot view, the fleet view without it, and the counters Prometheus reads.
    const status = await h.fleet.control.status({ botId: 'baskets' });
    expect(status.bots.map((bot) => bot.botId)).toEqual(['baskets']);
    const [bot] = status.bots as [BotStatus];
    expect(bot.activity?.countedNotes).toEqual(['route', 'suppress', 'flip_flop', 'block']);
    expect(bot.activity?.hours).toHaveLength(7);
    expect(bot.activity?.hours[0]?.hour).toBe(Math.floor(status.supervisor.marketTime / 3_600_000) * 3_600_000);
    expect(totals(bot)).toEqual(EXPECTED);
    const withPeak = bot.activity?.hours.find((hour) => hour.peakRiskInUse !== null);
    expect(Decimal.parse(withPeak?.peakRiskInUse ?? '0').isPositive()).toBe(true);
    expect(bot.activity?.hours.find((hour) => hour.closed > 0)?.stopOutRatio).toBe('1');
    expect(bot.riskInUse.fraction).toBe('0');
    expect((await h.fleet.control.status()).bots.every((each) => each.activity === undefined)).toBe(true);
    const quiet = (await h.fleet.control.status({ botId: 'quiet' })).bots[0];
    expect(quiet?.activity?.countedNotes).toEqual([]);
    expect(quiet === undefined ? null : totals(quiet)).toEqual({ actionable: 0, filled: 0, suppressed: 0, suppressedBy: {}, blockedBy: {}, flipFlops: 0, closed: 0, stoppedOut: 0 });
    const all = parseExposition(await h.fleet.metrics.metricsText());
    expect(valueOf(all, 'flotilla_entry_orders_filled_total', { bot: 'baskets' })).toBe(1);
    expect(valueOf(all, 'flotilla_round_trips_closed_total', { bot: 'baskets', exit: 'STOP' })).toBe(1);
    expect(valueOf(all, 'flotilla_strategy_notes_total', { bot: 'baskets', note: 'suppress', value: 'BELOW_BREADTH' })).toBe(1);

    // Act: the supervisor restarts (crash-only: the same path as a start).
    raw.destroy();
    await h.closeFleet();
    await h.reopen();
    // Assert: the notes from the store, the fills and the stop-out from the ledger, the peak kept.
    const after = (await h.fleet.control.status({ botId: 'baskets' })).bots[0] as BotStatus;
    expect(totals(after)).toEqual(EXPECTED);
    expect(after.activity?.hours.find((hour) => hour.peakRiskInUse !== null)?.peakRiskInUse).toBe(withPeak?.peakRiskInUse);
  }, 30_000);

  it('test_status_of_an_unknown_bot_then_unknown_bot', async () => {
    h = await FleetHarness.open({ bots: [quietBot('quiet')], start: false });
    await expect(h.fleet.control.status({ botId: 'nosuch' })).rejects.toMatchObject({ code: 'UNKNOWN_BOT' });
  });
});
