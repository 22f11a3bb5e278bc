import { Decimal } from '../../core/decimal.ts';
import { parseSubAccountId, type SubAccountId } from '../../core/ids.ts';
import type { AccountKey, VenueKey } from '../../supervisor/secrets/secrets-file.ts';
import { ProvisioningError, type ProvisionStep } from '../provisioning.ts';
import { credentialProblem, type BybitEndpoints, type BybitTimeouts } from './config.ts';
import { BybitHttp, TransportError, type Invoke } from './http.ts';
import { Redactor } from './redact.ts';

/**
 * The requests `supervisor accounts` makes on Bybit: with the master key (the key's own account, sub-members, their
 * keys, transfers) and with each sub-account's key (its wallet). Every refusal or failure becomes a scrubbed sentence
 * naming the route and Bybit's retCode and retMsg, and, for the master key, what to change; never a key or a secret.
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

export interface SubMember {
  uid: string;
  username: string;
}

export interface Master {
  uid: string;
  warnings: string[];
}

export interface Transfer {
  status: string;
  amount: string;
}

export type Sent = { kind: 'OK'; result: unknown } | { kind: 'REFUSED'; retCode: number; detail: string } | { kind: 'NO_ANSWER'; outcomeUnknown: boolean; detail: string };

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

export interface BybitMasterClientOptions {
  /** The venue's name, for messages ("BYBIT"). */
  name: string;
  endpoints: BybitEndpoints;
  timeouts: BybitTimeouts;
  /** The master key, if one is stored. */
  master: VenueKey | undefined;
  /** Where the master key would be stored, for the message that asks for one. */
  secretsPath: string;
}

export class BybitMasterClient {
  readonly #name: string;
  readonly #secretsPath: string;
  readonly #endpoints: BybitEndpoints;
  readonly #redactor = new Redactor();
  readonly #master: BybitHttp;
  readonly #accounts: BybitHttp;
  #checkedMaster: Master | null = null;
  /** Set once a request could not reach Bybit at all: the rest of a listing does not wait for the same failure. */
  #unreachable: string | null = null;

  constructor(options: BybitMasterClientOptions) {
    this.#name = options.name;
    this.#secretsPath = options.secretsPath;
    this.#endpoints = options.endpoints;
    this.#master = new BybitHttp({ endpoints: options.endpoints, timeouts: options.timeouts, redactor: this.#redactor });
    this.#accounts = new BybitHttp({ endpoints: options.endpoints, timeouts: options.timeouts, redactor: this.#redactor });
    if (options.master !== undefined) this.#master.addAccount(MASTER, options.master);
  }

  /** Why Bybit could not be reached, once a request found it so; else null. */
  get unreachable(): string | null {
    return this.#unreachable;
  }

  /** Keys and secrets to scrub from every message, besides the ones this client sends with. */
  redact(...secrets: string[]): void {
    this.#redactor.add(...secrets);
  }

  close(): void {
    this.#master.close();
    this.#accounts.close();
  }

  /** The master key's account number, once checked: a main account's read-write key with the Wallet transfer permissions. */
  async checkMaster(): Promise<Master> {
    this.#checkedMaster ??= await this.#readMaster();
    return this.#checkedMaster;
  }

  async #readMaster(): Promise<Master> {
    const name = this.#name;
    const secretsPath = this.#secretsPath;
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

  /** The master's sub-members by username, every page. */
  async listMembers(): Promise<Map<string, SubMember>> {
    const members = new Map<string, SubMember>();
    let cursor: string | undefined;
    for (let page = 0; page < 1_000; page++) {
      const result = this.#expect(
        await this.#send('LIST_ACCOUNTS', null, 'GET /v5/user/submembers', (client) => client.getSubUIDListUnlimited({ pageSize: '100', ...(cursor === undefined ? {} : { nextCursor: cursor }) })),
        'LIST_ACCOUNTS',
        null,
      );
      const list = field(result, 'subMembers');
      if (!Array.isArray(list)) throw new ProvisioningError(this.#name, 'LIST_ACCOUNTS', null, 'Bybit answered without a subMembers list');
      for (const row of list) {
        const uid = field(row, 'uid');
        const username = field(row, 'username');
        if (typeof uid === 'string' && /^\d{1,20}$/.test(uid) && typeof username === 'string') members.set(username, { uid, username });
      }
      const next = field(result, 'nextCursor');
      if (typeof next !== 'string' || next === '' || next === '0') return members;
      cursor = next;
    }
    throw new ProvisioningError(this.#name, 'LIST_ACCOUNTS', null, 'Bybit kept answering with more pages of sub-members');
  }

  /** A new sub-member; one that Bybit made but whose answer was lost, or that exists already, is found and returned. */
  async createMember(subAccountId: SubAccountId, username: string): Promise<SubMember> {
    const sent = await this.#send('CREATE_ACCOUNT', subAccountId, 'POST /v5/user/create-sub-member', (client) =>
      client.createSubMember({ username, memberType: 1, isUta: true, note: `flotilla ${subAccountId}` }),
    );
    if (sent.kind === 'OK') {
      const uid = field(sent.result, 'uid');
      if (typeof uid === 'string' && /^\d{1,20}$/.test(uid)) return { uid, username };
    }
    // Refused, unanswered or unreadable: it may exist all the same (a reply lost on the way, a name taken by an
    // earlier run); the list is what counts, and a sub-member found there is reused rather than made again.
    const found = (await this.listMembers()).get(username);
    if (found !== undefined) return found;
    const detail = sent.kind === 'OK' ? 'Bybit answered without the new UID' : sent.detail;
    throw new ProvisioningError(this.#name, 'CREATE_ACCOUNT', subAccountId, `sub-member ${username}: ${detail}`);
  }

  /** The sub-member's trading key (TRADING_PERMISSIONS), read-write, bound to `ipWhitelist` unless it is empty. */
  async createKey(subAccountId: SubAccountId, uid: string, ipWhitelist: readonly string[]): Promise<VenueKey> {
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
    if (problem !== null) throw new ProvisioningError(this.#name, 'CREATE_API_KEY', subAccountId, `Bybit's answer carries no usable key (${problem}); delete any key it made for UID ${uid} in Bybit's web interface`);
    return created;
  }

  /** The transfer with this ID as Bybit lists it (the last 7 days only), or null. */
  async findTransfer(subAccountId: SubAccountId, transferId: string): Promise<Transfer | null> {
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

  async enableTransfer(subAccountId: SubAccountId, uid: string): Promise<void> {
    this.#expect(await this.#send('ENABLE_TRANSFER', subAccountId, 'POST /v5/asset/transfer/save-transfer-sub-member', (client) => client.enableUniversalTransferForSubUIDs([uid])), 'ENABLE_TRANSFER', subAccountId);
  }

  /** Moves `amount` USDT from the master's Funding account to the sub-member's Unified account; what came back, unjudged. */
  async transfer(subAccountId: SubAccountId, transfer: { transferId: string; amount: string; uid: string }): Promise<Sent> {
    const masterUid = (await this.checkMaster()).uid;
    return this.#send('TRANSFER_CAPITAL', subAccountId, 'POST /v5/asset/transfer/universal-transfer', (client) =>
      client.createUniversalTransfer({ transferId: transfer.transferId, coin: COIN, amount: transfer.amount, fromMemberId: Number(masterUid), toMemberId: Number(transfer.uid), fromAccountType: FROM_ACCOUNT, toAccountType: TO_ACCOUNT }),
    );
  }

  /** The account's USDT cash, read with its own key; or why not. */
  async balance(subAccountId: SubAccountId, key: AccountKey): Promise<{ balance: string | null; note: string }> {
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

  #expect(sent: Sent, step: ProvisionStep, subAccountId: SubAccountId | null): unknown {
    if (sent.kind === 'OK') return sent.result;
    throw new ProvisioningError(this.#name, step, subAccountId, sent.detail);
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
