import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Everything under FLOTILLA_HOME is the owner's alone (tokens, ledgers, the store, sockets): folders 0700, files
 * 0600. Each writer creates with these modes; tightenTree also fixes what was made looser before (an older version,
 * or a folder Node created at startup under a wider umask), so a start always leaves the home private.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** The folder, and any parent it has to create, with mode 0700. */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(path, PRIVATE_DIR_MODE);
}

function isGone(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * What Flotilla keeps under FLOTILLA_HOME: these folders with all they hold, and the files whose names start with
 * these. Only they are tightened, so a FLOTILLA_HOME pointed at a folder holding other things leaves those alone.
 */
const HOME_FOLDERS = ['ledgers', 'tokens', 'run', 'cache'];
const HOME_FILE_PREFIXES = ['supervisor.sqlite', 'control.token', 'market.json'];

/** The home folder and Flotilla's own entries in it (HOME_FOLDERS, HOME_FILE_PREFIXES) made the owner's alone. */
export function tightenHome(home: string): void {
  ensurePrivateDir(home);
  for (const name of readdirSync(home)) {
    if (HOME_FOLDERS.includes(name) || HOME_FILE_PREFIXES.some((prefix) => name.startsWith(prefix))) tightenTree(join(home, name));
  }
}

/** Sets 0700 on every folder and 0600 on every other entry under `root` (root included); symlinks are left alone. */
export function tightenTree(root: string): void {
  let entry;
  try {
    entry = lstatSync(root);
  } catch (error) {
    if (isGone(error)) return;
    throw error;
  }
  if (entry.isSymbolicLink()) return;
  const mode = entry.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
  try {
    if ((entry.mode & 0o777) !== mode) chmodSync(root, mode);
    if (entry.isDirectory()) for (const name of readdirSync(root)) tightenTree(join(root, name));
  } catch (error) {
    // Another process (a compile cache renaming its temporary file) may remove an entry while this walks.
    if (!isGone(error)) throw error;
  }
}
