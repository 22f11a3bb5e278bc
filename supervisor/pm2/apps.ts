import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StartOptions } from 'pm2';
import type { DiscoveredBot } from '../discovery/discover.ts';
import { botAppName, SUPERVISOR_APP } from './pm2-client.ts';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The Node 24 that npm installed for this project, so pm2 never runs Flotilla on an older system Node. */
export function projectNode(root = PROJECT_ROOT): string {
  const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
  return existsSync(pinned) ? pinned : process.execPath;
}

export interface FleetEnvironment {
  home: string;
  botsRoot: string;
  pm2Home: string | undefined;
  configPath: string;
  logLevel: string;
}

export function fleetEnvironment(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): FleetEnvironment {
  return {
    home: resolve(cwd, env.FLOTILLA_HOME ?? 'var'),
    botsRoot: resolve(cwd, env.FLOTILLA_BOTS_DIR ?? join(PROJECT_ROOT, 'bots')),
    pm2Home: env.PM2_HOME,
    configPath: resolve(cwd, env.FLOTILLA_CONFIG ?? join(PROJECT_ROOT, 'flotilla.config.json')),
    logLevel: env.FLOTILLA_LOG_LEVEL ?? 'info',
  };
}

/** Compiled, type-stripped modules cached on disk: processes start faster and never load the TypeScript stripper. */
export function compileCacheDir(fleet: Pick<FleetEnvironment, 'home'>): string {
  return join(fleet.home, 'cache', 'node');
}

function sharedEnv(fleet: FleetEnvironment): Record<string, string> {
  return {
    NODE_COMPILE_CACHE: compileCacheDir(fleet),
    FLOTILLA_HOME: fleet.home,
    FLOTILLA_BOTS_DIR: fleet.botsRoot,
    FLOTILLA_CONFIG: fleet.configPath,
    FLOTILLA_LOG_LEVEL: fleet.logLevel,
    ...(fleet.pm2Home === undefined ? {} : { PM2_HOME: fleet.pm2Home }),
  };
}

export function supervisorApp(fleet: FleetEnvironment): StartOptions {
  return {
    name: SUPERVISOR_APP,
    script: join(PROJECT_ROOT, 'supervisor', 'main.ts'),
    interpreter: projectNode(),
    cwd: PROJECT_ROOT,
    env: sharedEnv(fleet),
    autorestart: true,
    restart_delay: 200,
    kill_timeout: 5_000,
    merge_logs: true,
  };
}

/**
 * A bot allocates little and briefly (a candle, a handful of actions), so V8's default young generation, sized for
 * servers, mostly holds garbage; a small one keeps each bot's resident memory down.
 */
export const BOT_NODE_ARGS = ['--max-semi-space-size=2'];

export function botApp(fleet: FleetEnvironment, bot: DiscoveredBot): StartOptions {
  if (bot.status !== 'LOADED') throw new Error(`bot folder ${bot.folder} did not load: ${bot.reason}`);
  return {
    name: botAppName(bot.manifest.id),
    script: join(PROJECT_ROOT, 'runtime', 'bot-main.ts'),
    interpreter: projectNode(),
    node_args: BOT_NODE_ARGS,
    cwd: PROJECT_ROOT,
    env: { ...sharedEnv(fleet), FLOTILLA_BOT_DIR: bot.path },
    autorestart: true,
    restart_delay: 200,
    kill_timeout: 3_000,
    // A bot holds no state worth a graceful stop: its ledger lives in the supervisor.
    max_memory_restart: '300M',
  };
}
