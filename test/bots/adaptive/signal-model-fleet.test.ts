import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition, valueOf } from '../../supervisor/metrics/fixture.ts';
import { BTC, FleetHarness, PROJECT_ROOT, botIdOf, manifest, until } from '../../supervisor/fleet/fleet-harness.ts';
import { MANIFEST } from './fixtures.ts';

/** The shipped strategy's modules, copied into the test bot's folder: a bot reads nothing outside its own folder. */
const ADAPTIVE_FOLDER = join(PROJECT_ROOT, 'bots', 'adaptive');
const ADAPTIVE_FILES = Object.fromEntries(readdirSync(ADAPTIVE_FOLDER).filter((name) => name.endsWith('.ts')).map((name) => [name, readFileSync(join(ADAPTIVE_FOLDER, name), 'utf8')]));

/**
 * signal-model.test.ts shows the strategy falling back and trading on; this shows the fallback reaching the
 * operator from a real bot process, and staying visible after the supervisor restarts.
 */
describe('signal model fallback in the fleet', () => {
  let h: FleetHarness;
  afterEach(async () => {
    await h.dispose();
  });

  async function signalModel(): Promise<{ made: number | undefined; state: Record<string, number | undefined> }> {
    const all = parseExposition(await h.fleet.metrics.metricsText());
    const labels = (value: string): Record<string, string> => ({ bot: 'adaptive', note: 'SIGNAL_MODEL', value });
    return {
      made: valueOf(all, 'flotilla_strategy_notes_total', labels('FALLBACK')),
      // The model's status is about the bot as a whole: no instrument.
      state: Object.fromEntries(['DISABLED', 'ACTIVE', 'FALLBACK'].map((value) => [value, valueOf(all, 'flotilla_bot_note_state', { ...labels(value), instrument: '' })])),
    };
  }

  it('test_fallback_when_the_model_file_is_missing_then_status_and_gauge_show_it_and_again_after_a_supervisor_restart', async () => {
    // Arrange
    const parameters = { ...MANIFEST.parameters, signalModel: { ...MANIFEST.parameters.signalModel, enabled: true, path: 'no-such-model.json' } };
    h = await FleetHarness.open({ bots: [{ folder: 'adaptive', manifest: manifest('adaptive', { instruments: [BTC], timeframes: ['15m'], parameters }), strategy: null, files: ADAPTIVE_FILES }] });
    const adaptive = botIdOf('adaptive');
    const fallbackShown = (): boolean => h.fleet.sessions.notes(adaptive)['SIGNAL_MODEL'] === 'FALLBACK';
    // Act: the strategy notes its status once, on its first live candle.
    h.botProcess('adaptive');
    await until(fallbackShown, 'status shows the fallback');
    const before = await signalModel();
    await h.closeFleet();
    await h.reopen();
    await until(fallbackShown, 'status shows the fallback after the restart');
    // Assert
    expect(before).toEqual({ made: 1, state: { DISABLED: 0, ACTIVE: 0, FALLBACK: 1 } });
    expect((await h.fleet.control.status()).bots[0]).toMatchObject({ botId: 'adaptive', connected: true, notes: { SIGNAL_MODEL: 'FALLBACK' } });
    // Replayed, not made again: the new supervisor's counter stays at the 0 it starts at, its gauge has the state.
    expect(await signalModel()).toEqual({ made: 0, state: { DISABLED: 0, ACTIVE: 0, FALLBACK: 1 } });
  });
});
