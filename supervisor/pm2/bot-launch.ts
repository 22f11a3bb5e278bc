import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { BotId } from '../../core/ids.ts';
import { botCompileCacheDir, botSocketPath, botTokenPath, PROJECT_ROOT, projectNode } from '../paths.ts';

/**
 * How a bot's code is started, the same way for the bot's own process (under pm2) and for its load probe
 * (spawned by discovery): Node's permission model with reads limited to the bot's folder, the runtime the bot
 * needs, node_modules and (for the bot) its own token file; writes only to its own compile cache; no child
 * processes, workers, addons, WASI or inspector. Its environment names nothing else: no FLOTILLA_HOME, no
 * PM2_HOME from us (pm2 adds its own, which the permission model keeps it from reading), no other bot.
 */

export interface BotLaunch {
  node: string;
  script: string;
  nodeArgs: string[];
  env: Record<string, string>;
}

/**
 * A bot allocates little and briefly (a candle, a handful of actions), so V8's default young generation, sized for
 * servers, mostly holds garbage; a small one keeps each bot's resident memory down.
 */
export const BOT_MEMORY_ARGS = ['--max-semi-space-size=2'];

/** Project code a bot process loads; the rest of the project (other bots, a FLOTILLA_HOME under it) stays unread. */
// The manifest parser and the risk schema it shares with the order manager (drawdown windows) are read to parse the bot's own manifest.
export const BOT_RUNTIME_PATHS = ['package.json', 'core', 'runtime', join('supervisor', 'discovery', 'manifest.ts'), join('supervisor', 'order-manager', 'config.ts'), 'node_modules'];

/** The path and, when it differs, where its symlinks lead: Node checks module files by their real path. */
function withRealPath(path: string): string[] {
  if (!existsSync(path)) return [path];
  const real = realpathSync(path);
  return real === path ? [path] : [path, real];
}

export function botPermissionArgs(options: { botDir: string; cacheDir: string; tokenFile: string | null; projectRoot?: string }): string[] {
  const root = options.projectRoot ?? PROJECT_ROOT;
  const reads = [
    ...BOT_RUNTIME_PATHS.flatMap((path) => withRealPath(join(root, path))),
    ...withRealPath(options.botDir),
    ...withRealPath(options.cacheDir),
    ...(options.tokenFile === null ? [] : withRealPath(options.tokenFile)),
  ];
  return ['--permission', ...reads.map((path) => `--allow-fs-read=${path}`), ...withRealPath(options.cacheDir).map((path) => `--allow-fs-write=${path}`)];
}

export function botLaunch(fleet: { home: string; logLevel: string }, bot: { path: string; id: BotId }, role: 'bot' | 'probe'): BotLaunch {
  const cacheDir = botCompileCacheDir(fleet.home, bot.id);
  const tokenFile = role === 'bot' ? botTokenPath(fleet.home, bot.id) : null;
  const env: Record<string, string> = { FLOTILLA_BOT_DIR: bot.path, FLOTILLA_LOG_LEVEL: fleet.logLevel, NODE_COMPILE_CACHE: cacheDir };
  if (tokenFile !== null) Object.assign(env, { FLOTILLA_BOT_SOCKET: botSocketPath(fleet.home), FLOTILLA_BOT_TOKEN_FILE: tokenFile });
  return {
    node: projectNode(),
    script: join(PROJECT_ROOT, 'runtime', role === 'bot' ? 'bot-main.ts' : 'probe-strategy.ts'),
    nodeArgs: [...BOT_MEMORY_ARGS, ...botPermissionArgs({ botDir: bot.path, cacheDir, tokenFile })],
    env,
  };
}
