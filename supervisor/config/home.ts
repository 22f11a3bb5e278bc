import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigurationError } from '../../core/errors.ts';

/**
 * FLOTILLA_HOME (or the CLI's --home) must be a directory this user may use, or not exist yet (the supervisor
 * creates it). Checked before anything opens a file in it, so a home that is a file, or that this user cannot
 * read, is one clear sentence naming where the path came from instead of a raw ENOTDIR or EACCES.
 *
 * `origin` says where the path came from, e.g. "--home" or "FLOTILLA_HOME"; `access` is what the caller does there.
 */
export function checkHome(home: string, origin: string, access: 'read' | 'write'): void {
  const problem = homeProblem(home, access);
  if (problem !== null) {
    throw new ConfigurationError(`${origin} ${home} ${problem}; it must be the Flotilla home directory (holding control.token, run/ and ledgers/; default ./var)`);
  }
}

function homeProblem(home: string, access: 'read' | 'write'): string | null {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(home).isDirectory();
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') return `is not a directory: ${fileAncestor(home) ?? 'a part of the path'} is a file`;
    if (code === 'EACCES') return 'cannot be reached by this user (permission denied on a directory above it)';
    return `cannot be used: ${(error as Error).message}`;
  }
  if (!isDirectory) return 'is a file, not a directory';
  try {
    accessSync(home, access === 'write' ? constants.R_OK | constants.W_OK | constants.X_OK : constants.R_OK | constants.X_OK);
  } catch {
    return access === 'write' ? 'is not readable and writable by this user' : 'is not readable by this user; run as the user that runs the supervisor';
  }
  return null;
}

/** The nearest ancestor of `path` that exists and is not a directory, if any. */
function fileAncestor(path: string): string | null {
  for (let current = path; dirname(current) !== current; current = dirname(current)) {
    try {
      if (!statSync(current).isDirectory()) return current;
    } catch {
      // Not there, or a file above it: keep climbing.
    }
  }
  return null;
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}
