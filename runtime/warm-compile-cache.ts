import { flushCompileCache, getCompileCacheDir } from 'node:module';
import { discoverBots, loadStrategy } from '../supervisor/discovery/discover.ts';
import { fleetEnvironment } from '../supervisor/pm2/apps.ts';

/**
 * Compiles the bot runtime and every loaded strategy into Node's on-disk compile cache (NODE_COMPILE_CACHE) and
 * exits. Bots then start from the cache and never load the TypeScript stripper, which would otherwise stay
 * resident (about 27 MB) for the life of every bot process.
 */
if (getCompileCacheDir() === undefined) {
  process.stderr.write('warm-compile-cache: NODE_COMPILE_CACHE is not set; nothing to warm\n');
} else {
  await import('./bot-main-modules.ts');
  for (const bot of discoverBots(fleetEnvironment().botsRoot)) {
    if (bot.status === 'LOADED') await loadStrategy(bot).catch(() => undefined);
  }
  flushCompileCache();
}
