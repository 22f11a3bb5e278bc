import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverCommand, discoverCommands } from '../../../supervisor/cli/discover-commands.ts';

const VALID = `export const commands = [{ name: 'backtest', summary: 'replay candles', run: async () => {} }];\n`;

describe('command discovery', () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  function folderWith(files: Record<string, string>): string {
    const folder = mkdtempSync(join(tmpdir(), 'flotilla-commands-'));
    folders.push(folder);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
    return folder;
  }

  it('test_discovery_when_run_on_the_cli_folder_then_finds_every_built_in_command', async () => {
    const names = (await discoverCommands()).map((command) => command.name).sort();
    expect(names).toEqual(['accounts', 'backtest', 'bots', 'decisions', 'drawdown', 'halt', 'kill', 'new-bot', 'orders', 'pnl', 'positions', 'reconcile', 'restart', 'resume', 'standin', 'start', 'status', 'stop']);
  });

  it('test_discovery_when_a_new_command_file_appears_then_it_is_a_command', async () => {
    const folder = folderWith({ 'backtest.command.js': VALID, 'helpers.js': 'export const commands = 1;\n', 'notes.md': '' });
    const commands = await discoverCommands(folder);
    expect(commands.map((command) => command.name)).toEqual(['backtest']);
  });

  it('test_discovery_when_a_file_exports_no_valid_command_then_it_fails_loudly', async () => {
    await expect(discoverCommands(folderWith({ 'empty.command.js': 'export const other = 1;\n' }))).rejects.toThrow(/empty\.command\.js must export "commands"/);
    await expect(discoverCommands(folderWith({ 'nameless.command.js': 'export const commands = [{ summary: "s", run: async () => {} }];\n' }))).rejects.toThrow(
      /nameless\.command\.js/,
    );
  });

  it('test_discovery_when_two_files_define_the_same_name_then_it_names_both', async () => {
    const folder = folderWith({ 'a.command.js': VALID, 'b.command.js': VALID });
    await expect(discoverCommands(folder)).rejects.toThrow(/"backtest" is defined twice, in a\.command\.js and b\.command\.js/);
  });
});

describe('loading one command', () => {
  it('imports only the command about to run when its file bears its name', async () => {
    expect((await discoverCommand('kill')).map((command) => command.name)).toEqual(['kill']);
  });

  it('falls back to every command for a name that shares a file or has none', async () => {
    const shared = (await discoverCommand('start')).map((command) => command.name);
    expect(shared).toContain('start');
    expect(shared).toContain('status');
    expect((await discoverCommand('no-such-command')).length).toBeGreaterThan(10);
  });
});
