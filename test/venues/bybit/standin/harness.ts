import { createHmac, randomUUID } from 'node:crypto';
import { RestClientV5 } from 'bybit-api';
import { WebSocket } from 'ws';
import { ManualClock } from '../../../../core/clock.ts';
import { Decimal } from '../../../../core/decimal.ts';
import { DEFAULT_INSTRUMENTS } from '../../../../supervisor/config/fleet-config.ts';
import { BybitStandin, type BybitStandinOptions } from '../../../../venues/bybit/standin/standin.ts';

/** A stand-in on 127.0.0.1 with a market moved by hand, BTCUSDT and ETHUSDT, no slippage, so fills are easy to read. */

export const START = Date.UTC(2026, 0, 5, 12, 0);

/** The wall clock the stand-in checks requests against, captured before any test mocks Date.now for a client. */
const realNow = Date.now.bind(Date);
export const wallClock = { now: () => realNow(), monotonicNs: () => process.hrtime.bigint() };

export interface Running {
  standin: BybitStandin;
  clock: ManualClock;
}

export async function startStandin(overrides: Partial<BybitStandinOptions> = {}): Promise<Running> {
  const clock = new ManualClock(START);
  const standin = await BybitStandin.start({
    instruments: DEFAULT_INSTRUMENTS.filter((entry) => entry.id === 'BTCUSDT.BYBIT' || entry.id === 'ETHUSDT.BYBIT'),
    market: { kind: 'manual' },
    clock,
    wallClock,
    paper: { slippageBaseBps: Decimal.ZERO, slippageJitterBps: Decimal.ZERO, participation: Decimal.ONE },
    ...overrides,
  });
  return { standin, clock };
}

/** The next minute's flat candle at `price`: sets the last price and fills whatever it reaches. */
export function trade(running: Running, symbol: string, price: string): void {
  running.clock.advance(60_000);
  running.standin.pushCandle(symbol, { open: price, high: price, low: price, close: price });
}

/** The next minute's candle with its own range. */
export function candle(running: Running, symbol: string, open: string, high: string, low: string, close: string): void {
  running.clock.advance(60_000);
  running.standin.pushCandle(symbol, { open, high, low, close });
}

export interface Credentials {
  uid: number;
  key: string;
  secret: string;
}

export function rest(standin: BybitStandin, credentials: { key: string; secret: string }, timeoutMs = 5_000): RestClientV5 {
  return new RestClientV5({ key: credentials.key, secret: credentials.secret, baseUrl: standin.url, parseAPIRateLimits: true }, { timeout: timeoutMs });
}

/**
 * A trading sub-member, as `accounts provision` will make one: sub-member (UTA), a trading key, universal transfer
 * enabled, and capital moved from the master; all with the master key.
 */
export async function provision(standin: BybitStandin, username: string, capital = '100000'): Promise<Credentials> {
  const master = rest(standin, standin.master);
  const member = await master.createSubMember({ username, memberType: 1, isUta: true, note: 'test' });
  if (member.retCode !== 0) throw new Error(`createSubMember: ${member.retCode} ${member.retMsg}`);
  const uid = Number(member.result.uid);
  const key = await master.createSubUIDAPIKey({ subuid: uid, readOnly: 0, permissions: { ContractTrade: ['Order', 'Position'] } });
  if (key.retCode !== 0) throw new Error(`createSubUIDAPIKey: ${key.retCode} ${key.retMsg}`);
  const enabled = await master.enableUniversalTransferForSubUIDs([String(uid)]);
  if (enabled.retCode !== 0) throw new Error(`enableUniversalTransferForSubUIDs: ${enabled.retCode} ${enabled.retMsg}`);
  const transfer = await master.createUniversalTransfer({ transferId: randomUUID(), coin: 'USDT', amount: capital, fromMemberId: standin.master.uid, toMemberId: uid, fromAccountType: 'FUND', toAccountType: 'UNIFIED' });
  if (transfer.retCode !== 0) throw new Error(`createUniversalTransfer: ${transfer.retCode} ${transfer.retMsg}`);
  return { uid, key: key.result.apiKey, secret: key.result.secret };
}

export interface RawRequest {
  method: 'GET' | 'POST';
  path: string;
  /** Sent and signed exactly as given. */
  query?: string;
  body?: string;
  credentials?: { key: string; secret: string };
  timestamp?: number;
  recvWindow?: number | null;
  /** Overrides the signature, e.g. to sign something else than what is sent. */
  sign?: (payload: string, timestamp: number, recvWindow: number) => string;
  headers?: Record<string, string>;
}

export interface RawReply {
  status: number;
  headers: Headers;
  text: string;
  json: { retCode: number; retMsg: string; result: Record<string, unknown>; retExtInfo: unknown; time: number } | null;
}

/** A client written from Bybit's rules alone (node:crypto and fetch), to pin the signature rules down exactly. */
export async function raw(standin: BybitStandin, request: RawRequest): Promise<RawReply> {
  const timestamp = request.timestamp ?? Date.now();
  const recvWindow = request.recvWindow === null ? 5_000 : (request.recvWindow ?? 5_000);
  const payload = request.method === 'GET' ? (request.query ?? '') : (request.body ?? '');
  const headers: Record<string, string> = { ...request.headers };
  if (request.credentials !== undefined) {
    const { key, secret } = request.credentials;
    headers['X-BAPI-API-KEY'] = key;
    headers['X-BAPI-TIMESTAMP'] = String(timestamp);
    if (request.recvWindow !== null) headers['X-BAPI-RECV-WINDOW'] = String(recvWindow);
    headers['X-BAPI-SIGN'] = request.sign?.(payload, timestamp, recvWindow) ?? createHmac('sha256', secret).update(`${timestamp}${key}${recvWindow}${payload}`).digest('hex');
  }
  if (request.method === 'POST') headers['Content-Type'] = 'application/json';
  const url = `${standin.url}${request.path}${request.query === undefined || request.query === '' ? '' : `?${request.query}`}`;
  const response = await fetch(url, { method: request.method, headers, ...(request.method === 'POST' ? { body: request.body ?? '' } : {}) });
  const text = await response.text();
  let json: RawReply['json'] = null;
  try {
    json = JSON.parse(text) as RawReply['json'];
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export interface StreamMessage {
  topic?: string;
  op?: string;
  success?: boolean;
  data?: Record<string, unknown>[];
  [key: string]: unknown;
}

export interface RawStream {
  socket: WebSocket;
  /** Every message received so far, oldest first. */
  readonly messages: StreamMessage[];
  /** The first message (received or to come) that matches. */
  next(match: (message: StreamMessage) => boolean): Promise<StreamMessage>;
  /** Resolves when the server closes or drops the socket. */
  readonly closed: Promise<void>;
}

/** A WebSocket client written from Bybit's protocol: opens, authenticates (when given a key) and subscribes. */
export async function stream(standin: BybitStandin, topics: string[], credentials?: { key: string; secret: string }, path = '/v5/private'): Promise<RawStream> {
  const socket = new WebSocket(`ws://127.0.0.1:${standin.port}${path}`);
  const messages: StreamMessage[] = [];
  const waiting: { match: (message: StreamMessage) => boolean; resolve: (message: StreamMessage) => void }[] = [];
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as StreamMessage;
    messages.push(message);
    for (const waiter of [...waiting]) {
      if (!waiter.match(message)) continue;
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.resolve(message);
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const next = (match: (message: StreamMessage) => boolean): Promise<StreamMessage> => {
    const found = messages.find(match);
    return found !== undefined ? Promise.resolve(found) : new Promise((resolve) => waiting.push({ match, resolve }));
  };
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  if (credentials !== undefined) {
    const expires = realNow() + 5_000;
    const signature = createHmac('sha256', credentials.secret).update(`GET/realtime${expires}`).digest('hex');
    socket.send(JSON.stringify({ op: 'auth', args: [credentials.key, expires, signature] }));
    const auth = await next((message) => message.op === 'auth');
    if (auth.success !== true) throw new Error(`auth refused: ${String(auth['ret_msg'])}`);
  }
  socket.send(JSON.stringify({ op: 'subscribe', args: topics, req_id: 'subscribe' }));
  const subscribed = await next((message) => message.op === 'subscribe');
  if (subscribed.success !== true) throw new Error(`subscribe refused: ${String(subscribed['ret_msg'])}`);
  return { socket, messages, next, closed };
}
