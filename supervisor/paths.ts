import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The Node 24 that npm installed for this project, so pm2 never runs Flotilla on an older system Node. */
export function projectNode(root = PROJECT_ROOT): string {
  const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
  return existsSync(pinned) ? pinned : process.execPath;
}

/** Where all state lives: ledgers, the supervisor's store, tokens, sockets. FLOTILLA_HOME, default ./var. */
export function flotillaHome(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(cwd, env.FLOTILLA_HOME ?? 'var');
}

export const botSocketPath = (home: string): string => join(home, 'run', 'bots.sock');
export const botTokenPath = (home: string, botId: string): string => join(home, 'tokens', `${botId}.token`);
export const ledgerPath = (home: string, botId: string): string => join(home, 'ledgers', `${botId}.sqlite`);
export const supervisorStorePath = (home: string): string => join(home, 'supervisor.sqlite');
export const fleetConfigPath = (projectRoot: string): string => join(projectRoot, 'flotilla.config.json');
/** Each bot compiles into a cache of its own: the one folder a bot may write, read by nothing else. */
export const botCompileCacheDir = (home: string, botId: string): string => join(home, 'cache', 'bots', botId);
