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

export async function discoverCommands(folder: string = import.meta.dirname): Promise<CliCommand[]> {
  const files = readdirSync(folder)
    .filter((name) => COMMAND_FILE.test(name))
    .sort();
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
