import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BotId } from '../../../core/ids.ts';
import { parseExposition, valueOf } from '../metrics/fixture.ts';
import { BTC, ETH, FleetHarness, SOL, botIdOf, manifest, marketLong, quietBot, writeBotFolder } from './fleet-harness.ts';

/**
 * Bot folders that appear, change or go while the supervisor runs are adopted in place: no restart, so no other bot
 * reconnects and no counter starts again; a bot that goes while it holds something is retired, not dropped.
 */
describe('the roster of a running fleet', () => {
  let h: FleetHarness;
  afterEach(async () => {
    await h.dispose();
  });

  const counter = async (name: string, labels: Record<string, string>): Promise<number | undefined> => valueOf(parseExposition(await h.fleet.metrics.registry.metrics()), name, labels);

  it('test_folder_added_when_fleet_runs_then_bot_adopted_and_trades_without_a_restart', async () => {
    // Arrange: a running bot whose connection and counters must survive the adoption.
    h = await FleetHarness.open({ bots: [quietBot('alpha', { instruments: [BTC] })] });
    const alpha = await h.connectedBot('alpha');
    h.fleet.metrics.recordBotCodeError(botIdOf('alpha'));
    const started = h.fleet.startedAt;
    // Act
    writeBotFolder(h.botsRoot, quietBot('bravo', { instruments: [ETH] }));
    await h.fleet.rescan();
    // Assert: the new bot connects with its own token and trades.
    expect([...h.fleet.manifests.keys()].sort()).toEqual(['alpha', 'bravo']);
    const bravo = await h.connectedBot('bravo');
    const decision = await bravo.execute(marketLong(h, 'bravo', 'bravo-eth', ETH, '0.5'));
    expect(decision).toMatchObject({ kind: 'decision', decision: { outcome: 'APPROVED' } });
    expect(h.fleet.om.ledger(botIdOf('bravo')).position(ETH)?.quantity.toString()).toBe('0.5');
    // Nothing else started again.
    expect(h.fleet.startedAt).toBe(started);
    expect(alpha.welcomes()).toBe(1);
    expect(await counter('flotilla_bot_code_errors_total', { bot: 'alpha' })).toBe(1);
    expect(await counter('flotilla_bot_code_errors_total', { bot: 'bravo' })).toBe(0);
  });

  it('test_folder_changed_when_fleet_runs_then_new_risk_settings_apply_at_once', async () => {
    h = await FleetHarness.open({ bots: [quietBot('alpha', { instruments: [BTC] })] });
    const alpha = await h.connectedBot('alpha');
    // Act: the notional cap drops from 50,000 to 100.
    writeBotFolder(h.botsRoot, { folder: 'alpha', manifest: manifest('alpha', { instruments: [BTC], risk: { ...(manifest('alpha').risk as object), maxNotionalPerOrder: '100' } }) });
    await h.fleet.rescan();
    // Assert
    const result = await alpha.execute(marketLong(h, 'alpha', 'alpha-btc', BTC, '0.5'));
    expect(result).toMatchObject({ kind: 'decision', decision: { outcome: 'RESIZED', reason: 'NOTIONAL_EXCEEDS_MAX' } });
  });

  it('test_folder_removed_when_bot_holds_nothing_then_it_leaves_and_its_token_no_longer_opens_the_channel', async () => {
    h = await FleetHarness.open({ bots: [quietBot('alpha', { instruments: [BTC] }), quietBot('bravo', { instruments: [SOL] })] });
    const token = h.token('bravo');
    rmSync(join(h.botsRoot, 'bravo'), { recursive: true, force: true });
    await h.fleet.rescan();
    expect([...h.fleet.manifests.keys()]).toEqual(['alpha']);
    const late = h.bot('bravo', { token });
    expect((await late.refusal()).code).toMatch(/AUTH|UNKNOWN|TOKEN/);
  });

  it('test_folder_removed_when_bot_holds_a_position_then_it_is_retired_halted_protected_and_kept_across_restarts_until_flat', async () => {
    // Arrange: bravo holds a position with its stop.
    h = await FleetHarness.open({ bots: [quietBot('alpha', { instruments: [BTC] }), quietBot('bravo', { instruments: [SOL] })] });
    const bravo = await h.connectedBot('bravo');
    expect(await bravo.execute(marketLong(h, 'bravo', 'bravo-sol', SOL, '5'))).toMatchObject({ decision: { outcome: 'APPROVED' } });
    bravo.close();
    // Act: its folder goes.
    rmSync(join(h.botsRoot, 'bravo'), { recursive: true, force: true });
    await h.fleet.rescan();
    // Assert: retired, halted, its stop still working, shown in status.
    const id: BotId = botIdOf('bravo');
    expect(h.fleet.isRetired(id)).toBe(true);
    expect(h.fleet.om.scopeState(`bot:${id}`)).toMatchObject({ state: 'HALTED', reason: 'BOT_RETIRED' });
    expect(h.fleet.om.ledger(id).openOrders().map((order) => order.role)).toContain('STOP');
    expect((await h.fleet.control.status()).bots.map((bot) => bot.botId)).toEqual(['alpha', 'bravo']);
    // A restart loads it again from the manifest it last ran on.
    await h.closeFleet();
    await h.reopen();
    expect(h.fleet.isRetired(id)).toBe(true);
    expect(h.fleet.om.ledger(id).position(SOL)?.quantity.toString()).toBe('5');
    expect(h.fleet.om.unprotectedPositions(id)).toEqual([]);
    // Flattened, it leaves at the next look.
    await h.fleet.control.kill({ botId: 'bravo', flatten: true });
    await h.fleet.om.idle();
    expect(h.fleet.om.ledger(id).openPositions()).toEqual([]);
    await h.fleet.rescan();
    expect(h.fleet.isRetired(id)).toBe(false);
    expect([...h.fleet.manifests.keys()]).toEqual(['alpha']);
  });
});
