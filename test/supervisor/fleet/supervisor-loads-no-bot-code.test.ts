import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectNode } from '../../../supervisor/pm2/apps.ts';
import { fleetConfig, makeBotsRoot, manifest, removeBotsRoot } from './fleet-harness.ts';

const run = promisify(execFile);

/** A strategy with a helper module and declared notes: all the supervisor wants of it is the notes. */
const NOTED_STRATEGY = `import { z } from 'zod';
import { defineStrategy } from 'flotilla/strategy';
import { MOODS } from './moods.ts';

export default defineStrategy({
  interfaceVersion: 1,
  parameters: z.strictObject({}),
  notes: { MOOD: MOODS },
  create() {
    return { onCandle: () => [] };
  },
});
`;

describe('the supervisor and bot code', () => {
  const home = mkdtempSync(join(tmpdir(), 'flotilla-no-bot-code-'));
  const botsRoot = makeBotsRoot([{ folder: 'noted', manifest: manifest('noted'), strategy: NOTED_STRATEGY }]);
  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
    removeBotsRoot(botsRoot);
  });

  it('test_fleet_open_when_bots_load_then_no_module_from_a_bot_folder_is_loaded_in_the_supervisor_and_notes_come_from_the_probe', async () => {
    // Arrange
    writeFileSync(join(botsRoot, 'noted', 'moods.ts'), `export const MOODS = ['CALM', 'RESTLESS'];\n`);
    const configPath = join(home, 'flotilla.config.json');
    writeFileSync(configPath, JSON.stringify(fleetConfig()));
    // Act: a real supervisor-side process, on the real module loader, opening the fleet.
    const { stdout } = await run(projectNode(), [join(import.meta.dirname, 'open-fleet-listing-modules.ts'), home, botsRoot, configPath], { timeout: 60_000 });
    const report = JSON.parse(stdout) as { loaded: string[]; bots: unknown[][]; notes: Record<string, unknown> };
    // Assert
    expect(report.bots).toEqual([['noted', 'LOADED', null]]);
    expect(report.notes).toEqual({ noted: { MOOD: ['CALM', 'RESTLESS'] } });
    expect(report.loaded.some((url) => url.endsWith('/supervisor/fleet/fleet.ts'))).toBe(true);
    expect(report.loaded.filter((url) => url.startsWith(pathToFileURL(botsRoot).href))).toEqual([]);
  }, 60_000);
});
