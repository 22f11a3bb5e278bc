import { randomBytes } from 'node:crypto';
import type { Decimal } from '../../../core/decimal.ts';
import { parseSubAccountId, type SubAccountId } from '../../../core/ids.ts';
import { BybitError, parameterError } from './wire.ts';

/**
 * The exchange's members and keys: one master UID, the sub-members it creates (each trades its own paper
 * sub-account), API keys with permissions, read-only flags and IP bindings, and universal transfers. A key acts only
 * on its own UID; only the master creates sub-members and keys and moves capital between UIDs.
 */

/** Bybit's permission groups and the values each takes; anything else in a create-sub-api request is refused. */
export const PERMISSION_GROUPS = {
  ContractTrade: ['Order', 'Position'],
  Spot: ['SpotTrade'],
  Wallet: ['AccountTransfer', 'SubMemberTransfer', 'SubMemberTransferList', 'Withdraw'],
  Options: ['OptionsTrade'],
  Derivatives: ['DerivativesTrade'],
  CopyTrading: ['CopyTrading'],
  BlockTrade: ['BlockTrade'],
  Exchange: ['ExchangeHistory'],
  NFT: ['NFTQueryProductList'],
  Affiliate: ['Affiliate'],
  Earn: ['Earn'],
} as const satisfies Record<string, readonly string[]>;

export type PermissionGroup = keyof typeof PERMISSION_GROUPS;
export type Permissions = Partial<Record<PermissionGroup, string[]>>;

export interface Member {
  uid: number;
  username: string;
  /** 1 normal, 6 custodial; the master is 1. */
  memberType: 1 | 6;
  /** A sub-member created without isUta: true is a classic account, as at Bybit. */
  isUta: boolean;
  masterUid: number | null;
  note: string;
  subAccountId: SubAccountId;
  /** Sub-members the master has enabled for universal transfer (the master always is). */
  universalTransfer: boolean;
}

export interface ApiKey {
  id: string;
  uid: number;
  apiKey: string;
  secret: string;
  note: string;
  readOnly: 0 | 1;
  permissions: Permissions;
  /** Bound IPs; null when the key is not IP-bound. */
  ips: string[] | null;
  createdAt: number;
}

export interface Transfer {
  transferId: string;
  coin: string;
  amount: Decimal;
  fromMemberId: number;
  toMemberId: number;
  fromAccountType: string;
  toAccountType: string;
  timestamp: number;
}

/** Moves capital in a UID's paper sub-account: positive in, negative out; returns why not, or null. */
export type CashMover = (uid: number, amount: Decimal) => string | null;

/** Funding and Unified are one balance here: the stand-in keeps one paper sub-account per UID. */
export const ACCOUNT_TYPES = ['UNIFIED', 'FUND', 'CONTRACT', 'SPOT'] as const;

const USERNAME = /^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9]{6,16}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function randomText(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let text = '';
  for (const byte of bytes) text += alphabet[byte % alphabet.length];
  return text;
}

export function allPermissions(): Permissions {
  return Object.fromEntries(Object.entries(PERMISSION_GROUPS).map(([group, values]) => [group, [...values]])) as Permissions;
}

export function parsePermissions(value: unknown): Permissions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw parameterError('permissions must be an object such as {"ContractTrade":["Order","Position"]}');
  const permissions: Permissions = {};
  for (const [group, values] of Object.entries(value)) {
    const allowed = (PERMISSION_GROUPS as Record<string, readonly string[]>)[group];
    if (allowed === undefined) throw parameterError(`unknown permission group ${JSON.stringify(group)}`);
    if (!Array.isArray(values) || !values.every((entry) => typeof entry === 'string' && allowed.includes(entry))) {
      throw parameterError(`permissions.${group} must be a list of ${allowed.join(', ')}`);
    }
    permissions[group as PermissionGroup] = [...new Set(values as string[])];
  }
  return permissions;
}

function parseIps(value: unknown): string[] | null {
  if (value === undefined || value === null || value === '' || value === '*') return null;
  const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : null;
  if (list === null || !list.every((ip) => typeof ip === 'string' && IPV4.test(ip.trim()))) throw parameterError('ips must be IPv4 addresses separated by commas, or "*"');
  return list.map((ip) => (ip as string).trim());
}

export class Accounts {
  readonly master: Member;
  readonly masterKey: ApiKey;
  readonly #members = new Map<number, Member>();
  readonly #keys = new Map<string, ApiKey>();
  readonly #transfers = new Map<string, Transfer>();
  #nextUid: number;
  #nextKeyId = 1;

  constructor(firstUid: number, now: number) {
    this.#nextUid = firstUid;
    this.master = this.#addMember({ username: 'standinmaster1', memberType: 1, isUta: true, masterUid: null, note: 'master', universalTransfer: true });
    this.masterKey = this.#addKey(this.master.uid, { note: 'master', readOnly: 0, permissions: allPermissions(), ips: null }, now);
  }

  member(uid: number): Member | undefined {
    return this.#members.get(uid);
  }

  keyOf(apiKey: string): ApiKey | undefined {
    return this.#keys.get(apiKey);
  }

  subMembers(): Member[] {
    return [...this.#members.values()].filter((member) => member.masterUid !== null);
  }

  isMasterKey(key: ApiKey): boolean {
    return key.uid === this.master.uid;
  }

  createSubMember(params: { username: unknown; memberType: unknown; isUta: unknown; note: unknown }): Member {
    const { username, memberType, isUta, note } = params;
    if (typeof username !== 'string' || !USERNAME.test(username)) throw parameterError('username must be 6-16 letters and digits, with at least one of each');
    if ([...this.#members.values()].some((member) => member.username === username)) throw parameterError(`username ${username} already exists`);
    if (memberType !== 1 && memberType !== 6) throw parameterError('memberType must be 1 (normal) or 6 (custodial)');
    if (isUta !== undefined && typeof isUta !== 'boolean') throw parameterError('isUta must be true or false');
    if (note !== undefined && typeof note !== 'string') throw parameterError('note must be a string');
    return this.#addMember({ username, memberType, isUta: isUta === true, masterUid: this.master.uid, note: note ?? '', universalTransfer: false });
  }

  createSubApiKey(params: { subuid: unknown; note: unknown; readOnly: unknown; ips: unknown; permissions: unknown }, now: number): ApiKey {
    const subuid = typeof params.subuid === 'number' ? params.subuid : typeof params.subuid === 'string' && /^\d+$/.test(params.subuid) ? Number(params.subuid) : Number.NaN;
    const member = this.#members.get(subuid);
    if (member === undefined || member.masterUid !== this.master.uid) throw parameterError(`subuid ${JSON.stringify(params.subuid)} is not a sub-member of this master`);
    if (params.readOnly !== 0 && params.readOnly !== 1) throw parameterError('readOnly must be 0 or 1');
    if (params.note !== undefined && typeof params.note !== 'string') throw parameterError('note must be a string');
    return this.#addKey(member.uid, { note: params.note ?? '', readOnly: params.readOnly, permissions: parsePermissions(params.permissions), ips: parseIps(params.ips) }, now);
  }

  enableUniversalTransfer(subMemberIds: unknown): void {
    if (!Array.isArray(subMemberIds) || subMemberIds.length === 0) throw parameterError('subMemberIds must be a non-empty list of sub-member UIDs');
    const members = subMemberIds.map((id) => {
      const member = this.#members.get(Number(id));
      if (member === undefined || member.masterUid !== this.master.uid) throw new BybitError('INVALID_MEMBER_ID', `${JSON.stringify(id)} is not a sub-member of this master`);
      return member;
    });
    for (const member of members) member.universalTransfer = true;
  }

  /**
   * A universal transfer between the master and its sub-members, by the master's key. A transferId is used once,
   * ever (131214), and capital leaves a UID only from its free margin (131212).
   */
  transfer(params: Record<string, unknown>, moveCash: CashMover, parseAmount: (text: unknown) => Decimal, now: number): Transfer {
    const { transferId, coin } = params;
    if (typeof transferId !== 'string' || !UUID.test(transferId)) throw new BybitError('TRANSFER_PARAMETER_ERROR', 'transferId must be a UUID');
    if (this.#transfers.has(transferId)) throw new BybitError('TRANSFER_ID_EXISTS');
    if (coin !== 'USDT') throw new BybitError('TRANSFER_PARAMETER_ERROR', 'coin must be USDT: it is the only coin the stand-in holds');
    const amount = parseAmount(params['amount']);
    if (!amount.isPositive()) throw new BybitError('TRANSFER_AMOUNT_ERROR', 'amount must be positive');
    if (!amount.isMultipleOf(parseAmount('0.0001'))) throw new BybitError('TRANSFER_AMOUNT_ERROR', 'amount has more than 4 decimal places');
    const from = this.#transferMember(params['fromMemberId']);
    const to = this.#transferMember(params['toMemberId']);
    const fromAccountType = this.#accountType(params['fromAccountType'], 'fromAccountType');
    const toAccountType = this.#accountType(params['toAccountType'], 'toAccountType');
    if (from.uid === to.uid && fromAccountType === toAccountType) throw new BybitError('SAME_ACCOUNT_TYPE');
    for (const member of [from, to]) {
      if (!member.universalTransfer) throw new BybitError('TRANSFER_FORBIDDEN', `universal transfer is not enabled for sub-member ${member.uid}`);
    }
    if (from.uid !== to.uid) {
      const problem = moveCash(from.uid, amount.neg());
      if (problem !== null) throw new BybitError('TRANSFER_INSUFFICIENT_BALANCE', problem);
      const credited = moveCash(to.uid, amount);
      if (credited !== null) throw new Error(`credit after a debit failed: ${credited}`);
    }
    const transfer: Transfer = { transferId, coin, amount, fromMemberId: from.uid, toMemberId: to.uid, fromAccountType, toAccountType, timestamp: now };
    this.#transfers.set(transferId, transfer);
    return transfer;
  }

  transfers(): Transfer[] {
    return [...this.#transfers.values()];
  }

  #transferMember(value: unknown): Member {
    const uid = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
    const member = this.#members.get(uid);
    if (member === undefined || (member.uid !== this.master.uid && member.masterUid !== this.master.uid)) {
      throw new BybitError('INVALID_MEMBER_ID', `${JSON.stringify(value)} is neither the master nor one of its sub-members`);
    }
    return member;
  }

  #accountType(value: unknown, name: string): string {
    if (typeof value !== 'string' || !(ACCOUNT_TYPES as readonly string[]).includes(value)) throw new BybitError('TRANSFER_PARAMETER_ERROR', `${name} must be one of ${ACCOUNT_TYPES.join(', ')}`);
    return value;
  }

  #addMember(fields: Omit<Member, 'uid' | 'subAccountId'>): Member {
    const uid = this.#nextUid++;
    const member: Member = { uid, subAccountId: parseSubAccountId(`u${uid}`), ...fields };
    this.#members.set(uid, member);
    return member;
  }

  #addKey(uid: number, fields: Pick<ApiKey, 'note' | 'readOnly' | 'permissions' | 'ips'>, now: number): ApiKey {
    const key: ApiKey = { id: String(this.#nextKeyId++), uid, apiKey: randomText(18), secret: randomText(36), createdAt: now, ...fields };
    this.#keys.set(key.apiKey, key);
    return key;
  }
}

/** True when the key may place, amend and cancel orders. */
export function canTrade(key: ApiKey): boolean {
  return key.readOnly === 0 && (key.permissions.ContractTrade ?? []).includes('Order');
}

/** An IP-bound key is used only from its IPs; the stand-in listens on 127.0.0.1, so only a key bound to it works. */
export function ipAllowed(key: ApiKey, remoteAddress: string | undefined): boolean {
  if (key.ips === null) return true;
  const address = (remoteAddress ?? '').replace(/^::ffff:/, '');
  return key.ips.includes(address);
}
