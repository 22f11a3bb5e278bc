import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { parseClientOrderId } from '../../../core/ids.ts';
import type { SupervisorMessage } from '../../../core/protocol.ts';
import type { BotChannel } from '../../../supervisor/channel/bot-channel.ts';
import { supervisorStorePath } from '../../../supervisor/paths.ts';
import { parseExposition, valueOf } from '../metrics/fixture.ts';
import { BTC, FleetHarness, botIdOf, entryCommand, marketLong, quietBot, until } from './fleet-harness.ts';

describe('the order path a live venue can trust', () => {
  let h: FleetHarness;
  afterEach(async () => {
    await h.dispose();
  });

  it('test_denial_when_answered_to_the_bot_then_the_decision_is_already_committed', async () => {
    // Arrange: a channel that, at the moment a result goes out, reads the store through a second connection, which
    // sees committed rows only.
    h = await FleetHarness.open({ bots: [quietBot('alpha')] });
    const seen: Array<{ seq: number; committed: boolean }> = [];
    const store = supervisorStorePath(h.home);
    h.fleet.sessions.attach({
      send: (_botId: unknown, message: SupervisorMessage) => {
        if (message.t !== 'result' || message.result.kind !== 'decision') return;
        const reader = new DatabaseSync(store, { readOnly: true });
        const row = reader.prepare('SELECT outcome FROM decisions WHERE bot_id = ? AND intent_id = ?').get('alpha', message.result.decision.intentId);
        reader.close();
        seen.push({ seq: message.seq, committed: row !== undefined });
      },
    } as unknown as BotChannel);
    // Act: a long whose stop is above the entry is denied INVALID_INTENT.
    const denied = entryCommand({ botId: 'alpha', intentId: 'denied-1', instrumentId: BTC, side: 'BUY', quantity: '0.01', stopLoss: h.priceAt(BTC, '1.1') });
    h.fleet.sessions.message(botIdOf('alpha'), { t: 'command', seq: 7, command: denied });
    await until(() => seen.length === 1, 'the denial answered');
    // Assert
    expect(seen).toEqual([{ seq: 7, committed: true }]);
  });

  it('test_warm_up_drops_when_a_bot_reports_them_then_they_are_counted_and_logged_once', async () => {
    // Arrange
    h = await FleetHarness.open({ bots: [quietBot('alpha')] });
    const bot = await h.connectedBot('alpha');
    // Act
    bot.client.reportWarmUpDropped(4, 'ENTER (breakout) on the BTCUSDT.BYBIT 5m candle of 2026-03-02T00:00:00.000Z, a history candle');
    bot.client.reportWarmUpDropped(2, 'ENTER (breakout) on a later history candle');
    // The channel is ordered: once a later command is answered, both reports have been taken in.
    await bot.execute(entryCommand({ botId: 'alpha', intentId: 'after-reports', instrumentId: BTC, side: 'BUY', quantity: '0.01', stopLoss: h.priceAt(BTC, '1.1') }));
    // Assert
    const text = await h.fleet.metrics.registry.metrics();
    expect(valueOf(parseExposition(text), 'flotilla_bot_warmup_actions_dropped_total', { bot: 'alpha' })).toBe(6);
    expect(h.logs.filter((entry) => /warm-up candles/.test(entry.message))).toHaveLength(1);
  });

  it('test_stop_move_when_supervisor_restarted_then_replacement_names_no_unknown_parent_and_position_stays_protected', async () => {
    // Arrange: a long with its bracket, then a restart: the paper venue is rebuilt from the ledger, and it knows the
    // filled entry's stop as a plain reduce-only order, not as a child of an entry it never saw.
    h = await FleetHarness.open({ bots: [quietBot('alpha', { instruments: [BTC] })] });
    let bot = await h.connectedBot('alpha');
    const entry = await bot.execute(marketLong(h, 'alpha', 'alpha-btc', BTC, '0.01'));
    expect(entry).toMatchObject({ kind: 'decision', decision: { outcome: 'APPROVED' } });
    await h.fleet.om.idle();
    bot.close();
    await h.closeFleet();
    await h.reopen();
    bot = await h.connectedBot('alpha');
    // The replacement path, as on a venue that cannot amend in place (the paper venue can; see stop-amend.test.ts).
    (h.fleet.venue.capabilities as { amend: boolean }).amend = false;
    const ledger = h.fleet.om.ledger(botIdOf('alpha'));
    const stop = ledger.openOrders().find((order) => order.role === 'STOP')!;
    // Act
    const moved = await bot.execute({ type: 'MOVE_STOP', botId: 'alpha', intentId: 'move-after-restart', clientOrderId: stop.clientOrderId, triggerPrice: h.priceAt(BTC, '0.95') });
    await h.fleet.om.idle();
    // Assert
    expect(moved).toMatchObject({ kind: 'command', outcome: 'ACCEPTED' });
    const replacement = moved.kind === 'command' ? ledger.order(moved.replacement as never) : null;
    expect(replacement).toMatchObject({ status: 'ACCEPTED', parentClientOrderId: null, reduceOnly: true });
    expect(ledger.order(stop.clientOrderId)?.status).toBe('CANCELED');
    const subAccount = h.fleet.omConfig.bots.get(botIdOf('alpha'))!.subAccountId;
    const atVenue = (await h.fleet.venue.openOrders(subAccount)).filter((order) => parseClientOrderId(order.clientOrderId).role === 'STOP');
    expect(atVenue.map((order) => [order.clientOrderId, order.leavesQuantity.toString()])).toEqual([[replacement?.clientOrderId, '0.01']]);
    expect(h.fleet.om.unprotectedPositions(botIdOf('alpha'))).toEqual([]);
  });
});
