import { join, resolve } from 'node:path';
import type { StartOptions } from 'pm2';
import type { DiscoveredBot } from '../discovery/discover.ts';
import { PROJECT_ROOT, projectNode } from '../paths.ts';
import { botLaunch } from './bot-launch.ts';
import { botAppName, SUPERVISOR_APP } from './pm2-client.ts';

export { PROJECT_ROOT, projectNode };

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
    // SIGUSR1 would open the supervisor's inspector to anything on 127.0.0.1; nothing needs it.
    node_args: ['--disable-sigusr1'],
    cwd: PROJECT_ROOT,
    env: sharedEnv(fleet),
    autorestart: true,
    restart_delay: 200,
    kill_timeout: 5_000,
    merge_logs: true,
  };
}

export function botApp(fleet: FleetEnvironment, bot: DiscoveredBot): StartOptions {
  if (bot.status !== 'LOADED') throw new Error(`bot folder ${bot.folder} did not load: ${bot.reason}`);
  const launch = botLaunch(fleet, { path: bot.path, id: bot.manifest.id }, 'bot');
  // `pmx` is a pm2 option its type declarations leave out.
  const options: StartOptions & { pmx: boolean } = {
    name: botAppName(bot.manifest.id),
    script: launch.script,
    interpreter: launch.node,
    node_args: launch.nodeArgs,
    cwd: bot.path,
    env: launch.env,
    // pm2 would add the environment of whoever calls it (the supervisor's, with FLOTILLA_HOME and PM2_HOME);
    // its filter drops every variable whose name contains one of these strings, and every name contains ''.
    filter_env: [''],
    // pm2's in-process agent (@pm2/io) needs the inspector, which the permission model denies; bots report over the channel.
    pmx: false,
    autorestart: true,
    restart_delay: 200,
    kill_timeout: 3_000,
    // A bot holds no state worth a graceful stop: its ledger lives in the supervisor.
    max_memory_restart: '300M',
  };
  return options;
}
