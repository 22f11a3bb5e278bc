import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InvalidInputError } from '../../core/errors.ts';
import { parseBotId } from '../../core/ids.ts';
import type { BotId } from '../../core/ids.ts';
import { loadStrategy } from '../../runtime/strategy-loader.ts';
import { discoverBots, MANIFEST_FILE, STRATEGY_FILE } from '../discovery/discover.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import { manifestSchema, parseManifest } from '../discovery/manifest.ts';
import type { CliCommand, Invocation } from './command.ts';
import { CliFailure, EXIT_CODES, UsageError } from './exit-codes.ts';
import { emit } from './output.ts';

/**
 * `supervisor new-bot <id> [--from <bot>]`: scaffolds a bot folder from supervisor/templates/bot, which is
 * bots/_example with its id, name and sub-account as placeholders, or copies an existing bot's folder under the new
 * id, then runs discovery's own checks on it. Local: no supervisor needed.
 */

export const TEMPLATE_FOLDER = join(import.meta.dirname, '..', 'templates', 'bot');

/** A new bot's files; each is rendered from `<file>.template`, a name that keeps templates from being type-checked or discovered as a bot. */
export const BOT_FILES = [MANIFEST_FILE, STRATEGY_FILE] as const;
export type BotFile = (typeof BOT_FILES)[number];

export interface TemplateValues {
  id: string;
  name: string;
  subAccount: string;
}

export interface NewBotResult {
  folder: string;
  botId: BotId;
  files: string[];
  /** The bot it was copied from, or null for the template. */
  from: { id: string; name: string; folder: string } | null;
  /** Whether `npm start` (in this environment) reads bots from the folder the new bot was made in. */
  adoptedByFleet: boolean;
  /** Where `npm start` reads bots from. */
  fleetBotsDir: string;
}

/** The folder holding the package.json named "flotilla", searched upwards from `start`. */
export function findProjectRoot(start: string = import.meta.dirname): string {
  for (let folder = resolve(start); ; folder = dirname(folder)) {
    if (packageName(join(folder, 'package.json')) === 'flotilla') return folder;
    if (dirname(folder) === folder) throw new Error(`no package.json named "flotilla" above ${start}`);
  }
}

function packageName(path: string): unknown {
  if (!existsSync(path)) return undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && 'name' in parsed ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Replaces {{id}}, {{name}} and {{subAccount}}. Values are JSON-escaped because every placeholder sits inside a
 * string of manifest.json, so a name with quotes cannot break the file.
 */
export function renderTemplate(text: string, values: TemplateValues): string {
  return text.replace(/\{\{(id|name|subAccount)\}\}/g, (_match, key: keyof TemplateValues) => JSON.stringify(values[key]).slice(1, -1));
}

export function templatePath(file: BotFile): string {
  return join(TEMPLATE_FOLDER, `${file}.template`);
}

export function renderBotFile(file: BotFile, values: TemplateValues): string {
  return renderTemplate(readFileSync(templatePath(file), 'utf8'), values);
}

function idArgument(value: unknown): BotId {
  try {
    return parseBotId(value);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(`${error.message}; the id is also the folder name and the sub-account`);
    throw error;
  }
}

function nameArgument(value: unknown, id: BotId): string {
  if (value === undefined) return id;
  const text = typeof value === 'string' ? value.trim() : '';
  const parsed = manifestSchema.shape.name.safeParse(text);
  if (!parsed.success) throw new UsageError(`--name must be 1-80 characters; got ${JSON.stringify(value)}`);
  return parsed.data;
}

/** Where `npm start` looks for bots: $FLOTILLA_BOTS_DIR, else the project's bots/ (supervisor/pm2/apps.ts). */
function fleetBotsDirectory(invocation: Invocation): string {
  const fromEnvironment = invocation.io.env['FLOTILLA_BOTS_DIR'];
  return resolve(invocation.io.cwd, fromEnvironment ?? join(findProjectRoot(), 'bots'));
}

/** --bots-dir, else $FLOTILLA_BOTS_DIR, else the project's bots/; refused outside the project, where 'flotilla/strategy' and the strategy's packages do not resolve. */
function botsDirectory(invocation: Invocation): string {
  const root = findProjectRoot();
  const option = invocation.options['botsDir'];
  const fromEnvironment = invocation.io.env['FLOTILLA_BOTS_DIR'];
  const [dir, source] =
    typeof option === 'string'
      ? [resolve(invocation.io.cwd, option), '--bots-dir']
      : fromEnvironment !== undefined && fromEnvironment !== ''
        ? [resolve(invocation.io.cwd, fromEnvironment), '$FLOTILLA_BOTS_DIR']
        : [join(root, 'bots'), 'the default'];
  if (!isInside(root, dir)) {
    throw new UsageError(`${source} ${dir} is outside the Flotilla project ${root}; bot folders must live inside it so that 'flotilla/strategy' and the strategy's packages resolve`);
  }
  return dir;
}

/** Refuses an id or sub-account another folder already claims, because discovery would then refuse both bots. */
function refuseClaimed(botsDir: string, manifest: BotManifest): void {
  for (const bot of discoverBots(botsDir)) {
    if (bot.manifest === null) continue;
    if (bot.manifest.id === manifest.id) throw new CliFailure(EXIT_CODES.FAILED, `bot id ${manifest.id} is already claimed by ${bot.path}; pick another id`);
    if (bot.manifest.venue === manifest.venue && bot.manifest.subAccount === manifest.subAccount) {
      throw new CliFailure(EXIT_CODES.FAILED, `sub-account ${manifest.venue}/${manifest.subAccount} is already claimed by ${bot.path}; pick another id`);
    }
  }
}

function createFolder(botsDir: string, folder: string): void {
  mkdirSync(botsDir, { recursive: true });
  try {
    // Non-recursive, so a folder that appeared since any earlier check still fails here instead of being written into.
    mkdirSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliFailure(EXIT_CODES.FAILED, `${folder} already exists; new-bot never overwrites a folder: pick another id or remove that folder`);
    }
    throw error;
  }
}

/** The checks the supervisor makes at discovery; a scaffold that fails them is a bug in new-bot or its template. */
async function validate(botsDir: string, folder: string): Promise<void> {
  const bot = discoverBots(botsDir).find((candidate) => candidate.path === folder);
  let problem: string | null = null;
  if (bot === undefined) problem = 'discovery did not find it';
  else if (bot.status !== 'LOADED') problem = `discovery reports ${bot.status}: ${bot.reason}`;
  else {
    try {
      await loadStrategy(bot);
    } catch (error) {
      problem = `its strategy does not load: ${(error as Error).message}`;
    }
  }
  if (problem === null) return;
  throw new CliFailure(EXIT_CODES.FAILED, `the new bot in ${folder} does not load (${problem}); this is a bug in new-bot or its template, and the files are left there for inspection`);
}

function isInside(parent: string, child: string): boolean {
  const path = relative(parent, child);
  return path !== '' && path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path);
}

/** The bot to copy: found by id in the bots folder, loaded or not (a copy is how one fixes a broken bot, too). */
function sourceBot(botsDir: string, value: unknown): { id: string; name: string; folder: string; manifestText: string } {
  const id = typeof value === 'string' ? value.trim() : '';
  const found = discoverBots(botsDir).find((bot) => bot.manifest?.id === id || bot.folder === id);
  if (found === undefined) {
    const known = discoverBots(botsDir).flatMap((bot) => (bot.manifest === null ? [] : [bot.manifest.id]));
    throw new CliFailure(EXIT_CODES.UNKNOWN_BOT, `--from ${JSON.stringify(value)}: no such bot in ${botsDir}${known.length === 0 ? '' : ` (found: ${known.join(', ')})`}`);
  }
  const manifestText = readFileSync(join(found.path, MANIFEST_FILE), 'utf8');
  return { id: found.manifest?.id ?? found.folder, name: found.manifest?.name ?? found.folder, folder: found.path, manifestText };
}

/**
 * The source's manifest under the new id, name and sub-account, everything else as it was. The three values are
 * replaced in the text, so the owner's layout survives; if that does not give exactly the intended manifest, it is
 * written out afresh.
 */
export function renameManifest(text: string, values: TemplateValues): string {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const intended = { ...parsed, id: values.id, name: values.name, subAccount: values.subAccount };
  let renamed = text;
  for (const key of ['id', 'name', 'subAccount'] as const) {
    renamed = renamed.replace(new RegExp(`^(\\s*"${key}"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'm'), (_match, lead: string) => `${lead}${JSON.stringify(values[key])}`);
  }
  try {
    if (JSON.stringify(JSON.parse(renamed)) === JSON.stringify(intended)) return renamed;
  } catch {
    // Falls through to a fresh rendering.
  }
  return `${JSON.stringify(intended, null, 2)}\n`;
}

/** Every file under `folder`, relative, sorted; a symbolic link is refused, as discovery refuses it in a bot folder. */
function filesOf(folder: string, prefix = ''): string[] {
  const files: string[] = [];
  for (const name of readdirSync(join(folder, prefix)).sort()) {
    const path = join(prefix, name);
    const entry = lstatSync(join(folder, path));
    if (entry.isSymbolicLink()) throw new CliFailure(EXIT_CODES.FAILED, `${join(folder, path)} is a symbolic link; a bot folder holds its own files only, so new-bot will not copy it`);
    if (entry.isDirectory()) files.push(...filesOf(folder, path));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

export async function scaffoldBot(invocation: Invocation): Promise<NewBotResult> {
  const botId = idArgument(invocation.args[0]);
  const name = nameArgument(invocation.options['name'], botId);
  const botsDir = botsDirectory(invocation);
  const folder = join(botsDir, botId);
  const fleetBotsDir = fleetBotsDirectory(invocation);
  if (existsSync(folder)) {
    throw new CliFailure(EXIT_CODES.FAILED, `${folder} already exists; new-bot never overwrites a folder: pick another id or remove that folder`);
  }
  const values: TemplateValues = { id: botId, name, subAccount: botId };
  const fromOption = invocation.options['from'];
  const source = fromOption === undefined ? null : sourceBot(botsDir, fromOption);
  let files: string[];
  if (source === null) {
    const rendered = BOT_FILES.map((file) => ({ file, text: renderBotFile(file, values) }));
    refuseClaimed(botsDir, parseManifest(JSON.parse(renderBotFile(MANIFEST_FILE, values))));
    createFolder(botsDir, folder);
    for (const { file, text } of rendered) writeFileSync(join(folder, file), text, { flag: 'wx' });
    files = BOT_FILES.map((file) => join(folder, file));
  } else {
    const manifest = renameManifest(source.manifestText, values);
    refuseClaimed(botsDir, parseManifest(JSON.parse(manifest)));
    const copied = filesOf(source.folder);
    createFolder(botsDir, folder);
    for (const file of copied) {
      if (file === MANIFEST_FILE) continue;
      mkdirSync(dirname(join(folder, file)), { recursive: true });
      cpSync(join(source.folder, file), join(folder, file), { errorOnExist: true, force: false });
    }
    writeFileSync(join(folder, MANIFEST_FILE), manifest, { flag: 'wx' });
    files = copied.map((file) => join(folder, file));
  }
  await validate(botsDir, folder);
  return {
    folder,
    botId,
    files,
    from: source === null ? null : { id: source.id, name: source.name, folder: source.folder },
    adoptedByFleet: resolve(botsDir) === fleetBotsDir,
    fleetBotsDir,
  };
}

/** Relative to the working directory when under it, so the next-step commands can be pasted as they are. */
function shown(invocation: Invocation, path: string): string {
  return isInside(invocation.io.cwd, path) ? relative(invocation.io.cwd, path) : path;
}

function renderResult(invocation: Invocation, result: NewBotResult): string {
  const folder = shown(invocation, result.folder);
  const botsDir = dirname(result.folder);
  const copyOf = result.from === null ? 'the example bot (an EMA cross with an ATR stop)' : `bot ${result.from.id} (${result.from.name}), its strategy, parameters and risk limits`;
  const elsewhere = `--bots-dir ${shown(invocation, botsDir)}`;
  const fleet = result.adoptedByFleet
    ? [
        '  2. npm start               runs the fleet on paper, or adopts the new bot if the fleet already runs',
        '  3. npx supervisor bots     shows it LOADED, or says why not',
        `  4. npx supervisor backtest ${result.botId}   tries it on the synthetic market or on your klines (--data)`,
      ]
    : [
        `  2. npx supervisor backtest ${result.botId} ${elsewhere}   tries it on the synthetic market or your klines (--data)`,
        `  3. The fleet reads bots from ${shown(invocation, result.fleetBotsDir)}, not from ${shown(invocation, botsDir)}: npm start will not adopt this bot.`,
        `     Move the folder there, or start the fleet on this folder: FLOTILLA_BOTS_DIR=${shown(invocation, botsDir)} npm start`,
      ];
  return [
    `Created bot ${result.botId} in ${folder}${sep}: ${result.files.map((file) => relative(result.folder, file)).join(', ')}.`,
    `It passes discovery and its parameters pass its strategy schema. It starts as a copy of ${copyOf},`,
    'trading paper on its own sub-account.',
    '',
    'Next steps:',
    `  1. Edit ${join(folder, STRATEGY_FILE)} (your strategy) and the "parameters" in ${join(folder, MANIFEST_FILE)}`,
    '     (the strategy validates them); instruments, timeframes and risk limits are in the manifest too.',
    ...fleet,
  ].join('\n');
}

export const commands: CliCommand[] = [
  {
    name: 'new-bot',
    summary: 'create a bot folder from the example bot template, or as a copy of an existing bot (local; no running supervisor needed)',
    configure: (command) => {
      command
        .argument('<id>', 'the bot id, also its folder name and sub-account: 1-16 characters of a-z, 0-9 and "-", starting with a letter')
        .option('--from <bot>', "copy this bot's folder (strategy, helper files, manifest with its instruments, risk and parameters) instead of the template")
        .option('--name <text>', 'the bot name shown in listings, at most 80 characters (default: the id)')
        .option('--bots-dir <dir>', 'where bot folders live (default: $FLOTILLA_BOTS_DIR, else the project\'s bots/)');
    },
    run: async (invocation) => {
      const result = await scaffoldBot(invocation);
      emit(invocation, result, (data) => renderResult(invocation, data));
    },
  },
];
