import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { STRATEGY_INTERFACE_VERSION } from '../../core/strategy.ts';
import type { BotId } from '../../core/ids.ts';
import { parseBotRiskConfig } from '../order-manager/config.ts';
import type { BotManifest } from './manifest.ts';
import { MANIFEST_FILE, parseManifest, STRATEGY_FILE } from './manifest.ts';
import type { ProbeOptions, StrategyNotes } from './probe.ts';
import { probeStrategies } from './probe.ts';

export { MANIFEST_FILE, STRATEGY_FILE };

export type DiscoveredBot =
  | { folder: string; path: string; status: 'LOADED'; manifest: BotManifest; reason: null }
  | { folder: string; path: string; status: 'LOAD_FAILED' | 'DUPLICATE'; manifest: BotManifest | null; reason: string };

/** Folders that are not bots: hidden ones and those starting with "_" (shared helpers, scratch). */
function isCandidate(name: string, path: string): boolean {
  return !name.startsWith('.') && !name.startsWith('_') && statSync(path).isDirectory();
}

/**
 * The first symbolic link inside a bot folder, or null. Node's permission model follows links wherever they lead,
 * so a link shipped in a folder (to FLOTILLA_HOME, say) would let its bot read past the folder it is confined to.
 */
function firstSymbolicLink(folder: string): string | null {
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    const entry = lstatSync(path);
    if (entry.isSymbolicLink()) return path;
    if (entry.isDirectory()) {
      const inner = firstSymbolicLink(path);
      if (inner !== null) return inner;
    }
  }
  return null;
}

/**
 * Finds every bot folder under `botsRoot` and checks what can be checked without running code: the manifest
 * (its risk block by the order manager's own rules for one bot) and the presence of the strategy module. A folder
 * that fails is reported with its reason, never skipped; two folders claiming one bot id or one sub-account are
 * both refused, because there is no telling which one the owner meant. So whatever passes here, the order
 * manager's configuration accepts: one bad folder never stops the fleet. Synchronous, so pm2's ecosystem file
 * can call it.
 */
export function discoverBots(botsRoot: string, knownInstruments?: ReadonlySet<string>): DiscoveredBot[] {
  if (!existsSync(botsRoot)) return [];
  const found: DiscoveredBot[] = [];
  for (const folder of readdirSync(botsRoot).sort()) {
    const path = join(botsRoot, folder);
    if (!isCandidate(folder, path)) continue;
    const fail = (reason: string, manifest: BotManifest | null = null): void => {
      found.push({ folder, path, status: 'LOAD_FAILED', manifest, reason });
    };
    const manifestPath = join(path, MANIFEST_FILE);
    if (!existsSync(manifestPath)) {
      fail(`no ${MANIFEST_FILE}`);
      continue;
    }
    let manifest: BotManifest;
    try {
      manifest = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')));
      // The same entry the fleet's order-manager configuration is built from (fleet-config.ts), by the same rules.
      parseBotRiskConfig({ id: manifest.id, subAccountId: manifest.subAccount, instruments: manifest.instruments, ...manifest.risk }, `${MANIFEST_FILE} risk`);
    } catch (error) {
      fail(`${MANIFEST_FILE}: ${(error as Error).message}`);
      continue;
    }
    if (manifest.interfaceVersion !== STRATEGY_INTERFACE_VERSION) {
      fail(`interfaceVersion ${manifest.interfaceVersion} is not supported (this supervisor speaks ${STRATEGY_INTERFACE_VERSION})`, manifest);
      continue;
    }
    if (!existsSync(join(path, STRATEGY_FILE))) {
      fail(`no ${STRATEGY_FILE}`, manifest);
      continue;
    }
    const link = firstSymbolicLink(path);
    if (link !== null) {
      fail(`${relative(path, link)} is a symbolic link; a bot folder holds its own files only, since its bot may read whatever a link inside it leads to`, manifest);
      continue;
    }
    const unknown = knownInstruments === undefined ? [] : manifest.instruments.filter((id) => !knownInstruments.has(id));
    if (unknown.length > 0) {
      // A live fleet leaves out the catalog of a venue it does not configure: say so rather than only what is missing.
      const venueAbsent = knownInstruments !== undefined && ![...knownInstruments].some((id) => id.endsWith(`.${manifest.venue}`));
      const hint = venueAbsent ? ` (the catalog has no ${manifest.venue} instrument at all: a live fleet needs venues.${manifest.venue} in its configuration to trade there)` : '';
      fail(`instruments not in the fleet configuration: ${unknown.join(', ')}${hint}`, manifest);
      continue;
    }
    found.push({ folder, path, status: 'LOADED', manifest, reason: null });
  }
  markDuplicates(found);
  return found;
}

function markDuplicates(found: DiscoveredBot[]): void {
  const claims = (key: (bot: BotManifest) => string, what: string): void => {
    const byKey = new Map<string, DiscoveredBot[]>();
    for (const bot of found) {
      if (bot.status !== 'LOADED') continue;
      const list = byKey.get(key(bot.manifest)) ?? [];
      list.push(bot);
      byKey.set(key(bot.manifest), list);
    }
    for (const [value, bots] of byKey) {
      if (bots.length < 2) continue;
      for (const bot of bots) {
        const others = bots.filter((other) => other !== bot).map((other) => other.folder);
        Object.assign(bot, { status: 'DUPLICATE', reason: `${what} ${value} is also claimed by ${others.join(', ')}` });
      }
    }
  };
  claims((manifest) => manifest.id, 'bot id');
  // Unique across venues, as the order manager and the venues' sub-account books require.
  claims((manifest) => manifest.subAccount, 'sub-account');
}

/**
 * Full discovery: the manifests, then each strategy loaded by a confined probe process (never in this process)
 * and its parameters validated; the notes each loaded strategy declares come back with it.
 */
export async function discoverAndProbeBots(
  botsRoot: string,
  options: ProbeOptions & { knownInstruments?: ReadonlySet<string> },
): Promise<{ bots: DiscoveredBot[]; notes: Map<BotId, StrategyNotes> }> {
  const found = discoverBots(botsRoot, options.knownInstruments);
  const loaded = found.filter((bot): bot is Extract<DiscoveredBot, { status: 'LOADED' }> => bot.status === 'LOADED');
  const results = await probeStrategies(loaded.map((bot) => ({ path: bot.path, id: bot.manifest.id })), options);
  const notes = new Map<BotId, StrategyNotes>();
  const bots = found.map((bot): DiscoveredBot => {
    if (bot.status !== 'LOADED') return bot;
    const result = results.get(bot.manifest.id);
    if (result?.ok === true) {
      notes.set(bot.manifest.id, result.notes);
      return bot;
    }
    return { folder: bot.folder, path: bot.path, status: 'LOAD_FAILED', manifest: bot.manifest, reason: result?.reason ?? 'not probed' };
  });
  return { bots, notes };
}
