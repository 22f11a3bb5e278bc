import { chmodSync, lstatSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BTC, FleetHarness, marketLong, quietBot } from './fleet-harness.ts';

/** Every entry under `root` whose permission bits are not the owner's alone: 0700 for folders, 0600 for the rest. */
function looseEntries(root: string): string[] {
  const loose: string[] = [];
  const walk = (path: string): void => {
    const entry = lstatSync(path);
    const mode = entry.mode & 0o777;
    const wanted = entry.isDirectory() ? 0o700 : 0o600;
    if (mode !== wanted) loose.push(`${relative(root, path) || '.'} ${mode.toString(8)}`);
    if (entry.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(root);
  return loose;
}

describe('FLOTILLA_HOME file modes', () => {
  let h: FleetHarness;
  let umask = 0;
  afterEach(async () => {
    process.umask(umask);
    await h.dispose();
  });

  it('test_fleet_when_it_has_traded_then_every_file_under_home_is_0600_and_every_folder_0700', async () => {
    // Arrange: the usual umask (022), so nothing here is private unless the code makes it so.
    umask = process.umask(0o022);
    h = await FleetHarness.open({ bots: [quietBot('alpha'), quietBot('bravo', { instruments: ['ETHUSDT.BYBIT'] })] });
    // Act: a real bot process (its compile cache), a trade (ledger and store with their -wal and -shm files).
    const running = h.botProcess('bravo');
    await running.waitForLog((line) => line.msg === 'connected to the supervisor', 'bravo connected');
    const alpha = await h.connectedBot('alpha');
    expect((await alpha.execute(marketLong(h, 'alpha', 'modes', BTC, '0.01'))).kind).toBe('decision');
    await h.fleet.om.idle();
    await running.stop();
    // Assert, with every store still open.
    const names = readdirSync(join(h.home, 'ledgers'));
    expect(names).toEqual(expect.arrayContaining(['alpha.sqlite', 'alpha.sqlite-wal', 'alpha.sqlite-shm', 'alpha.sqlite.lock']));
    expect(readdirSync(join(h.home, 'cache', 'bots', 'bravo')).length).toBeGreaterThan(0);
    // The configuration file is the test's own, written where the harness keeps it.
    expect(looseEntries(h.home).filter((entry) => !entry.startsWith('flotilla.config.json '))).toEqual([]);
  }, 30_000);

  it('test_fleet_open_when_an_older_version_left_loose_files_then_they_are_tightened_and_files_not_flotillas_are_left_alone', async () => {
    // Arrange: a ledger and a token left world-readable, and a file of the owner's own beside them.
    umask = process.umask(0o022);
    h = await FleetHarness.open({ bots: [quietBot('alpha')], start: false });
    await h.closeFleet();
    chmodSync(join(h.home, 'ledgers'), 0o755);
    chmodSync(join(h.home, 'ledgers', 'alpha.sqlite'), 0o644);
    chmodSync(join(h.home, 'tokens', 'alpha.token'), 0o644);
    writeFileSync(join(h.home, 'owner-notes.txt'), 'mine', { mode: 0o644 });
    // Act
    await h.reopen(false);
    // Assert
    expect(looseEntries(h.home).filter((entry) => !entry.startsWith('flotilla.config.json '))).toEqual(['owner-notes.txt 644']);
  });
});
