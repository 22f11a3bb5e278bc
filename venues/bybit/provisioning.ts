import { createHash } from 'node:crypto';
import { Decimal } from '../../core/decimal.ts';
import { ConfigurationError } from '../../core/errors.ts';
import { parseSubAccountId, type SubAccountId } from '../../core/ids.ts';
import { readSecrets, writeSecrets, type AccountKey, type Secrets, type VenueKey } from '../../supervisor/secrets/secrets-file.ts';
import type { AccountOutcome, AccountPlan, AccountProvisioner, AccountsView, AccountView, PlannedStep, ProvisionHooks, ProvisionOutcome, ProvisionPlan, ProvisionStep } from '../provisioning.ts';
import { ProvisioningError } from '../provisioning.ts';
import { credentialProblem, DEFAULT_TIMEOUTS, resolveEnvironment, type BybitEndpoints } from './config.ts';
import { BybitHttp, TransportError, type Invoke } from './http.ts';
import { Redactor } from './redact.ts';
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
 * What each sub-account's key may do, and no more: ContractTrade Order (place, amend and cancel orders) and Position
 * (position reads and the position settings of USDT perpetuals). No Wallet permission: capital is moved by the
 * master key, never by the fleet; no Withdraw, ever; no Spot, Options or anything else the fleet does not trade.
 */
export const TRADING_PERMISSIONS = { ContractTrade: ['Order', 'Position'] };

/** Starting capital leaves the master's Funding account (where deposits arrive) for the sub-member's Unified account. */
const FROM_ACCOUNT = 'FUND';
const TO_ACCOUNT = 'UNIFIED';
const COIN = 'USDT';

/** The master key's place in its own HTTP client: any valid ID, since that client holds no other key. */
const MASTER = parseSubAccountId('master');

/** The hints for refusals of the master key, which needs other permissions than a trading key. */
const MASTER_HINTS: Readonly<Record<number, string>> = {
  10003: 'the master key is not known to this Bybit environment (demo, testnet and mainnet keys differ)',
  10004: 'the signature did not match: check the master secret',
  10005: 'the master key lacks a permission: it needs Wallet AccountTransfer and SubMemberTransfer',
  10010: "this machine's IP is not among the master key's bound IPs",
  33004: 'the master key has expired',
  131212: `the master's Funding account holds less ${COIN} than provisioning.startingCapital`,
};

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

interface SubMember {
  uid: string;
  username: string;
}

interface Master {
  uid: string;
  warnings: string[];
}

interface Transfer {
  status: string;
  amount: string;
}

type Sent = { kind: 'OK'; result: unknown } | { kind: 'REFUSED'; retCode: number; detail: string } | { kind: 'NO_ANSWER'; outcomeUnknown: boolean; detail: string };

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

export class BybitProvisioner implements AccountProvisioner {
  readonly #options: BybitProvisionerOptions;
  readonly #endpoints: BybitEndpoints;
  readonly #redactor = new Redactor();
  readonly #master: BybitHttp;
  readonly #accounts: BybitHttp;
  #checkedMaster: Master | null = null;
  /** Set once a request could not reach Bybit at all: the rest of a listing does not wait for the same failure. */
  #unreachable: string | null = null;

  constructor(options: BybitProvisionerOptions) {
    this.#options = options;
    this.#endpoints = resolveEnvironment(options.settings.environment, `venues.${options.name}.environment`);
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.settings.timeouts };
    this.#master = new BybitHttp({ endpoints: this.#endpoints, timeouts, redactor: this.#redactor });
    this.#accounts = new BybitHttp({ endpoints: this.#endpoints, timeouts, redactor: this.#redactor });
    const secrets = this.#secrets();
    const venue = secrets.venue(options.name);
    if (venue.master !== undefined) this.#master.addAccount(MASTER, venue.master);
    for (const account of venue.accounts.values()) this.#redactor.add(account.key, account.secret);
  }

  close(): void {
    this.#master.close();
    this.#accounts.close();
  }

  async view(subAccountIds: readonly SubAccountId[]): Promise<AccountsView> {
    const { name } = this.#options;
    const venue = this.#secrets().venue(name);
    let masterUid: string | null = null;
    let members = new Map<string, SubMember>();
    let problem: string | null = null;
    if (venue.master !== undefined) {
      try {
        masterUid = (await this.#checkMaster()).uid;
        members = await this.#listMembers();
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
      } else if (this.#unreachable !== null) {
        accounts.push({ subAccountId, uid, balance: null, note: 'Bybit unreachable' });
      } else {
        const read = await this.#balance(subAccountId, key);
        const unfunded = key.capitalTransferId === undefined && member !== undefined && member.uid === key.uid ? 'starting capital not transferred yet: run provision' : null;
        accounts.push({ subAccountId, uid, balance: read.balance, note: read.balance === null ? read.note : unfunded });
      }
    }
    return { venue: name, masterUid, accounts, problem: this.#unreachable ?? problem };
  }

  async plan(subAccountIds: readonly SubAccountId[]): Promise<ProvisionPlan> {
    const { startingCapital, ipWhitelist } = this.#provisioning();
    const master = await this.#checkMaster();
    const members = await this.#listMembers();
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
        { step: 'TRANSFER_CAPITAL', detail: `transfer ${startingCapital} ${COIN} from the master's Funding account to its Unified account (transfer ID ${uid === null ? 'derived from its UID' : capitalTransferId(uid)})` },
        { step: 'RECORD_TRANSFER', detail: 'record the transfer in the secrets file' },
      ];
      if (key !== undefined && key.capitalTransferId !== undefined) {
        accounts.push({ subAccountId, uid: key.uid ?? null, steps: [], state: 'provisioned' });
      } else if (key !== undefined && (member === undefined || member.uid !== key.uid)) {
        accounts.push({ subAccountId, uid: key.uid ?? null, steps: [], state: `has a key that provision did not create (not sub-member ${username}'s): left alone` });
      } else if (key !== undefined && member !== undefined) {
        const transfer = await this.#findTransfer(subAccountId, capitalTransferId(member.uid));
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
      const master = await this.#checkMaster();
      outcome.warnings.push(...master.warnings);
      await after('CHECK_MASTER_KEY', null);
      const members = await this.#listMembers();
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
        member = await this.#createMember(subAccountId, username);
        members.set(username, member);
        account.uid = member.uid;
        await done('CREATE_ACCOUNT');
      }
      const { uid } = member;
      account.uid = uid;
      const created = await this.#createKey(subAccountId, uid);
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
    let transfer = await this.#findTransfer(subAccountId, transferId);
    if (transfer === null) {
      this.#expect(await this.#send('ENABLE_TRANSFER', subAccountId, 'POST /v5/asset/transfer/save-transfer-sub-member', (client) => client.enableUniversalTransferForSubUIDs([uid])), 'ENABLE_TRANSFER', subAccountId);
      await done('ENABLE_TRANSFER');
      const masterUid = (await this.#checkMaster()).uid;
      const sent = await this.#send('TRANSFER_CAPITAL', subAccountId, 'POST /v5/asset/transfer/universal-transfer', (client) =>
        client.createUniversalTransfer({ transferId, coin: COIN, amount: startingCapital, fromMemberId: Number(masterUid), toMemberId: Number(uid), fromAccountType: FROM_ACCOUNT, toAccountType: TO_ACCOUNT }),
      );
      if (sent.kind !== 'OK') {
        // 131214 (the ID is taken) or no answer: the money may have moved. Only Bybit's own list says; the ID never moves it twice.
        transfer = await this.#findTransfer(subAccountId, transferId);
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

  async #checkMaster(): Promise<Master> {
    this.#checkedMaster ??= await this.#readMaster();
    return this.#checkedMaster;
  }

  async #readMaster(): Promise<Master> {
    const { name, secretsPath } = this.#options;
    if (!this.#master.hasAccount(MASTER)) {
      throw new ProvisioningError(name, 'CHECK_MASTER_KEY', null, `no master key for ${name} in ${secretsPath}: store one with "supervisor accounts set-master --venue ${name}"`);
    }
    const info = this.#expect(await this.#send('CHECK_MASTER_KEY', null, 'GET /v5/user/query-api', (client) => client.getQueryApiKey()), 'CHECK_MASTER_KEY', null);
    const uid = field(info, 'userID');
    const uidText = typeof uid === 'number' || typeof uid === 'string' ? String(uid) : '';
    if (!/^\d{1,20}$/.test(uidText)) throw new ProvisioningError(name, 'CHECK_MASTER_KEY', null, 'Bybit answered without the key\'s account number (userID)');
    if (field(info, 'isMaster') !== true) throw new ProvisioningError(name, 'CHECK_MASTER_KEY', null, `the key stored as master belongs to a sub-account (UID ${uidText}); store the main account's key`);
    if (field(info, 'readOnly') !== 0) throw new ProvisioningError(name, 'CHECK_MASTER_KEY', null, 'the master key is read-only; provisioning needs a read-write key');
    const wallet = field(field(info, 'permissions'), 'Wallet');
    const walletPermissions = Array.isArray(wallet) ? wallet.filter((entry): entry is string => typeof entry === 'string') : [];
    const missing = ['AccountTransfer', 'SubMemberTransfer'].filter((permission) => !walletPermissions.includes(permission));
    if (missing.length > 0) throw new ProvisioningError(name, 'CHECK_MASTER_KEY', null, `the master key lacks the Wallet permission${missing.length === 1 ? '' : 's'} ${missing.join(' and ')}`);
    const warnings = walletPermissions.includes('Withdraw') ? ['the master key may withdraw: provisioning never needs that, and a key that cannot is one less way to lose the account'] : [];
    return { uid: uidText, warnings };
  }

  async #listMembers(): Promise<Map<string, SubMember>> {
    const members = new Map<string, SubMember>();
    let cursor: string | undefined;
    for (let page = 0; page < 1_000; page++) {
      const result = this.#expect(
        await this.#send('LIST_ACCOUNTS', null, 'GET /v5/user/submembers', (client) => client.getSubUIDListUnlimited({ pageSize: '100', ...(cursor === undefined ? {} : { nextCursor: cursor }) })),
        'LIST_ACCOUNTS',
        null,
      );
      const list = field(result, 'subMembers');
      if (!Array.isArray(list)) throw new ProvisioningError(this.#options.name, 'LIST_ACCOUNTS', null, 'Bybit answered without a subMembers list');
      for (const row of list) {
        const uid = field(row, 'uid');
        const username = field(row, 'username');
        if (typeof uid === 'string' && /^\d{1,20}$/.test(uid) && typeof username === 'string') members.set(username, { uid, username });
      }
      const next = field(result, 'nextCursor');
      if (typeof next !== 'string' || next === '' || next === '0') return members;
      cursor = next;
    }
    throw new ProvisioningError(this.#options.name, 'LIST_ACCOUNTS', null, 'Bybit kept answering with more pages of sub-members');
  }

  async #createMember(subAccountId: SubAccountId, username: string): Promise<SubMember> {
    const sent = await this.#send('CREATE_ACCOUNT', subAccountId, 'POST /v5/user/create-sub-member', (client) =>
      client.createSubMember({ username, memberType: 1, isUta: true, note: `flotilla ${subAccountId}` }),
    );
    if (sent.kind === 'OK') {
      const uid = field(sent.result, 'uid');
      if (typeof uid === 'string' && /^\d{1,20}$/.test(uid)) return { uid, username };
    }
    // Refused, unanswered or unreadable: it may exist all the same (a reply lost on the way, a name taken by an
    // earlier run); the list is what counts, and a sub-member found there is reused rather than made again.
    const found = (await this.#listMembers()).get(username);
    if (found !== undefined) return found;
    const detail = sent.kind === 'OK' ? 'Bybit answered without the new UID' : sent.detail;
    throw new ProvisioningError(this.#options.name, 'CREATE_ACCOUNT', subAccountId, `sub-member ${username}: ${detail}`);
  }

  async #createKey(subAccountId: SubAccountId, uid: string): Promise<VenueKey> {
    const { ipWhitelist } = this.#provisioning();
    const result = this.#expect(
      await this.#send('CREATE_API_KEY', subAccountId, 'POST /v5/user/create-sub-api', (client) =>
        client.createSubUIDAPIKey({ subuid: Number(uid), readOnly: 0, permissions: TRADING_PERMISSIONS, note: `flotilla ${subAccountId}`, ...(ipWhitelist.length === 0 ? {} : { ips: ipWhitelist.join(',') }) }),
      ),
      'CREATE_API_KEY',
      subAccountId,
    );
    const key = field(result, 'apiKey');
    const secret = field(result, 'secret');
    const created = { key: typeof key === 'string' ? key : '', secret: typeof secret === 'string' ? secret : '' };
    this.#redactor.add(created.key, created.secret);
    const problem = credentialProblem(subAccountId, created);
    if (problem !== null) throw new ProvisioningError(this.#options.name, 'CREATE_API_KEY', subAccountId, `Bybit's answer carries no usable key (${problem}); delete any key it made for UID ${uid} in Bybit's web interface`);
    return created;
  }

  async #findTransfer(subAccountId: SubAccountId, transferId: string): Promise<Transfer | null> {
    const result = this.#expect(
      await this.#send('TRANSFER_CAPITAL', subAccountId, 'GET /v5/asset/transfer/query-universal-transfer-list', (client) => client.getUniversalTransferRecords({ transferId })),
      'TRANSFER_CAPITAL',
      subAccountId,
    );
    const list = field(result, 'list');
    const row = Array.isArray(list) ? list.find((entry) => field(entry, 'transferId') === transferId) : undefined;
    if (row === undefined) return null;
    const status = field(row, 'status');
    const amount = field(row, 'amount');
    return { status: typeof status === 'string' ? status : '', amount: typeof amount === 'string' ? amount : '' };
  }

  /** The account's USDT cash, read with its own key; or why not. */
  async #balance(subAccountId: SubAccountId, key: AccountKey): Promise<{ balance: string | null; note: string }> {
    if (credentialProblem(subAccountId, key) !== null) return { balance: null, note: 'the key in the secrets file is unusable' };
    if (!this.#accounts.hasAccount(subAccountId)) this.#accounts.addAccount(subAccountId, key);
    const sent = await this.#send(null, subAccountId, 'GET /v5/account/wallet-balance', (client) => client.getWalletBalance({ accountType: 'UNIFIED', coin: COIN }), this.#accounts);
    if (sent.kind !== 'OK') return { balance: null, note: sent.detail };
    const list = field(sent.result, 'list');
    const coins = field(Array.isArray(list) ? list[0] : undefined, 'coin');
    const usdt = Array.isArray(coins) ? coins.find((coin) => field(coin, 'coin') === COIN) : undefined;
    if (usdt === undefined) return { balance: '0', note: '' };
    const wallet = field(usdt, 'walletBalance');
    try {
      return { balance: Decimal.parse(typeof wallet === 'string' && wallet !== '' ? wallet : '0').toString(), note: '' };
    } catch {
      return { balance: null, note: 'Bybit answered with an unreadable walletBalance' };
    }
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

  #expect(sent: Sent, step: ProvisionStep, subAccountId: SubAccountId | null): unknown {
    if (sent.kind === 'OK') return sent.result;
    throw new ProvisioningError(this.#options.name, step, subAccountId, sent.detail);
  }

  /** One request; Bybit's refusal or the wire's failure becomes a scrubbed sentence. A 10002 re-measures the clock and sends once more. */
  async #send(step: ProvisionStep | null, subAccountId: SubAccountId | null, route: string, invoke: Invoke, http: BybitHttp = this.#master): Promise<Sent> {
    const account = http === this.#master ? MASTER : (subAccountId as SubAccountId);
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = await http.call(account, route, invoke);
        if (reply.retCode === 0) return { kind: 'OK', result: reply.result };
        if (reply.retCode === 10002 && attempt === 1) {
          await http.syncClock();
          continue;
        }
        const hint = http === this.#master ? MASTER_HINTS[reply.retCode] : undefined;
        return { kind: 'REFUSED', retCode: reply.retCode, detail: `${route}: Bybit ${reply.retCode} (${reply.retMsg})${hint === undefined ? '' : `: ${hint}`}` };
      } catch (error) {
        if (!(error instanceof TransportError)) {
          const message = this.#redactor.scrub(error instanceof Error ? error.message : String(error));
          return { kind: 'NO_ANSWER', outcomeUnknown: false, detail: `cannot reach Bybit (${this.#endpoints.label}): ${message}` };
        }
        const { kind, status } = error.failure;
        const outcomeUnknown = kind === 'TIMEOUT' || kind === 'RESET' || (kind === 'HTTP' && status !== null && status >= 500);
        const where = kind === 'NOT_SENT' ? `cannot reach Bybit (${this.#endpoints.label}): ` : '';
        if (kind === 'NOT_SENT') this.#unreachable ??= `${where}${this.#redactor.scrub(error.message)}`;
        return { kind: 'NO_ANSWER', outcomeUnknown, detail: `${where}${this.#redactor.scrub(error.message)}${step === null || !outcomeUnknown ? '' : ' (the outcome is unknown)'}` };
      }
    }
  }
}
