import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSecrets } from '../../../supervisor/secrets/secrets-file.ts';
import { AlpacaStandin } from '../../../venues/alpaca/standin/standin.ts';
import { startStandin, type Running } from '../../venues/bybit/standin/harness.ts';
import { run } from './harness.ts';

/**
 * `supervisor accounts` as the operator runs it: a real CLI process against the Bybit stand-in on 127.0.0.1, with the
 * configuration, the bot folders and the secrets file in a temp folder outside the project.
 */

const CLI = resolve(import.meta.dirname, '../../../supervisor/cli/main.ts');
const EXAMPLE = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../bots/_example/manifest.json'), 'utf8')) as Record<string, unknown>;
const SENTINEL_KEY = 'SENTINELKEY7f3a9b';
const SENTINEL_SECRET = 'SENTINELSECRET9c1e4d';

let running: Running;
let dir: string;
let env: Record<string, string>;
let secretsPath: string;

function writeConfig(venue: Record<string, unknown> | null): void {
  const config = venue === null ? {} : { mode: 'live', venues: { BYBIT: venue } };
  writeFileSync(join(dir, 'flotilla.config.json'), JSON.stringify(config));
}

function bybitVenue(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { adapter: 'bybit', environment: running.standin.url, timeouts: { requestMs: 2_000 }, provisioning: { startingCapital: '1000', ipWhitelist: ['127.0.0.1'] }, ...extra };
}

function addBot(id: string, venue = 'BYBIT', instruments = ['BTCUSDT.BYBIT']): void {
  mkdirSync(join(dir, 'bots', id), { recursive: true });
  writeFileSync(join(dir, 'bots', id, 'manifest.json'), JSON.stringify({ ...EXAMPLE, id, name: id, venue, subAccount: id, instruments }));
  writeFileSync(join(dir, 'bots', id, 'strategy.ts'), 'export {};\n');
}

beforeEach(async () => {
  running = await startStandin();
  dir = mkdtempSync(join(tmpdir(), 'flotilla-accounts-'));
  secretsPath = join(dir, 'private', 'secrets.json');
  env = { FLOTILLA_CONFIG: join(dir, 'flotilla.config.json'), FLOTILLA_BOTS_DIR: join(dir, 'bots'), FLOTILLA_SECRETS: secretsPath, FLOTILLA_HOME: join(dir, 'home') };
  writeConfig(bybitVenue());
  addBot('alpha');
  addBot('beta');
  addBot('gamma', 'ALPACA', ['QQQ.ALPACA']);
});

afterEach(async () => {
  await running.standin.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a process, with `input` on its stdin. */
function cli(args: string[], input = ''): Promise<Ran> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [CLI, 'accounts', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: dir, ...env }, cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

function expectNoSecrets(ran: Ran, secrets: ReadonlyArray<string | undefined>): void {
  for (const secret of secrets) {
    expect(secret).toBeDefined();
    expect(ran.stdout).not.toContain(secret);
    expect(ran.stderr).not.toContain(secret);
  }
}

describe('supervisor accounts: set-master, provision, list', () => {
  it('stores the master key from stdin, plans, provisions once, and lists balances, never printing a key', async () => {
    const { master } = running.standin;
    const stored = await cli(['set-master', '--venue', 'BYBIT'], `${master.key}\n${master.secret}\n`);
    expect(stored).toMatchObject({ code: 0, stderr: '' });
    expect(stored.stdout).toContain(`Stored the master key for BYBIT in ${secretsPath}`);
    expect(statSync(secretsPath).mode & 0o777).toBe(0o600);
    expect(readSecrets(secretsPath).venue('BYBIT').master).toEqual({ key: master.key, secret: master.secret });

    const plan = await cli(['provision', '--venue', 'BYBIT', '--dry-run', '--json']);
    expect(plan.code).toBe(0);
    const planned = JSON.parse(plan.stdout) as { dryRun: boolean; accounts: Array<{ subAccountId: string; steps: Array<{ step: string }> }> };
    expect(planned.dryRun).toBe(true);
    expect(planned.accounts.map((account) => [account.subAccountId, account.steps.length])).toEqual([
      ['alpha', 6],
      ['beta', 6],
    ]);
    expect(running.standin.exchange.accounts.subMembers()).toEqual([]);

    const provisioned = await cli(['provision', '--venue', 'BYBIT']);
    expect(provisioned.code).toBe(0);
    expect(provisioned.stdout).toMatch(/alpha \(UID \d+\): provisioned \(CREATE_ACCOUNT, CREATE_API_KEY, SAVE_KEY, ENABLE_TRANSFER, TRANSFER_CAPITAL, RECORD_TRANSFER\)/);
    expect(provisioned.stdout).toMatch(/warning: the master key may withdraw/);
    expect(running.standin.exchange.accounts.subMembers()).toHaveLength(2);
    expect(running.standin.exchange.accounts.transfers()).toHaveLength(2);

    const again = await cli(['provision', '--venue', 'BYBIT']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/alpha \(UID \d+\): provisioned already\n {2}beta \(UID \d+\): provisioned already/);
    expect(running.standin.exchange.accounts.subMembers()).toHaveLength(2);
    expect(running.standin.exchange.accounts.transfers()).toHaveLength(2);

    const listed = await cli(['--json']);
    expect(listed.code).toBe(0);
    const listing = JSON.parse(listed.stdout) as { secretsFile: string; ledgers: string | null; venues: unknown[]; accounts: unknown[] };
    expect(listing.ledgers).toBe('the supervisor does not run (start it to see them)');
    const saved = readSecrets(secretsPath).venue('BYBIT').accounts;
    expect(listing.secretsFile).toBe(secretsPath);
    expect(listing.venues).toEqual([{ venue: 'BYBIT', adapter: 'bybit', environment: running.standin.url, masterKey: true, masterUid: String(master.uid), problem: null }]);
    expect(listing.accounts).toEqual([
      { botId: 'alpha', venue: 'BYBIT', subAccountId: 'alpha', key: true, uid: saved.get('alpha' as never)?.uid, balance: '1000', ledgerBalance: null, note: null },
      { botId: 'beta', venue: 'BYBIT', subAccountId: 'beta', key: true, uid: saved.get('beta' as never)?.uid, balance: '1000', ledgerBalance: null, note: null },
      { botId: 'gamma', venue: 'ALPACA', subAccountId: 'gamma', key: false, uid: null, balance: null, ledgerBalance: null, note: `venue ALPACA is not in ${env.FLOTILLA_CONFIG}` },
    ]);

    const table = await cli([]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^BOT +VENUE +SUB-ACCOUNT +KEY +UID +VENUE BALANCE +LEDGER BALANCE +NOTE$/m);
    expect(table.stdout).toMatch(/^alpha +BYBIT +alpha +yes +\d+ +1000 +-  -$/m);
    expect(table.stdout).toMatch(/^Ledger balances not shown: the supervisor does not run \(start it to see them\)\.$/m);

    const everySecret = [master.key, master.secret, ...[...saved.values()].flatMap((account) => [account.key, account.secret])];
    for (const ran of [stored, plan, provisioned, again, listed, table]) expectNoSecrets(ran, everySecret);
  });

  it('takes the master key as JSON on stdin too', async () => {
    const { master } = running.standin;
    const stored = await cli(['set-master', '--venue', 'BYBIT', '--json'], JSON.stringify({ key: master.key, secret: master.secret }));
    expect(stored.code).toBe(0);
    expect(JSON.parse(stored.stdout)).toEqual({ venue: 'BYBIT', secretsFile: secretsPath, stored: true });
    expect(readSecrets(secretsPath).venue('BYBIT').master).toEqual({ key: master.key, secret: master.secret });
  });

  it('stops at a failed step with exit code 1, naming the step and the sub-account; the next run finishes', async () => {
    await cli(['set-master', '--venue', 'BYBIT'], `${running.standin.master.key}\n${running.standin.master.secret}\n`);
    running.standin.faults.add({ kind: 'http-5xx', route: 'POST /v5/asset/transfer/universal-transfer' });
    const failed = await cli(['provision', '--venue', 'BYBIT']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^supervisor: BYBIT\/alpha: TRANSFER_CAPITAL failed: .*HTTP 503/);
    expect(failed.stderr).toContain('run "supervisor accounts provision --venue BYBIT" again to finish');
    const finished = await cli(['provision', '--venue', 'BYBIT', '--json']);
    expect(finished.code).toBe(0);
    expect((JSON.parse(finished.stdout) as { failure: unknown }).failure).toBeNull();
    expect(running.standin.exchange.accounts.transfers()).toHaveLength(2);
    expect(running.standin.exchange.accounts.subMembers()).toHaveLength(2);
  });

  it('never prints a key or a secret the venue refuses, in text or JSON', async () => {
    const stored = await cli(['set-master', '--venue', 'BYBIT'], `${SENTINEL_KEY}\n${SENTINEL_SECRET}\n`);
    const provisioned = await cli(['provision', '--venue', 'BYBIT']);
    expect(provisioned.code).toBe(1);
    expect(provisioned.stderr).toMatch(/BYBIT: CHECK_MASTER_KEY failed: GET \/v5\/user\/query-api: Bybit 10003 \([^)]*\): the master key is not known to this Bybit environment/);
    const planned = await cli(['provision', '--venue', 'BYBIT', '--dry-run', '--json']);
    expect(planned.code).toBe(1);
    writeFileSync(secretsPath, JSON.stringify({ version: 1, venues: { BYBIT: { master: { key: SENTINEL_KEY, secret: SENTINEL_SECRET }, accounts: { alpha: { key: `${SENTINEL_KEY}A`, secret: `${SENTINEL_SECRET}A`, uid: '1' } } } } }), { mode: 0o600 });
    const listed = await cli(['--json']);
    expect(listed.code).toBe(0);
    const listing = JSON.parse(listed.stdout) as { venues: Array<{ problem: string }>; accounts: Array<{ note: string | null }> };
    expect(listing.venues[0]?.problem).toMatch(/10003/);
    expect(listing.accounts[0]?.note).toMatch(/GET \/v5\/account\/wallet-balance: Bybit 10003/);
    const badInput = await cli(['set-master', '--venue', 'BYBIT'], `${SENTINEL_KEY}\n${SENTINEL_SECRET}\nthird ${SENTINEL_SECRET}\n`);
    expect(badInput.code).toBe(2);
    expect(badInput.stderr).toMatch(/two lines \(got 3 non-empty lines\)/);
    const onArgv = await cli(['set-master', '--venue', 'BYBIT', '--key', SENTINEL_KEY, '--secret', SENTINEL_SECRET]);
    expect(onArgv.code).toBe(2);
    expect(onArgv.stderr).toMatch(/never put a key or a secret on the command line/);
    for (const ran of [stored, provisioned, planned, listed, badInput, onArgv]) expectNoSecrets(ran, [SENTINEL_KEY, SENTINEL_SECRET]);
    // Seven CLI processes: more than the default 30 s on a loaded two-core machine.
  }, 90_000);
});

describe('supervisor accounts: refusals', () => {
  it.each([
    [['provision'], 2, /--venue is required: one of BYBIT/],
    [['provision', '--venue', 'KRAKEN'], 2, /--venue "KRAKEN" is not a venue of .*flotilla\.config\.json; configured: BYBIT/],
    [['list', '--dry-run'], 2, /--dry-run is for "accounts provision"/],
    [['open'], 2, /unknown action "open": one of list, provision, set-master/],
  ])('%j exits %i with a sentence', async (argv, code, message) => {
    const result = await run(['accounts', ...argv], { env });
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('refuses a paper configuration, and provision without provisioning settings, with exit code 1', async () => {
    writeConfig(null);
    const paper = await run(['accounts'], { env });
    expect(paper.code).toBe(1);
    expect(paper.stderr).toMatch(/runs the fleet on paper \(mode "paper"\): sub-accounts and keys are for live mode/);
    writeConfig(bybitVenue({ provisioning: undefined }));
    const unprovisioned = await run(['accounts', 'provision', '--venue', 'BYBIT'], { env });
    expect(unprovisioned.code).toBe(1);
    expect(unprovisioned.stderr).toMatch(/venues\.BYBIT\.provisioning is not set/);
  });

  it('has nothing to provision when no bot trades on the venue', async () => {
    rmSync(join(dir, 'bots'), { recursive: true });
    const result = await run(['accounts', 'provision', '--venue', 'BYBIT'], { env });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`No bot in ${join(dir, 'bots')} trades on BYBIT: nothing to provision.\n`);
  });

  it('refuses a secrets file others can read', async () => {
    mkdirSync(join(dir, 'private'));
    writeFileSync(secretsPath, JSON.stringify({ version: 1, venues: {} }), { mode: 0o644 });
    const listed = await run(['accounts'], { env });
    expect(listed.code).toBe(1);
    expect(listed.stderr).toMatch(/is readable or writable by others \(mode 0644\); run chmod 600 on it/);
  });
});

describe('supervisor accounts provision --venue ALPACA: each bot\'s key pair checked, nothing created', () => {
  let alpaca: AlpacaStandin;

  beforeEach(async () => {
    alpaca = await AlpacaStandin.start({ instruments: [{ id: 'QQQ.ALPACA', kind: 'EQUITY', tickSize: '0.01', lotStep: '1', minQuantity: '1', minNotional: '1', exposure: { key: 'NDX', beta: '1' }, startPrice: '480' }] });
    writeFileSync(join(dir, 'flotilla.config.json'), JSON.stringify({ mode: 'live', venues: { BYBIT: bybitVenue(), ALPACA: { adapter: 'alpaca', environment: alpaca.url, timeouts: { requestMs: 2_000 } } } }));
    addBot('delta', 'ALPACA', ['QQQ.ALPACA']);
  });

  afterEach(async () => {
    await alpaca.stop();
  });

  const writeAlpacaKeys = (accounts: Record<string, { key: string; secret: string }>): void => {
    mkdirSync(join(dir, 'private'), { recursive: true, mode: 0o700 });
    const pairs = Object.fromEntries(Object.entries(accounts).map(([name, { key, secret }]) => [name, { key, secret }]));
    writeFileSync(secretsPath, JSON.stringify({ version: 1, venues: { ALPACA: { accounts: pairs } } }), { mode: 0o600 });
  };

  it('plans the checks (--dry-run asks nothing), shows each account it opens, and fails for a missing or refused key pair without printing it', async () => {
    const gamma = alpaca.createAccount();
    writeAlpacaKeys({ gamma });
    const planned = await cli(['provision', '--venue', 'ALPACA', '--dry-run', '--json']);
    expect(planned.stderr).toBe('');
    expect(planned.code).toBe(0);
    const plan = JSON.parse(planned.stdout) as { accounts: Array<{ subAccountId: string; steps: Array<{ step: string }>; state: string }> };
    expect(plan.accounts.map((account) => [account.subAccountId, account.steps.map((step) => step.step)])).toEqual([
      ['delta', []],
      ['gamma', ['CHECK_ACCOUNT_KEY']],
    ]);
    expect(plan.accounts[0]?.state).toMatch(/^no key pair in the secrets file/);

    const missing = await cli(['provision', '--venue', 'ALPACA']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/gamma \(UID PA0000000001\): account PA0000000001, ACTIVE, a stand-in, buying power \d+ \(CHECK_ACCOUNT_KEY\)/);
    expect(missing.stdout).toMatch(/delta: no key pair in .*secrets\.json \(venues\.ALPACA\.accounts\.delta\)/);
    expect(missing.stderr).toMatch(/ALPACA\/delta: CHECK_ACCOUNT_KEY failed: 1 of 2 key pairs failed the check \(delta\)/);

    writeAlpacaKeys({ gamma, delta: { key: SENTINEL_KEY, secret: SENTINEL_SECRET } });
    const refused = await cli(['provision', '--venue', 'ALPACA', '--json']);
    expect(refused.code).toBe(1);
    const outcome = JSON.parse(refused.stdout) as { accounts: Array<{ subAccountId: string; state: string }> };
    expect(outcome.accounts.find((account) => account.subAccountId === 'delta')?.state).toMatch(/the key pair was refused by Alpaca \(a stand-in; HTTP 401\)/);
    expectNoSecrets(refused, [SENTINEL_KEY, SENTINEL_SECRET]);
  }, 90_000);

  it('passes once every bot has a working key pair, and creates nothing at Alpaca', async () => {
    writeAlpacaKeys({ gamma: alpaca.createAccount(), delta: alpaca.createAccount() });
    const checked = await cli(['provision', '--venue', 'ALPACA']);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(/delta \(UID PA0000000002\): account PA0000000002, ACTIVE, a stand-in/);
    expect(checked.stdout).toMatch(/gamma \(UID PA0000000001\): account PA0000000001, ACTIVE, a stand-in/);
    expect(alpaca.exchange.accounts()).toHaveLength(2);
  }, 60_000);
});
