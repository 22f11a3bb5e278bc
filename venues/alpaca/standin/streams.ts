import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { decode, encode } from '@msgpack/msgpack';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../../core/logger.ts';
import type { Bar } from './bars.ts';
import type { Account, Exchange, TradeUpdate } from './exchange.ts';
import type { FaultPlan } from './faults.ts';

/**
 * The two WebSocket streams on the REST port. `/stream` is the trading stream (JSON): authenticate with
 * {action:"authenticate", data:{key_id, secret_key}}, answered {stream:"authorization", data:{status:"authorized"}}
 * (or "unauthorized", and the socket closes), then {action:"listen", data:{streams:["trade_updates"]}} →
 * {stream:"listening"}; trade_updates follow. `/v2/iex` and `/v2/sip` are the stock data stream (msgpack, arrays of
 * frames): [{T:"success",msg:"connected"}] on open, {action:"auth",key,secret} → "authenticated" (or error 402),
 * {action:"subscribe",bars:[...]} → a subscription frame; each closed 1m bar goes out as {T:"b",...}. Nothing is
 * replayed after a reconnect on either stream.
 */

interface TradingConnection {
  socket: WebSocket;
  account: Account | null;
  listening: boolean;
}

interface DataConnection {
  socket: WebSocket;
  account: Account | null;
  bars: Set<string>;
}

const DATA_PATHS = new Set(['/v2/iex', '/v2/sip']);

export class Streams {
  readonly #server = new WebSocketServer({ noServer: true });
  readonly #trading = new Set<TradingConnection>();
  readonly #data = new Set<DataConnection>();
  readonly #exchange: Exchange;
  readonly #faults: FaultPlan;
  readonly #logger: Logger;

  constructor(exchange: Exchange, faults: FaultPlan, logger: Logger) {
    this.#exchange = exchange;
    this.#faults = faults;
    this.#logger = logger;
    exchange.onTradeUpdate((account, update) => this.#publishTradeUpdate(account, update));
  }

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (request.url ?? '').split('?')[0] ?? '';
      if (path !== '/stream' && !DATA_PATHS.has(path)) {
        socket.destroy();
        return;
      }
      this.#server.handleUpgrade(request, socket, head, (ws) => (path === '/stream' ? this.#openTrading(ws) : this.#openData(ws)));
    });
  }

  /** Terminates an account's trading stream sockets (every account's when none is named); returns how many. */
  dropTrading(accountId?: string): number {
    let dropped = 0;
    for (const connection of [...this.#trading]) {
      if (accountId !== undefined && connection.account?.id !== accountId) continue;
      connection.socket.terminate();
      this.#trading.delete(connection);
      dropped++;
    }
    return dropped;
  }

  publishBar(symbol: string, bar: Bar): void {
    const frame = [{ T: 'b', S: symbol, o: bar.o.toNumber(), h: bar.h.toNumber(), l: bar.l.toNumber(), c: bar.c.toNumber(), v: bar.v.toNumber(), t: new Date(bar.t), n: bar.n, vw: bar.c.toNumber() }];
    for (const connection of this.#data) if (connection.account !== null && connection.bars.has(symbol)) this.#sendData(connection, frame);
  }

  close(): void {
    for (const connection of this.#trading) connection.socket.terminate();
    for (const connection of this.#data) connection.socket.terminate();
    this.#trading.clear();
    this.#data.clear();
    this.#server.close();
  }

  #openTrading(socket: WebSocket): void {
    const connection: TradingConnection = { socket, account: null, listening: false };
    this.#trading.add(connection);
    socket.on('close', () => this.#trading.delete(connection));
    socket.on('message', (raw) => {
      let message: { action?: unknown; data?: { key_id?: unknown; secret_key?: unknown; streams?: unknown } };
      try {
        message = JSON.parse(raw.toString());
      } catch {
        this.#sendTrading(connection, { stream: 'error', data: { error_message: 'invalid syntax' } });
        return;
      }
      if (message.action === 'authenticate') {
        const key = message.data?.key_id;
        const secret = message.data?.secret_key;
        const account = typeof key === 'string' && typeof secret === 'string' ? this.#exchange.authenticate(key, secret) : null;
        connection.account = account;
        this.#sendTrading(connection, { stream: 'authorization', data: { action: 'authenticate', status: account === null ? 'unauthorized' : 'authorized' } });
        if (account === null) socket.close(1008, 'unauthorized');
        return;
      }
      if (message.action === 'listen') {
        if (connection.account === null) {
          this.#sendTrading(connection, { stream: 'authorization', data: { action: 'listen', status: 'unauthorized' } });
          return;
        }
        const streams = Array.isArray(message.data?.streams) ? message.data.streams.filter((stream): stream is string => stream === 'trade_updates') : [];
        connection.listening = streams.length > 0;
        this.#sendTrading(connection, { stream: 'listening', data: { streams } });
        return;
      }
      this.#sendTrading(connection, { stream: 'error', data: { error_message: `unknown action ${JSON.stringify(message.action)}` } });
    });
  }

  #openData(socket: WebSocket): void {
    const connection: DataConnection = { socket, account: null, bars: new Set() };
    this.#data.add(connection);
    socket.on('close', () => this.#data.delete(connection));
    this.#sendData(connection, [{ T: 'success', msg: 'connected' }]);
    socket.on('message', (raw) => {
      let message: { action?: unknown; key?: unknown; secret?: unknown; bars?: unknown };
      try {
        message = (Buffer.isBuffer(raw) ? decode(raw) : JSON.parse(String(raw))) as typeof message;
      } catch {
        this.#sendData(connection, [{ T: 'error', code: 400, msg: 'invalid syntax' }]);
        return;
      }
      if (message.action === 'auth') {
        const account = typeof message.key === 'string' && typeof message.secret === 'string' ? this.#exchange.authenticate(message.key, message.secret) : null;
        connection.account = account;
        if (account === null) {
          this.#sendData(connection, [{ T: 'error', code: 402, msg: 'auth failed' }]);
          socket.close(1008, 'auth failed');
        } else this.#sendData(connection, [{ T: 'success', msg: 'authenticated' }]);
        return;
      }
      if (connection.account === null) {
        this.#sendData(connection, [{ T: 'error', code: 401, msg: 'not authenticated' }]);
        return;
      }
      const symbols = Array.isArray(message.bars) ? message.bars.filter((symbol): symbol is string => typeof symbol === 'string') : [];
      if (message.action === 'subscribe') for (const symbol of symbols) connection.bars.add(symbol);
      else if (message.action === 'unsubscribe') for (const symbol of symbols) connection.bars.delete(symbol);
      else {
        this.#sendData(connection, [{ T: 'error', code: 400, msg: 'invalid syntax' }]);
        return;
      }
      this.#sendData(connection, [{ T: 'subscription', trades: [], quotes: [], bars: [...connection.bars], updatedBars: [], dailyBars: [], statuses: [], lulds: [], corrections: [], cancelErrors: [] }]);
    });
  }

  #publishTradeUpdate(account: Account, update: TradeUpdate): void {
    if ((update.event === 'fill' || update.event === 'partial_fill') && this.#faults.takeStream(account.id) !== null) {
      this.#logger.info({ account: account.id }, 'fault: trade_updates dropped mid-fill');
      this.dropTrading(account.id);
      return;
    }
    for (const connection of this.#trading) {
      if (connection.account?.id === account.id && connection.listening) this.#sendTrading(connection, { stream: 'trade_updates', data: update });
    }
  }

  #sendTrading(connection: TradingConnection, message: unknown): void {
    if (connection.socket.readyState === WebSocket.OPEN) connection.socket.send(JSON.stringify(message));
  }

  #sendData(connection: DataConnection, frames: unknown[]): void {
    if (connection.socket.readyState === WebSocket.OPEN) connection.socket.send(encode(frames));
  }
}
