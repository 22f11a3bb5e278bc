import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { Decimal } from '../../../core/decimal.ts';
import { parseSubAccountId, type SubAccountId } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import { readSecrets, writeSecrets } from '../../../supervisor/secrets/secrets-file.ts';
import { BybitVenue } from '../../../venues/bybit/bybit-venue.ts';
import { BybitProvisioner, capitalTransferId, subMemberUsername } from '../../../venues/bybit/provisioning.ts';
import { bybitSettingsSchema } from '../../../venues/bybit/settings.ts';
import type { BybitStandin } from '../../../venues/bybit/standin/standin.ts';
import type { ProvisionStep } from '../../../venues/provisioning.ts';
import { btc } from './fixtures.ts';
import { provision as provisionByHand, startStandin, type Running } from './standin/harness.ts';

/**
 * `accounts provision` on Bybit against the stand-in over real HTTP: what it creates, that the keys trade, that a
 * second run and a run after a crash between any two steps create nothing twice, and that no failure quotes a key.
 */

const ALPHA = parseSubAccountId('alpha');
const BETA = parseSubAccountId('beta-1');
const BOTH = [ALPHA, BETA];
const USERNAME = /^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9]{6,16}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let running: Running;
let dir: string;
let secretsPath: string;
const provisioners: BybitProvisioner[] = [];

beforeEach(async () => {
  running = await startStandin();
  dir = mkdtempSync(join(tmpdir(), 'flotilla-provision-'));
  secretsPath = join(dir, 'secrets.json');
  setMaster(running.standin);
});

afterEach(async () => {
  for (const provisioner of provisioners.splice(0)) provisioner.close();
  await running.standin.stop();
  rmSync(dir, { recursive: true, force: true });
});

function setMaster(standin: BybitStandin, master: { key: string; secret: string } = standin.master): void {
  writeSecrets(readSecrets(secretsPath).withMaster('BYBIT', { key: master.key, secret: master.secret }));
}

function provisioner(overrides: { startingCapital?: string; ipWhitelist?: string[]; requestMs?: number } = {}): BybitProvisioner {
  const settings = bybitSettingsSchema.parse({
    adapter: 'bybit',
    environment: running.standin.url,
    timeouts: { requestMs: overrides.requestMs ?? 2_000 },
    provisioning: { startingCapital: overrides.startingCapital ?? '1000', ipWhitelist: overrides.ipWhitelist ?? ['127.0.0.1'] },
  });
  const created = new BybitProvisioner({ name: 'BYBIT', settings, secretsPath });
  provisioners.push(created);
  return created;
}

function members(): string[] {
  return running.standin.exchange.accounts
    .subMembers()
    .map((member) => member.username)
    .sort();
}

function transfers(): Array<{ transferId: string; to: number; amount: string }> {
  return running.standin.exchange.accounts.transfers().map((transfer) => ({ transferId: transfer.transferId, to: transfer.toMemberId, amount: transfer.amount.toString() }));
}

async function balanceWithAdapter(subAccountId: SubAccountId): Promise<string> {
  const secrets = readSecrets(secretsPath);
  const venue = new BybitVenue({ name: 'BYBIT', environment: running.standin.url, credentials: secrets.credentials('BYBIT'), instruments: [btc], clock: new ManualClock(0), logger: silentLogger });
  try {
    return (await venue.balance(subAccountId)).toString();
  } finally {
    await venue.stop();
  }
}

/** Every sub-account provisioned once: one sub-member, one transfer of the capital, a key that reads the capital. */
async function expectProvisionedOnce(subAccountIds: readonly SubAccountId[], capital = '1000'): Promise<void> {
  const masterUid = String(running.standin.master.uid);
  expect(members()).toEqual(subAccountIds.map((id) => subMemberUsername(masterUid, id)).sort());
  const secrets = readSecrets(secretsPath).venue('BYBIT');
  expect(transfers()).toHaveLength(subAccountIds.length);
  for (const subAccountId of subAccountIds) {
    const saved = secrets.accounts.get(subAccountId);
    expect(saved?.uid).toMatch(/^\d+$/);
    expect(saved?.capitalTransferId).toBe(capitalTransferId(saved?.uid as string));
    expect(transfers().filter((transfer) => transfer.transferId === saved?.capitalTransferId)).toEqual([{ transferId: saved?.capitalTransferId, to: Number(saved?.uid), amount: capital }]);
    expect(await balanceWithAdapter(subAccountId)).toBe(capital);
  }
}

describe('names Bybit accepts, derived the same way every time', () => {
  it('gives every sub-account ID a valid username, unique per master', () => {
    const ids = ['a', 'aggressive', 'trend-following', 'x_-y', '0', 'a'.repeat(32), '9-9-9'].map(parseSubAccountId);
    for (const id of ids) {
      expect(subMemberUsername('53000001', id)).toMatch(USERNAME);
      expect(subMemberUsername('53000001', id)).toBe(subMemberUsername('53000001', id));
    }
    expect(subMemberUsername('53000001', parseSubAccountId('aggressive'))).not.toBe(subMemberUsername('53000002', parseSubAccountId('aggressive')));
    expect(new Set(ids.map((id) => subMemberUsername('53000001', id))).size).toBe(ids.length);
  });

  it('derives the transfer ID as a UUID from the sub-member UID', () => {
    expect(capitalTransferId('53000002')).toMatch(UUID);
    expect(capitalTransferId('53000002')).toBe(capitalTransferId('53000002'));
    expect(capitalTransferId('53000002')).not.toBe(capitalTransferId('53000003'));
  });
});

describe('provision', () => {
  it('creates each sub-member, its key (saved with its UID) and its capital, and the keys then trade with the adapter', async () => {
    const outcome = await provisioner().provision(BOTH);
    expect(outcome.failure).toBeNull();
    expect(outcome.accounts.map((account) => [account.subAccountId, account.state, account.done])).toEqual(
      BOTH.map((id) => [id, 'provisioned', ['CREATE_ACCOUNT', 'CREATE_API_KEY', 'SAVE_KEY', 'ENABLE_TRANSFER', 'TRANSFER_CAPITAL', 'RECORD_TRANSFER']]),
    );
    await expectProvisionedOnce(BOTH);
    // The trading key: read-write, ContractTrade only, bound to the whitelist; the secrets file stays 0600.
    const saved = readSecrets(secretsPath).venue('BYBIT').accounts.get(ALPHA);
    const key = running.standin.exchange.accounts.keyOf(saved?.key as string);
    expect(key).toMatchObject({ readOnly: 0, permissions: { ContractTrade: ['Order', 'Position'] }, ips: ['127.0.0.1'] });
    expect(running.standin.exchange.accounts.member(key?.uid as number)?.isUta).toBe(true);
  });

  it('creates nothing the second time', async () => {
    expect((await provisioner().provision(BOTH)).failure).toBeNull();
    const before = readFileSync(secretsPath, 'utf8');
    const second = await provisioner().provision(BOTH);
    expect(second.failure).toBeNull();
    expect(second.accounts.map((account) => [account.state, account.done])).toEqual([
      ['provisioned already', []],
      ['provisioned already', []],
    ]);
    expect(readFileSync(secretsPath, 'utf8')).toBe(before);
    await expectProvisionedOnce(BOTH);
  });

  it('adds a new bot\'s sub-account later without touching the others', async () => {
    expect((await provisioner().provision([ALPHA])).failure).toBeNull();
    const outcome = await provisioner().provision(BOTH);
    expect(outcome.accounts.map((account) => account.state)).toEqual(['provisioned already', 'provisioned']);
    await expectProvisionedOnce(BOTH);
  });

  const STEPS: ProvisionStep[] = ['CREATE_ACCOUNT', 'CREATE_API_KEY', 'SAVE_KEY', 'ENABLE_TRANSFER', 'TRANSFER_CAPITAL', 'RECORD_TRANSFER'];
  it.each(STEPS)('after a crash right after %s of the first account, the next run completes with nothing made twice', async (crashAfter) => {
    const crash = new Error(`crashed after ${crashAfter}`);
    await expect(
      provisioner().provision(BOTH, {
        afterStep: (step, subAccountId) => {
          if (step === crashAfter && subAccountId === ALPHA) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    const outcome = await provisioner().provision(BOTH);
    expect(outcome.failure).toBeNull();
    expect(outcome.accounts.map((account) => account.state)).toEqual([crashAfter === 'RECORD_TRANSFER' ? 'provisioned already' : 'provisioned', 'provisioned']);
    await expectProvisionedOnce(BOTH);
  });

  it('reuses a sub-member whose creation was carried out but never answered', async () => {
    running.standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v5/user/create-sub-member', destroy: true });
    const outcome = await provisioner().provision(BOTH);
    expect(outcome.failure).toBeNull();
    await expectProvisionedOnce(BOTH);
  });

  it('finds a transfer that was carried out but never answered, and moves nothing twice', async () => {
    running.standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v5/asset/transfer/universal-transfer', destroy: true });
    const outcome = await provisioner().provision(BOTH);
    expect(outcome.failure).toBeNull();
    await expectProvisionedOnce(BOTH);
  });

  it('stops at a transfer that failed on the wire, naming the step and the account; the next run finishes it', async () => {
    running.standin.faults.add({ kind: 'http-5xx', route: 'POST /v5/asset/transfer/universal-transfer' });
    const first = await provisioner().provision(BOTH);
    expect(first.failure?.step).toBe('TRANSFER_CAPITAL');
    expect(first.failure?.subAccountId).toBe(ALPHA);
    expect(first.failure?.message).toMatch(/^BYBIT\/alpha: TRANSFER_CAPITAL failed: .*HTTP 503.*run provision again/);
    // The key was saved before the transfer was tried.
    expect(readSecrets(secretsPath).venue('BYBIT').accounts.get(ALPHA)?.capitalTransferId).toBeUndefined();
    expect(readSecrets(secretsPath).venue('BYBIT').accounts.get(ALPHA)?.key).toBeDefined();
    const second = await provisioner().provision(BOTH);
    expect(second.failure).toBeNull();
    expect(second.accounts.map((account) => account.done)).toEqual([['ENABLE_TRANSFER', 'TRANSFER_CAPITAL', 'RECORD_TRANSFER'], ['CREATE_ACCOUNT', 'CREATE_API_KEY', 'SAVE_KEY', 'ENABLE_TRANSFER', 'TRANSFER_CAPITAL', 'RECORD_TRANSFER']]);
    await expectProvisionedOnce(BOTH);
  });

  it('names Bybit\'s code and message when it refuses, and never a key or a secret', async () => {
    await running.standin.stop();
    running = await startStandin({ masterBalance: Decimal.parse('500') });
    setMaster(running.standin);
    const outcome = await provisioner().provision(BOTH);
    expect(outcome.failure?.message).toMatch(/^BYBIT\/alpha: TRANSFER_CAPITAL failed: POST \/v5\/asset\/transfer\/universal-transfer: Bybit 131212 \(Insufficient balance[^)]*\): the master's Funding account holds less USDT than provisioning.startingCapital/);
    const saved = readSecrets(secretsPath).venue('BYBIT');
    const texts = JSON.stringify({ outcome, message: outcome.failure?.message, stack: outcome.failure?.stack });
    for (const secret of [running.standin.master.key, running.standin.master.secret, saved.accounts.get(ALPHA)?.key, saved.accounts.get(ALPHA)?.secret]) {
      expect(secret).toBeDefined();
      expect(texts).not.toContain(secret);
    }
  });

  it('refuses a master key that belongs to a sub-account, and runs with no master key at all, before creating anything', async () => {
    const sub = await provisionByHand(running.standin, 'handmade1');
    setMaster(running.standin, sub);
    const outcome = await provisioner().provision(BOTH);
    expect(outcome.failure?.step).toBe('CHECK_MASTER_KEY');
    expect(outcome.failure?.message).toMatch(/belongs to a sub-account/);
    writeSecrets(readSecrets(secretsPath).withAccount('BYBIT', ALPHA, { key: 'k'.repeat(18), secret: 's'.repeat(36) }));
    rmSync(secretsPath);
    const none = await provisioner().provision(BOTH);
    expect(none.failure?.message).toMatch(/no master key for BYBIT in .*supervisor accounts set-master --venue BYBIT/);
    expect(members()).toEqual(['handmade1']);
  });

  it('leaves alone a key the operator stored by hand', async () => {
    const handmade = await provisionByHand(running.standin, 'handmade1');
    writeSecrets(readSecrets(secretsPath).withAccount('BYBIT', ALPHA, { key: handmade.key, secret: handmade.secret, uid: String(handmade.uid) }));
    const outcome = await provisioner().provision([ALPHA]);
    expect(outcome.failure).toBeNull();
    expect(outcome.accounts[0]?.state).toMatch(/has a key that provision did not create.*left alone/);
    expect(members()).toEqual(['handmade1']);
    expect(transfers()).toHaveLength(1);
  });
});

describe('plan (the dry run)', () => {
  it('says what provision would do and changes nothing; once provisioned, it has nothing to do', async () => {
    const before = readFileSync(secretsPath, 'utf8');
    const plan = await provisioner().plan(BOTH);
    expect(plan.accounts.map((account) => [account.subAccountId, account.state, account.steps.map((step) => step.step)])).toEqual(
      BOTH.map((id) => [id, 'not provisioned', ['CREATE_ACCOUNT', 'CREATE_API_KEY', 'SAVE_KEY', 'ENABLE_TRANSFER', 'TRANSFER_CAPITAL', 'RECORD_TRANSFER']]),
    );
    expect(plan.accounts[0]?.steps[0]?.detail).toBe(`create sub-member ${subMemberUsername(String(running.standin.master.uid), ALPHA)}, a unified trading account`);
    expect(plan.accounts[0]?.steps[1]?.detail).toMatch(/bound to 127\.0\.0\.1/);
    expect(plan.warnings).toEqual([expect.stringMatching(/the master key may withdraw/)]);
    expect(members()).toEqual([]);
    expect(transfers()).toEqual([]);
    expect(readFileSync(secretsPath, 'utf8')).toBe(before);

    await provisioner().provision(BOTH);
    const after = await provisioner().plan(BOTH);
    expect(after.accounts.map((account) => [account.state, account.steps])).toEqual([
      ['provisioned', []],
      ['provisioned', []],
    ]);
  });

  it('plans only the missing steps after a crash', async () => {
    await expect(
      provisioner().provision([ALPHA], {
        afterStep: (step) => {
          if (step === 'SAVE_KEY') throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    const plan = await provisioner().plan([ALPHA]);
    expect(plan.accounts[0]?.state).toBe('key saved, starting capital not transferred');
    expect(plan.accounts[0]?.steps.map((step) => step.step)).toEqual(['ENABLE_TRANSFER', 'TRANSFER_CAPITAL', 'RECORD_TRANSFER']);
  });
});

describe('view', () => {
  it('reads each provisioned account\'s balance with its own key, and says what is missing', async () => {
    await provisioner().provision([ALPHA]);
    const view = await provisioner().view(BOTH);
    expect(view.masterUid).toBe(String(running.standin.master.uid));
    expect(view.problem).toBeNull();
    expect(view.accounts).toEqual([
      { subAccountId: ALPHA, uid: readSecrets(secretsPath).venue('BYBIT').accounts.get(ALPHA)?.uid, balance: '1000', note: null },
      { subAccountId: BETA, uid: null, balance: null, note: 'no key in the secrets file' },
    ]);
  });

  it('says the venue is unreachable instead of failing', async () => {
    await provisioner().provision([ALPHA]);
    await running.standin.stop();
    const view = await provisioner({ requestMs: 500 }).view(BOTH);
    expect(view.problem).toMatch(/cannot reach Bybit/);
    expect(view.accounts[0]).toMatchObject({ balance: null, note: 'Bybit unreachable' });
    running = await startStandin();
  });

  it('finds a sub-member without a saved key by its username', async () => {
    await expect(
      provisioner().provision([ALPHA], {
        afterStep: (step) => {
          if (step === 'CREATE_ACCOUNT') throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    const view = await provisioner().view([ALPHA]);
    expect(view.accounts[0]?.uid).toMatch(/^\d+$/);
    expect(view.accounts[0]?.note).toMatch(/no key in the secrets file, but sub-member fl\w+ exists: run provision/);
    expect(existsSync(secretsPath)).toBe(true);
  });
});
