import { createHash } from 'node:crypto';
import { ConfigurationError } from '../../core/errors.ts';
import type { SubAccountId } from '../../core/ids.ts';
import { readSecrets, writeSecrets, type Secrets } from '../../supervisor/secrets/secrets-file.ts';
import type { AccountOutcome, AccountPlan, AccountProvisioner, AccountsView, AccountView, PlannedStep, ProvisionHooks, ProvisionOutcome, ProvisionPlan, ProvisionStep } from '../provisioning.ts';
import { ProvisioningError } from '../provisioning.ts';
import { DEFAULT_TIMEOUTS, resolveEnvironment } from './config.ts';
import { BybitMasterClient, type SubMember } from './master-client.ts';
import type { BybitSettings } from './settings.ts';

/**
 * `supervisor accounts provision` on Bybit, with the master key: for each sub-account a unified-trading sub-member,
 * a trading API key (saved in the secrets file the moment Bybit hands it over), and the starting capital moved from
 * the master. Every step is looked up before it is done, so a run that died between any two steps is completed by
 * the next one and a second run creates nothing:
 * - the sub-member's username is derived from the master's UID and the sub-account ID, so an existing sub-member is
 *   found by name and reused, never created twice;
 * - the transfer's ID is derived from the sub-member's UID, so Bybit itself refuses to move the money twice, and
 *   the secrets file records it once Bybit confirmed it (Bybit lists transfers for 7 days only).
 * The one thing a crash can cost is a key Bybit created in the instant before it reached the file: the next run
 * creates another, and the lost one (unused, unknown to anyone) can be deleted in Bybit's web interface.
 */

/**
 * A sub-member's username: 6-16 letters and digits with at least one of each, as Bybit requires. Bybit never reuses
 * a username (not even a deleted one's) across all its users, so the master's UID is part of it: two owners who both
 * run a bot called "aggressive" get different names. "fl", up to 7 letters and digits of the sub-account ID for the
 * people reading Bybit's web interface, and 7 digits of a hash of both.
 */
export function subMemberUsername(masterUid: string, subAccountId: SubAccountId): string {
  const digest = createHash('sha256').update(`flotilla:${masterUid}:${subAccountId}`).digest();
  const digits = (digest.readBigUInt64BE(0) % 10_000_000n).toString().padStart(7, '0');
  return `fl${subAccountId.replace(/[^a-z0-9]/g, '').slice(0, 7)}${digits}`;
}

/** The starting capital's transfer ID: a UUID (version 5 layout) derived from the sub-member's UID, unique across Bybit as the UID is. */
export function capitalTransferId(subUid: string): string {
  const bytes = createHash('sha256').update(`flotilla:starting-capital:${subUid}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface BybitProvisionerOptions {
  /** The venue's name in instrument IDs and in the secrets file ("BYBIT"). */
  name: string;
  settings: BybitSettings;
  secretsPath: string;
  /** The checkout the secrets file must lie outside of; the project's unless given. */
  projectRoot?: string;
}

export class BybitProvisioner implements AccountProvisioner {
  readonly #options: BybitProvisionerOptions;
  readonly #bybit: BybitMasterClient;

  constructor(options: BybitProvisionerOptions) {
    this.#options = options;
    const venue = this.#secrets().venue(options.name);
    this.#bybit = new BybitMasterClient({
      name: options.name,
      endpoints: resolveEnvironment(options.settings.environment, `venues.${options.name}.environment`),
      timeouts: { ...DEFAULT_TIMEOUTS, ...options.settings.timeouts },
      master: venue.master,
      secretsPath: options.secretsPath,
    });
    for (const account of venue.accounts.values()) this.#bybit.redact(account.key, account.secret);
  }

  close(): void {
    this.#bybit.close();
  }

  async view(subAccountIds: readonly SubAccountId[]): Promise<AccountsView> {
    const { name } = this.#options;
    const venue = this.#secrets().venue(name);
    let masterUid: string | null = null;
    let members = new Map<string, SubMember>();
    let problem: string | null = null;
    if (venue.master !== undefined) {
      try {
        masterUid = (await this.#bybit.checkMaster()).uid;
        members = await this.#bybit.listMembers();
      } catch (error) {
        if (!(error instanceof ProvisioningError)) throw error;
        problem = error.message;
      }
    }
    const accounts: AccountView[] = [];
    for (const subAccountId of subAccountIds) {
      const key = venue.accounts.get(subAccountId);
      const member = masterUid === null ? undefined : members.get(subMemberUsername(masterUid, subAccountId));
      const uid = key?.uid ?? member?.uid ?? null;
      if (key === undefined) {
        accounts.push({ subAccountId, uid, balance: null, note: member === undefined ? 'no key in the secrets file' : `no key in the secrets file, but sub-member ${member.username} exists: run provision` });
      } else if (this.#bybit.unreachable !== null) {
        accounts.push({ subAccountId, uid, balance: null, note: 'Bybit unreachable' });
      } else {
        const read = await this.#bybit.balance(subAccountId, key);
        const unfunded = key.capitalTransferId === undefined && member !== undefined && member.uid === key.uid ? 'starting capital not transferred yet: run provision' : null;
        accounts.push({ subAccountId, uid, balance: read.balance, note: read.balance === null ? read.note : unfunded });
      }
    }
    return { venue: name, masterUid, accounts, problem: this.#bybit.unreachable ?? problem };
  }

  async plan(subAccountIds: readonly SubAccountId[]): Promise<ProvisionPlan> {
    const { startingCapital, ipWhitelist } = this.#provisioning();
    const master = await this.#bybit.checkMaster();
    const members = await this.#bybit.listMembers();
    const venue = this.#secrets().venue(this.#options.name);
    const usernames = this.#usernames(master.uid, subAccountIds);
    const accounts: AccountPlan[] = [];
    for (const subAccountId of subAccountIds) {
      const username = usernames.get(subAccountId) as string;
      const member = members.get(username);
      const key = venue.accounts.get(subAccountId);
      const keyStep: PlannedStep[] = [
        { step: 'CREATE_API_KEY', detail: `create its API key: read-write, ContractTrade Order and Position only, ${ipWhitelist.length === 0 ? 'not IP-bound (Bybit expires it after 90 days)' : `bound to ${ipWhitelist.join(', ')}`}` },
        { step: 'SAVE_KEY', detail: `save the key and the UID in ${this.#options.secretsPath}` },
      ];
      const fund = (uid: string | null): PlannedStep[] => [
        { step: 'ENABLE_TRANSFER', detail: 'enable universal transfer for it' },
        { step: 'TRANSFER_CAPITAL', detail: `transfer ${startingCapital} USDT from the master's Funding account to its Unified account (transfer ID ${uid === null ? 'derived from its UID' : capitalTransferId(uid)})` },
        { step: 'RECORD_TRANSFER', detail: 'record the transfer in the secrets file' },
      ];
      if (key !== undefined && key.capitalTransferId !== undefined) {
        accounts.push({ subAccountId, uid: key.uid ?? null, steps: [], state: 'provisioned' });
      } else if (key !== undefined && (member === undefined || member.uid !== key.uid)) {
        accounts.push({ subAccountId, uid: key.uid ?? null, steps: [], state: `has a key that provision did not create (not sub-member ${username}'s): left alone` });
      } else if (key !== undefined && member !== undefined) {
        const transfer = await this.#bybit.findTransfer(subAccountId, capitalTransferId(member.uid));
        const steps = transfer === null ? fund(member.uid) : fund(member.uid).slice(2);
        accounts.push({ subAccountId, uid: member.uid, steps, state: transfer === null ? 'key saved, starting capital not transferred' : 'key saved, capital transferred, transfer not recorded yet' });
      } else if (member !== undefined) {
        accounts.push({ subAccountId, uid: member.uid, steps: [...keyStep, ...fund(member.uid)], state: `sub-member ${username} exists without a saved key` });
      } else {
        accounts.push({ subAccountId, uid: null, steps: [{ step: 'CREATE_ACCOUNT', detail: `create sub-member ${username}, a unified trading account` }, ...keyStep, ...fund(null)], state: 'not provisioned' });
      }
    }
    return { venue: this.#options.name, accounts, warnings: master.warnings };
  }

  async provision(subAccountIds: readonly SubAccountId[], hooks: ProvisionHooks = {}): Promise<ProvisionOutcome> {
    this.#provisioning();
    const outcome: ProvisionOutcome = { venue: this.#options.name, accounts: [], warnings: [], failure: null };
    const after = async (step: ProvisionStep, subAccountId: SubAccountId | null): Promise<void> => {
      await hooks.afterStep?.(step, subAccountId);
    };
    try {
      const master = await this.#bybit.checkMaster();
      outcome.warnings.push(...master.warnings);
      await after('CHECK_MASTER_KEY', null);
      const members = await this.#bybit.listMembers();
      await after('LIST_ACCOUNTS', null);
      const usernames = this.#usernames(master.uid, subAccountIds);
      for (const subAccountId of subAccountIds) {
        const account: AccountOutcome = { subAccountId, uid: null, done: [], state: 'failed' };
        outcome.accounts.push(account);
        await this.#provisionOne(account, usernames.get(subAccountId) as string, members, async (step) => {
          account.done.push(step);
          await after(step, subAccountId);
        });
      }
    } catch (error) {
      if (!(error instanceof ProvisioningError)) throw error;
      outcome.failure = error;
    }
    return outcome;
  }

  async #provisionOne(account: AccountOutcome, username: string, members: Map<string, SubMember>, done: (step: ProvisionStep) => Promise<void>): Promise<void> {
    const { subAccountId } = account;
    const key = this.#secrets().venue(this.#options.name).accounts.get(subAccountId);
    let member = members.get(username);
    if (key !== undefined) {
      account.uid = key.uid ?? null;
      // Provisioned, or a key the operator put there by hand: neither is provisioning's to touch.
      if (key.capitalTransferId !== undefined) {
        account.state = 'provisioned already';
        return;
      }
      if (member === undefined || member.uid !== key.uid) {
        account.state = `has a key that provision did not create (not sub-member ${username}'s): left alone`;
        return;
      }
    } else {
      if (member === undefined) {
        member = await this.#bybit.createMember(subAccountId, username);
        members.set(username, member);
        account.uid = member.uid;
        await done('CREATE_ACCOUNT');
      }
      const { uid } = member;
      account.uid = uid;
      const created = await this.#bybit.createKey(subAccountId, uid, this.#provisioning().ipWhitelist);
      await done('CREATE_API_KEY');
      this.#saveAccount(subAccountId, (secrets) => secrets.withAccount(this.#options.name, subAccountId, { ...created, uid }));
      await done('SAVE_KEY');
    }
    await this.#fund(subAccountId, member.uid, done);
    account.state = 'provisioned';
  }

  async #fund(subAccountId: SubAccountId, uid: string, done: (step: ProvisionStep) => Promise<void>): Promise<void> {
    const { startingCapital } = this.#provisioning();
    const transferId = capitalTransferId(uid);
    let transfer = await this.#bybit.findTransfer(subAccountId, transferId);
    if (transfer === null) {
      await this.#bybit.enableTransfer(subAccountId, uid);
      await done('ENABLE_TRANSFER');
      const sent = await this.#bybit.transfer(subAccountId, { transferId, amount: startingCapital, uid });
      if (sent.kind !== 'OK') {
        // 131214 (the ID is taken) or no answer: the money may have moved. Only Bybit's own list says; the ID never moves it twice.
        transfer = await this.#bybit.findTransfer(subAccountId, transferId);
        if (transfer === null) {
          const next = sent.kind === 'NO_ANSWER' && sent.outcomeUnknown ? '; Bybit does not list it yet: run provision again, the same transfer ID never moves the money twice' : '';
          throw new ProvisioningError(this.#options.name, 'TRANSFER_CAPITAL', subAccountId, `${sent.detail}${next}`);
        }
      }
      await done('TRANSFER_CAPITAL');
    }
    if (transfer !== null && transfer.status === 'FAILED') {
      throw new ProvisioningError(this.#options.name, 'TRANSFER_CAPITAL', subAccountId, `Bybit lists transfer ${transferId} as FAILED; move the capital in Bybit's web interface, then add "capitalTransferId" to the account in the secrets file`);
    }
    this.#saveAccount(subAccountId, (secrets) => {
      const saved = secrets.venue(this.#options.name).accounts.get(subAccountId);
      if (saved === undefined) throw new ProvisioningError(this.#options.name, 'RECORD_TRANSFER', subAccountId, `the key is no longer in ${this.#options.secretsPath}`);
      return secrets.withAccount(this.#options.name, subAccountId, { ...saved, capitalTransferId: transferId });
    });
    await done('RECORD_TRANSFER');
  }

  /** The usernames of the sub-accounts; two that collide (a chance of one in ten million) are refused before anything is made. */
  #usernames(masterUid: string, subAccountIds: readonly SubAccountId[]): Map<SubAccountId, string> {
    const usernames = new Map(subAccountIds.map((subAccountId) => [subAccountId, subMemberUsername(masterUid, subAccountId)]));
    const seen = new Map<string, SubAccountId>();
    for (const [subAccountId, username] of usernames) {
      const other = seen.get(username);
      if (other !== undefined) throw new ProvisioningError(this.#options.name, 'LIST_ACCOUNTS', subAccountId, `its sub-member username ${username} is also ${other}'s; rename one of the two sub-accounts`);
      seen.set(username, subAccountId);
    }
    return usernames;
  }

  #provisioning(): NonNullable<BybitSettings['provisioning']> {
    const { provisioning } = this.#options.settings;
    if (provisioning === undefined) throw new ConfigurationError(`venues.${this.#options.name}.provisioning is not set: it says what each new sub-account gets (startingCapital, ipWhitelist)`);
    return provisioning;
  }

  #secrets(): Secrets {
    return readSecrets(this.#options.secretsPath, this.#options.projectRoot);
  }

  /** Read, change, write: the file is read again for each write, so nothing another command saved meanwhile is lost. */
  #saveAccount(subAccountId: SubAccountId, change: (secrets: Secrets) => Secrets): void {
    try {
      writeSecrets(change(this.#secrets()), this.#options.projectRoot);
    } catch (error) {
      if (error instanceof ProvisioningError) throw error;
      throw new ProvisioningError(this.#options.name, 'SAVE_KEY', subAccountId, (error as Error).message);
    }
  }
}
