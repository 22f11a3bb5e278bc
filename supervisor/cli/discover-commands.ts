import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CliCommand } from './command.ts';

/**
 * Finds every `*.command.ts` file beside this one and collects the commands it exports, so a new command is a
 * new file and two engineers adding commands never edit the same list. A file that exports no valid command,
 * or a name defined twice, is an error rather than a command that silently goes missing.
 */

const COMMAND_FILE = /^[a-z][a-z0-9-]*\.command\.(ts|js)$/;

/**
 * Loads just the command about to run when its file bears its name (`kill` → kill.command.ts): an operator pulling
 * the kill switch should not wait for every other command's imports. Anything else (help, an unknown word, a
 * command sharing a file) falls back to full discovery, so nothing can go missing.
 */
export async function discoverCommand(name: string, folder: string = import.meta.dirname): Promise<CliCommand[]> {
  const files = readdirSync(folder).filter((file) => COMMAND_FILE.test(file) && file.replace(/\.command\.(ts|js)$/, '') === name);
  if (files.length === 1) {
    const found = (await loadCommands(folder, files)).filter((command) => command.name === name);
    if (found.length === 1) return found;
  }
  return discoverCommands(folder);
}

export async function discoverCommands(folder: string = import.meta.dirname): Promise<CliCommand[]> {
  const files = readdirSync(folder)
    .filter((name) => COMMAND_FILE.test(name))
    .sort();
  return loadCommands(folder, files);
}

async function loadCommands(folder: string, files: readonly string[]): Promise<CliCommand[]> {
  const byName = new Map<string, { command: CliCommand; file: string }>();
  for (const file of files) {
    const module: unknown = await import(pathToFileURL(join(folder, file)).href);
    const exported = typeof module === 'object' && module !== null && 'commands' in module ? module.commands : undefined;
    if (!Array.isArray(exported) || exported.length === 0 || !exported.every(isCliCommand)) {
      throw new Error(`${file} must export "commands", a non-empty array of { name, summary, run } objects`);
    }
    for (const command of exported) {
      const earlier = byName.get(command.name);
      if (earlier !== undefined) throw new Error(`command "${command.name}" is defined twice, in ${earlier.file} and ${file}`);
      byName.set(command.name, { command, file });
    }
  }
  return [...byName.values()].map((entry) => entry.command);
}

function isCliCommand(value: unknown): value is CliCommand {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof CliCommand, unknown>>;
  return (
    typeof candidate.name === 'string' &&
    /^[a-z][a-z0-9-]*$/.test(candidate.name) &&
    typeof candidate.summary === 'string' &&
    typeof candidate.run === 'function' &&
    (candidate.configure === undefined || typeof candidate.configure === 'function')
  );
}
