import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidInputError } from '../../core/errors.ts';
import type { BotId, SubAccountId } from '../../core/ids.ts';
import { AlpacaProvisioner } from '../../venues/alpaca/provisioning.ts';
import { BybitProvisioner } from '../../venues/bybit/provisioning.ts';
import { ProvisioningError, type AccountProvisioner, type AccountsView, type ProvisionOutcome, type ProvisionPlan } from '../../venues/provisioning.ts';
import type { LiveVenueSettings } from '../../venues/registry.ts';
import { loadFleetConfig, type FleetConfig } from '../config/fleet-config.ts';
import { discoverBots } from '../discovery/discover.ts';
import { fleetConfigPath } from '../paths.ts';
import { defaultSecretsPath, readSecrets, writeSecrets } from '../secrets/secrets-file.ts';
import type { CliCommand, Invocation } from './command.ts';
import { connectToSupervisor } from './control-client.ts';
import type { PnlInfo } from '../control/fleet-control.ts';
import { AuthenticationError, CliFailure, EXIT_CODES, SupervisorUnreachableError, UsageError } from './exit-codes.ts';
import { orDash, table } from './format.ts';
import { findProjectRoot } from './new-bot.command.ts';
import { emit } from './output.ts';

/**
 * `supervisor accounts`: each bot's sub-account as the secrets file and the venue see it; `accounts provision` makes
 * the sub-accounts, their keys and their starting capital with the venue's master key; `accounts set-master` stores
 * that master key, read from stdin. Local: no running supervisor is needed, and no key or secret is ever printed.
 */

interface ProvisionerSetup {
  name: string;
  settings: LiveVenueSettings;
  secretsPath: string;
}

/** Each adapter that can provision, by the `adapter` of its venue settings; an adapter plugs its own in here. */
const PROVISIONERS: Readonly<Record<string, (setup: ProvisionerSetup) => AccountProvisioner>> = {
  bybit: ({ name, settings, secretsPath }) => {
    if (settings.adapter !== 'bybit') throw new Error(`the bybit provisioner was handed ${name}, a venue of the ${settings.adapter} adapter`);
    return new BybitProvisioner({ name, settings, secretsPath });
  },
  // Alpaca cannot create accounts: its provisioning checks each bot's key pair and shows the account it opens.
  alpaca: ({ name, settings, secretsPath }) => {
    if (settings.adapter !== 'alpaca') throw new Error(`the alpaca provisioner was handed ${name}, a venue of the ${settings.adapter} adapter`);
    return new AlpacaProvisioner({ name, settings, secretsPath });
  },
};

/** Adapters whose provisioning creates and funds accounts, and so needs the venue's `provisioning` settings. */
const CREATES_ACCOUNTS: ReadonlySet<string> = new Set(['bybit']);

const ACTIONS = ['list', 'provision', 'set-master'] as const;
type Action = (typeof ACTIONS)[number];

interface SubAccount {
  subAccountId: SubAccountId;
  botIds: BotId[];
}

interface Context {
  config: FleetConfig;
  configFile: string;
  venues: Record<string, LiveVenueSettings>;
  secretsPath: string;
  /** The sub-accounts the bots' manifests name, by venue. */
  subAccounts: Map<string, SubAccount[]>;
}

function configPath(invocation: Invocation): string {
  const override = invocation.io.env['FLOTILLA_CONFIG'];
  return override !== undefined && override !== '' ? resolve(invocation.io.cwd, override) : fleetConfigPath(findProjectRoot());
}

function botsRoot(invocation: Invocation): string {
  const override = invocation.io.env['FLOTILLA_BOTS_DIR'];
  return override !== undefined && override !== '' ? resolve(invocation.io.cwd, override) : join(findProjectRoot(), 'bots');
}

/** The live configuration, or a refusal that says what to change; the secrets file as configured. */
function context(invocation: Invocation): Context {
  const configFile = configPath(invocation);
  let config: FleetConfig;
  try {
    config = loadFleetConfig(configFile);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(error.message);
    throw error;
  }
  if (config.mode !== 'live' || config.venues === undefined) {
    throw new CliFailure(EXIT_CODES.FAILED, `${configFile} runs the fleet on paper (mode "${config.mode}"): sub-accounts and keys are for live mode; set "mode": "live" and the venues (docs/live.md)`);
  }
  // A relative secretsFile is read from the configuration file's folder, wherever the command runs.
  const secretsPath = config.secretsFile === undefined ? defaultSecretsPath({ ...invocation.io.env }) : resolve(dirname(configFile), config.secretsFile);
  const subAccounts = new Map<string, SubAccount[]>();
  for (const bot of discoverBots(botsRoot(invocation))) {
    // A bot that fails to load for another reason still names its sub-account, which it will need once fixed.
    if (bot.manifest === null) continue;
    const list = subAccounts.get(bot.manifest.venue) ?? [];
    const entry = list.find((account) => account.subAccountId === bot.manifest?.subAccount);
    if (entry === undefined) list.push({ subAccountId: bot.manifest.subAccount, botIds: [bot.manifest.id] });
    else entry.botIds.push(bot.manifest.id);
    subAccounts.set(bot.manifest.venue, list);
  }
  return { config, configFile, venues: config.venues, secretsPath, subAccounts };
}

function venueOption(invocation: Invocation, context: Context, required: boolean): string | null {
  const value = invocation.options['venue'];
  const configured = Object.keys(context.venues);
  if (value === undefined) {
    if (required) throw new UsageError(`--venue is required: one of ${configured.join(', ')}`);
    return null;
  }
  if (typeof value !== 'string' || !Object.hasOwn(context.venues, value)) {
    throw new UsageError(`--venue ${JSON.stringify(value)} is not a venue of ${context.configFile}; configured: ${configured.join(', ')}`);
  }
  return value;
}

function provisioner(context: Context, venue: string): AccountProvisioner | null {
  const settings = context.venues[venue] as LiveVenueSettings;
  const create = PROVISIONERS[settings.adapter];
  return create === undefined ? null : create({ name: venue, settings, secretsPath: context.secretsPath });
}

function failure(error: unknown): never {
  if (error instanceof InvalidInputError) throw new CliFailure(EXIT_CODES.FAILED, error.message);
  throw error;
}

// ------------------------------------------------------------------------------------------------------
// list

export interface AccountRow {
  botId: BotId;
  venue: string;
  subAccountId: SubAccountId;
  /** Whether the secrets file holds the sub-account's key. */
  key: boolean;
  uid: string | null;
  /** The balance the venue holds for the sub-account. */
  balance: string | null;
  /** The balance the bot's ledger holds, as the running supervisor reports it; null when it does not run. */
  ledgerBalance: string | null;
  note: string | null;
}

export interface AccountsListing {
  secretsFile: string;
  /** Why no ledger balance is shown (the supervisor does not run), or null. */
  ledgers: string | null;
  venues: Array<{ venue: string; adapter: string; environment: string; masterKey: boolean; masterUid: string | null; problem: string | null }>;
  accounts: AccountRow[];
}

export function renderAccounts(listing: AccountsListing): string {
  const lines = [`Secrets file: ${listing.secretsFile}`];
  for (const venue of listing.venues) {
    const master = venue.masterKey ? `master key stored${venue.masterUid === null ? '' : ` (UID ${venue.masterUid})`}` : 'no master key';
    lines.push(`${venue.venue}: ${venue.adapter} adapter, ${venue.environment}, ${master}${venue.problem === null ? '' : `; ${venue.problem}`}`);
  }
  if (listing.accounts.length === 0) return [...lines, 'No bot trades on these venues.'].join('\n');
  const rows = listing.accounts.map((row) => [row.botId, row.venue, row.subAccountId, row.key ? 'yes' : 'no', orDash(row.uid), orDash(row.balance), orDash(row.ledgerBalance), orDash(row.note)]);
  const tail = listing.ledgers === null ? [] : [`Ledger balances not shown: ${listing.ledgers}.`];
  return [
    ...lines,
    '',
    table([{ header: 'BOT' }, { header: 'VENUE' }, { header: 'SUB-ACCOUNT' }, { header: 'KEY' }, { header: 'UID' }, { header: 'VENUE BALANCE', align: 'right' }, { header: 'LEDGER BALANCE', align: 'right' }, { header: 'NOTE' }], rows),
    ...tail,
  ].join('\n');
}

/**
 * Each bot's ledger balance, from the running supervisor (it holds the ledgers' writer locks and computes balances
 * the one way the ledger does); when it does not run, the reason instead, and the listing goes on without them.
 */
async function ledgerBalances(invocation: Invocation): Promise<{ balances: Map<string, string>; problem: string | null }> {
  try {
    const rows = await connectToSupervisor(invocation.home, 5_000).get<PnlInfo[]>('/v1/pnl');
    return { balances: new Map(rows.map((row) => [row.botId, row.balance])), problem: null };
  } catch (error) {
    if (error instanceof SupervisorUnreachableError || error instanceof AuthenticationError) return { balances: new Map(), problem: 'the supervisor does not run (start it to see them)' };
    throw error;
  }
}

async function list(invocation: Invocation, context: Context): Promise<void> {
  const only = venueOption(invocation, context, false);
  const secrets = readSecrets(context.secretsPath);
  const ledgers = await ledgerBalances(invocation);
  const listing: AccountsListing = { secretsFile: context.secretsPath, ledgers: ledgers.problem, venues: [], accounts: [] };
  // The configured venues first, then the venues bots name that the configuration lacks.
  const configured = Object.keys(context.venues).sort();
  const names = only === null ? [...configured, ...[...context.subAccounts.keys()].filter((venue) => !configured.includes(venue)).sort()] : [only];
  for (const venue of names) {
    const settings = context.venues[venue];
    const subAccounts = context.subAccounts.get(venue) ?? [];
    const held = secrets.venue(venue);
    let view: AccountsView | null = null;
    if (settings !== undefined) {
      const reader = provisioner(context, venue);
      try {
        view = reader === null ? null : await reader.view(subAccounts.map((account) => account.subAccountId));
      } finally {
        reader?.close();
      }
      listing.venues.push({ venue, adapter: settings.adapter, environment: settings.environment, masterKey: held.master !== undefined, masterUid: view?.masterUid ?? null, problem: view?.problem ?? (reader === null ? `the ${settings.adapter} adapter cannot read accounts yet` : null) });
    }
    for (const account of subAccounts) {
      const seen = view?.accounts.find((entry) => entry.subAccountId === account.subAccountId);
      const key = held.accounts.get(account.subAccountId);
      for (const botId of account.botIds) {
        listing.accounts.push({
          botId,
          venue,
          subAccountId: account.subAccountId,
          key: key !== undefined,
          uid: seen?.uid ?? key?.uid ?? null,
          balance: seen?.balance ?? null,
          ledgerBalance: ledgers.balances.get(botId) ?? null,
          note: settings === undefined ? `venue ${venue} is not in ${context.configFile}` : (seen?.note ?? null),
        });
      }
    }
  }
  emit(invocation, listing, renderAccounts);
}

// ------------------------------------------------------------------------------------------------------
// provision

export function renderPlan(plan: ProvisionPlan & { secretsFile: string; dryRun: true }): string {
  const lines = [`Plan for ${plan.venue} (secrets file ${plan.secretsFile}):`];
  for (const account of plan.accounts) {
    lines.push(`  ${account.subAccountId}${account.uid === null ? '' : ` (UID ${account.uid})`}: ${account.state}`);
    for (const step of account.steps) lines.push(`    - ${step.detail}`);
  }
  for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  const work = plan.accounts.some((account) => account.steps.length > 0);
  // Alpaca's accounts are made by hand: one without its key pair yet is not "provisioned".
  const waiting = plan.accounts.some((account) => account.steps.length === 0 && account.state.startsWith('no key pair'));
  lines.push(work ? 'Dry run: nothing was changed. Run without --dry-run to do it.' : waiting ? 'Nothing can be done here for the accounts above: see each one.' : 'Nothing to do: every sub-account is provisioned.');
  return lines.join('\n');
}

export function renderOutcome(outcome: ProvisionOutcome & { secretsFile: string }): string {
  const lines = [`${outcome.venue} (secrets file ${outcome.secretsFile}):`];
  for (const account of outcome.accounts) {
    const done = account.done.length === 0 ? '' : ` (${account.done.join(', ')})`;
    lines.push(`  ${account.subAccountId}${account.uid === null ? '' : ` (UID ${account.uid})`}: ${account.state}${done}`);
  }
  for (const warning of outcome.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}

async function provision(invocation: Invocation, context: Context): Promise<void> {
  const venue = venueOption(invocation, context, true) as string;
  const settings = context.venues[venue] as LiveVenueSettings;
  // An adapter without a provisioner has no provisioning block either: say the first, which is the real reason.
  if (!Object.hasOwn(PROVISIONERS, settings.adapter)) {
    throw new CliFailure(EXIT_CODES.FAILED, `provisioning is not available for the ${settings.adapter} adapter yet; create ${venue}'s accounts and keys by hand and put them in ${context.secretsPath}`);
  }
  if (CREATES_ACCOUNTS.has(settings.adapter) && (!('provisioning' in settings) || settings.provisioning === undefined)) {
    throw new CliFailure(EXIT_CODES.FAILED, `${context.configFile}: venues.${venue}.provisioning is not set; it says what each new sub-account gets: {"startingCapital": "1000", "ipWhitelist": ["203.0.113.7"]}`);
  }
  const accounts = provisioner(context, venue) as AccountProvisioner;
  const subAccountIds = (context.subAccounts.get(venue) ?? []).map((account) => account.subAccountId);
  if (subAccountIds.length === 0) {
    accounts.close();
    emit(invocation, { venue, secretsFile: context.secretsPath, accounts: [] }, () => `No bot in ${botsRoot(invocation)} trades on ${venue}: nothing to provision.`);
    return;
  }
  try {
    if (invocation.options['dryRun'] === true) {
      const plan = await accounts.plan(subAccountIds);
      emit(invocation, { ...plan, secretsFile: context.secretsPath, dryRun: true as const }, renderPlan);
      return;
    }
    const outcome = await accounts.provision(subAccountIds);
    const { failure: failed, ...report } = outcome;
    emit(invocation, { ...report, secretsFile: context.secretsPath, failure: failed === null ? null : { step: failed.step, subAccountId: failed.subAccountId, message: failed.message } }, (data) => renderOutcome({ ...data, failure: failed }));
    if (failed !== null) throw new CliFailure(EXIT_CODES.FAILED, `${failed.message}\nWhat was done before it stays done (keys are saved as they are made); fix the cause and run "supervisor accounts provision --venue ${venue}" again to finish.`);
  } catch (error) {
    if (error instanceof CliFailure) throw error;
    if (error instanceof ProvisioningError) throw new CliFailure(EXIT_CODES.FAILED, error.message);
    failure(error);
  } finally {
    accounts.close();
  }
}

// ------------------------------------------------------------------------------------------------------
// set-master

const KEY_TEXT = /^[\x21-\x7e]{1,256}$/;

/** Two lines (key, then secret) or {"key": ..., "secret": ...}; the messages never quote what was read. */
export function parseMasterKey(text: string): { key: string; secret: string } {
  const trimmed = text.trim();
  let key: unknown;
  let secret: unknown;
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new UsageError('stdin starts with "{" but is not valid JSON; give {"key": "...", "secret": "..."} or the key and the secret on two lines');
    }
    key = (parsed as Record<string, unknown>)['key'];
    secret = (parsed as Record<string, unknown>)['secret'];
  } else {
    const lines = trimmed.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
    if (lines.length !== 2) throw new UsageError(`stdin must hold the key and the secret on two lines (got ${lines.length} non-empty line${lines.length === 1 ? '' : 's'}), or {"key": "...", "secret": "..."}`);
    [key, secret] = lines;
  }
  if (typeof key !== 'string' || !KEY_TEXT.test(key)) throw new UsageError('the key must be 1-256 printable characters without spaces');
  if (typeof secret !== 'string' || !KEY_TEXT.test(secret)) throw new UsageError('the secret must be 1-256 printable characters without spaces');
  return { key, secret };
}

async function readStdin(invocation: Invocation): Promise<string> {
  const { stdin } = process;
  if (stdin.isTTY === true) invocation.io.stderr.write('Paste the master API key and its secret, each on its own line, then press Ctrl-D.\n');
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    if (text.length > 16_384) throw new UsageError('stdin holds more than a key and a secret');
  }
  return text;
}

async function setMaster(invocation: Invocation, context: Context): Promise<void> {
  const venue = venueOption(invocation, context, true) as string;
  const master = parseMasterKey(await readStdin(invocation));
  try {
    writeSecrets(readSecrets(context.secretsPath).withMaster(venue, master));
  } catch (error) {
    failure(error);
  }
  emit(invocation, { venue, secretsFile: context.secretsPath, stored: true }, () => `Stored the master key for ${venue} in ${context.secretsPath}. "supervisor accounts provision --venue ${venue} --dry-run" shows what it would create.`);
}

// ------------------------------------------------------------------------------------------------------

function actionArgument(value: unknown): Action {
  if (value === undefined) return 'list';
  if (!(ACTIONS as readonly unknown[]).includes(value)) throw new UsageError(`unknown action ${JSON.stringify(value)}: one of ${ACTIONS.join(', ')}`);
  return value as Action;
}

async function run(invocation: Invocation): Promise<void> {
  const action = actionArgument(invocation.args[0]);
  // Keys typed into argv are visible to every user through ps and stay in the shell's history.
  if (invocation.options['key'] !== undefined || invocation.options['secret'] !== undefined) {
    throw new UsageError('never put a key or a secret on the command line, where ps and the shell history show it; pipe them into "accounts set-master" on stdin');
  }
  if (invocation.options['dryRun'] === true && action !== 'provision') throw new UsageError('--dry-run is for "accounts provision"');
  const found = context(invocation);
  try {
    if (action === 'list') await list(invocation, found);
    else if (action === 'provision') await provision(invocation, found);
    else await setMaster(invocation, found);
  } catch (error) {
    failure(error);
  }
}

export const commands: CliCommand[] = [
  {
    name: 'accounts',
    summary: 'sub-accounts and their keys: list (balances), provision --venue <name> [--dry-run], set-master --venue <name> (key on stdin) (local)',
    configure: (command: Command) => {
      command
        .argument('[action]', 'list (the default), provision, or set-master')
        .option('--venue <name>', 'the venue, as named in flotilla.config.json "venues" (BYBIT)')
        .option('--dry-run', 'provision: print the plan, change nothing')
        // Declared only to refuse them without echoing their values (an unknown option's error would quote it).
        .option('--key <key>', 'refused: keys are read from stdin')
        .option('--secret <secret>', 'refused: secrets are read from stdin');
    },
    run,
  },
];
