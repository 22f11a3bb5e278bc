import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../core/clock.ts';
import type { BotId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import { openLedger } from '../../ledger/sqlite-ledger.ts';
import type { DiscoveredBot } from '../discovery/discover.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import { parseManifest } from '../discovery/manifest.ts';
import { ledgerPath, supervisorStorePath } from '../paths.ts';
import { SupervisorStore } from '../store/supervisor-store.ts';

/**
 * What a rescan of the bots folder means for the running fleet: folders to adopt, bots whose folder changed (new
 * manifest or new code) and bots whose folder is gone or no longer loads. Pure, so the rules are tested alone.
 */
export type LoadedBot = Extract<DiscoveredBot, { status: 'LOADED' }>;

export interface RosterPlan {
  adopt: LoadedBot[];
  change: LoadedBot[];
  gone: BotId[];
}

/**
 * A cheap fingerprint of one folder: every file's path, size and modification time. A bot's code can be split
 * over several files, and any of them changing means its process must start again on the new code.
 */
export function folderFingerprint(folder: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const entry = lstatSync(path);
      if (entry.isDirectory()) walk(path, `${prefix}${name}/`);
      else hash.update(`${prefix}${name}:${entry.size}:${entry.mtimeMs}\n`);
    }
  };
  if (existsSync(folder)) walk(folder, '');
  return hash.digest('hex');
}

/** Every candidate folder's fingerprint, keyed by folder name: what a rescan compares first, before any probe runs. */
export function rootFingerprint(botsRoot: string): string {
  if (!existsSync(botsRoot)) return '';
  return readdirSync(botsRoot)
    .sort()
    .filter((name) => !name.startsWith('.') && !name.startsWith('_'))
    .map((name) => `${name}=${folderFingerprint(join(botsRoot, name))}`)
    .join('|');
}

export interface RunningBot {
  manifest: BotManifest;
  folder: string | null;
  fingerprint: string | null;
}

/**
 * Compares what runs with what the folder holds now. A bot runs on as it is when its folder is unchanged; a bot
 * whose folder changed but no longer loads is gone (its process cannot start on code that does not load).
 */
export function planRoster(running: ReadonlyMap<BotId, RunningBot>, discovered: readonly DiscoveredBot[], fingerprintOf: (folder: string) => string): RosterPlan {
  const plan: RosterPlan = { adopt: [], change: [], gone: [] };
  const loaded = new Map<BotId, LoadedBot>();
  for (const bot of discovered) if (bot.status === 'LOADED') loaded.set(bot.manifest.id, bot);
  for (const [botId, bot] of loaded) {
    const current = running.get(botId);
    if (current === undefined) plan.adopt.push(bot);
    else if (current.folder !== bot.path || current.fingerprint !== fingerprintOf(bot.path)) plan.change.push(bot);
  }
  for (const botId of running.keys()) if (!loaded.has(botId)) plan.gone.push(botId);
  return plan;
}

/**
 * The bots the supervisor ran before whose folder is gone (or no longer loads) while their ledger still holds
 * positions or orders: they are loaded again, retired, from the manifest they last ran on, so those positions keep
 * their stops and protection across restarts until they are flat. A known bot that is flat is forgotten.
 */
export function retiredBots(home: string, discovered: readonly DiscoveredBot[], logger: Logger): BotManifest[] {
  const loaded = new Set(discovered.flatMap((bot) => (bot.status === 'LOADED' ? [bot.manifest.id] : [])));
  const store = new SupervisorStore(supervisorStorePath(home));
  const retired: BotManifest[] = [];
  try {
    for (const known of store.knownBots()) {
      if (loaded.has(known.botId)) continue;
      const path = ledgerPath(home, known.botId);
      let holds = false;
      if (existsSync(path)) {
        const ledger = openLedger({ path, botId: known.botId, clock: systemClock });
        holds = ledger.openPositions().length > 0 || ledger.openOrders().length > 0;
        ledger.close();
      }
      if (!holds) {
        store.forgetBot(known.botId);
        continue;
      }
      try {
        retired.push(parseManifest(JSON.parse(known.manifestJson)));
        logger.warn({ botId: known.botId }, 'bot folder gone while its ledger holds positions or orders: kept, retired and halted, until it is flat');
      } catch (error) {
        logger.error({ botId: known.botId, error: (error as Error).message }, 'a retired bot holds positions or orders, but the manifest it last ran on no longer parses; its positions are not managed');
      }
    }
  } finally {
    store.close();
  }
  return retired;
}
