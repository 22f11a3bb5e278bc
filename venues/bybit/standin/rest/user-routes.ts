import type { ApiKey, Member } from '../accounts.ts';
import { BybitError, optionalInteger, optionalString, parameterError } from '../wire.ts';
import { ok, type RouteTable } from './route.ts';

/** Sub-members and their API keys (the master's key only), and what a key may learn about itself. */

const KEY_LIFETIME_MS = 90 * 86_400_000;

function memberWire(member: Member): Record<string, unknown> {
  return {
    uid: String(member.uid),
    username: member.username,
    memberType: member.memberType,
    status: 1,
    // 1 classic, 3 unified trading account.
    accountMode: member.isUta ? 3 : 1,
    remark: member.note,
  };
}

function keyInfo(key: ApiKey, member: Member, now: number): Record<string, unknown> {
  const expiresAt = key.ips === null ? key.createdAt + KEY_LIFETIME_MS : null;
  return {
    id: key.id,
    note: key.note,
    apiKey: key.apiKey,
    readOnly: key.readOnly,
    // Bybit never shows a secret again after creation.
    secret: '',
    permissions: key.permissions,
    ips: key.ips ?? ['*'],
    type: 1,
    deadlineDay: expiresAt === null ? -1 : Math.max(0, Math.ceil((expiresAt - now) / 86_400_000)),
    expiredAt: expiresAt === null ? '' : new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    createdAt: new Date(key.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    unified: 0,
    uta: member.isUta ? 1 : 0,
    userID: member.uid,
    inviterID: 0,
    vipLevel: 'No VIP',
    mktMakerLevel: '0',
    affiliateID: 0,
    rsaPublicKey: '',
    isMaster: member.masterUid === null,
    parentUid: member.masterUid === null ? '0' : String(member.masterUid),
    kycLevel: 'LEVEL_DEFAULT',
    kycRegion: '',
  };
}

export const userRoutes: RouteTable = {
  'POST /v5/user/create-sub-member': {
    access: 'master',
    handle: ({ exchange, params }) => {
      const member = exchange.createSubMember({ username: params['username'], memberType: params['memberType'], isUta: params['isUta'], note: params['note'] });
      return ok({ uid: String(member.uid), username: member.username, memberType: member.memberType, status: 1, remark: member.note });
    },
  },

  'GET /v5/user/query-sub-members': {
    access: 'master',
    handle: ({ exchange }) => ok({ subMembers: exchange.accounts.subMembers().map(memberWire) }),
  },

  'GET /v5/user/submembers': {
    access: 'master',
    handle: ({ exchange, params }) => {
      const pageSize = optionalInteger(params, 'pageSize', 1, 100) ?? 100;
      const cursor = optionalString(params, 'nextCursor');
      if (cursor !== undefined && !/^\d{1,9}$/.test(cursor)) throw parameterError('nextCursor must be one this server gave out');
      const offset = cursor === undefined ? 0 : Number(cursor);
      const all = exchange.accounts.subMembers();
      const page = all.slice(offset, offset + pageSize);
      return ok({ subMembers: page.map(memberWire), nextCursor: offset + pageSize < all.length ? String(offset + pageSize) : '0' });
    },
  },

  'POST /v5/user/create-sub-api': {
    access: 'master',
    handle: ({ exchange, params, now }) => {
      const key = exchange.accounts.createSubApiKey({ subuid: params['subuid'], note: params['note'], readOnly: params['readOnly'], ips: params['ips'], permissions: params['permissions'] }, now);
      return ok({ id: key.id, note: key.note, apiKey: key.apiKey, readOnly: key.readOnly, secret: key.secret, permissions: key.permissions });
    },
  },

  'GET /v5/user/query-api': {
    access: 'read',
    handle: ({ exchange, key, uid, now }) => {
      const member = exchange.accounts.member(uid);
      if (key === null || member === undefined) throw new BybitError('INVALID_API_KEY');
      return ok(keyInfo(key, member, now));
    },
  },
};
