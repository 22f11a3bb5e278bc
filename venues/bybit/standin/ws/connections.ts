import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../../../core/logger.ts';
import type { ApiKey } from '../accounts.ts';
import { BybitError } from '../wire.ts';

/**
 * The WebSocket endpoint: upgrades on /v5/public/linear, /v5/private and any other /v5/ path, each connection
 * speaking Bybit's protocol: ping → pong, auth, subscribe and unsubscribe, with replies in Bybit's shapes.
 * Public topics (kline.*) need no auth; private ones (order, execution, position, wallet) need an authenticated
 * connection. bybit-api's `wsUrl` sends every connection, public or private, to one URL: any path serves both.
 */

export interface Connection {
  readonly id: string;
  readonly socket: WebSocket;
  /** Public paths answer pings as Bybit's public streams do; every other path as the private stream does. */
  readonly publicPath: boolean;
  key: ApiKey | null;
  readonly topics: Set<string>;
}

/** What decides the protocol's content: which topics exist, and who a key is. */
export interface TopicHandlers {
  /** Null when the topic is served; else why not. `authenticated` tells private topics apart. */
  topicProblem(topic: string, connection: Connection): string | null;
  authenticate(args: unknown): ApiKey;
  onSubscribed(connection: Connection, topic: string): void;
  onUnsubscribed(connection: Connection, topic: string): void;
  onClosed(connection: Connection): void;
  /** Wall time, for pongs. */
  now(): number;
}

function send(connection: Connection, message: unknown): void {
  if (connection.socket.readyState === WebSocket.OPEN) connection.socket.send(JSON.stringify(message));
}

export class WebSocketEndpoint {
  readonly #server = new WebSocketServer({ noServer: true });
  readonly #connections = new Set<Connection>();
  readonly #handlers: TopicHandlers;
  readonly #logger: Logger;

  constructor(handlers: TopicHandlers, logger: Logger) {
    this.#handlers = handlers;
    this.#logger = logger;
  }

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (request.url ?? '').split('?')[0] ?? '';
      if (!path.startsWith('/v5/')) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      this.#server.handleUpgrade(request, socket, head, (ws) => this.#open(ws, path.startsWith('/v5/public/')));
    });
  }

  connections(): ReadonlySet<Connection> {
    return this.#connections;
  }

  /** Drops a connection as a network fault would: no close frame, the client sees the socket vanish. */
  drop(connection: Connection): void {
    connection.socket.terminate();
  }

  close(): Promise<void> {
    for (const connection of this.#connections) connection.socket.terminate();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #open(socket: WebSocket, publicPath: boolean): void {
    const connection: Connection = { id: randomUUID(), socket, publicPath, key: null, topics: new Set() };
    this.#connections.add(connection);
    socket.on('message', (data, isBinary) => {
      try {
        this.#receive(connection, isBinary ? '' : data.toString());
      } catch (error) {
        // A bug here must not take the exchange down with it: the client gets an error reply, the log the cause.
        this.#logger.error({ connection: connection.id, error: error instanceof Error ? error.message : String(error) }, 'websocket message failed');
        send(connection, { success: false, ret_msg: 'error:internal error', conn_id: connection.id, op: '' });
      }
    });
    socket.on('close', () => {
      this.#connections.delete(connection);
      this.#handlers.onClosed(connection);
    });
    socket.on('error', (error) => this.#logger.debug({ connection: connection.id, error: error.message }, 'websocket error'));
  }

  #receive(connection: Connection, text: string): void {
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      message = parsed as Record<string, unknown>;
    } catch {
      send(connection, { success: false, ret_msg: 'error:request must be a JSON object with "op"', conn_id: connection.id, op: '' });
      return;
    }
    const op = typeof message['op'] === 'string' ? message['op'] : '';
    const reqId = typeof message['req_id'] === 'string' ? message['req_id'] : undefined;
    const reply = (fields: Record<string, unknown>): void => send(connection, { ...fields, conn_id: connection.id, ...(reqId === undefined ? {} : { req_id: reqId }), op });
    switch (op) {
      case 'ping':
        // bybit-api finds a pong by the substring "op":"pong" (private) or "ret_msg":"pong" (public): compact JSON.
        if (connection.publicPath) reply({ success: true, ret_msg: 'pong' });
        else send(connection, { ...(reqId === undefined ? {} : { req_id: reqId }), op: 'pong', args: [String(this.#handlers.now())], conn_id: connection.id });
        return;
      case 'auth':
        this.#authenticate(connection, message['args'], reply);
        return;
      case 'subscribe':
      case 'unsubscribe':
        this.#subscription(connection, op, message['args'], reply);
        return;
      default:
        reply({ success: false, ret_msg: `error:unknown op ${JSON.stringify(op)}` });
    }
  }

  #authenticate(connection: Connection, args: unknown, reply: (fields: Record<string, unknown>) => void): void {
    if (connection.key !== null) {
      reply({ success: false, ret_msg: 'Request repeated' });
      return;
    }
    try {
      connection.key = this.#handlers.authenticate(args);
      reply({ success: true, ret_msg: '' });
    } catch (error) {
      if (!(error instanceof BybitError)) throw error;
      reply({ success: false, ret_msg: `error:${error.retMsg}` });
    }
  }

  #subscription(connection: Connection, op: 'subscribe' | 'unsubscribe', args: unknown, reply: (fields: Record<string, unknown>) => void): void {
    if (!Array.isArray(args) || args.length === 0 || !args.every((topic) => typeof topic === 'string')) {
      reply({ success: false, ret_msg: 'error:args must be a list of topics' });
      return;
    }
    const topics = args as string[];
    if (op === 'subscribe') {
      const problem = topics.map((topic) => this.#handlers.topicProblem(topic, connection)).find((found) => found !== null);
      if (problem !== undefined && problem !== null) {
        reply({ success: false, ret_msg: problem });
        return;
      }
      for (const topic of topics) {
        if (connection.topics.has(topic)) continue;
        connection.topics.add(topic);
        this.#handlers.onSubscribed(connection, topic);
      }
    } else {
      for (const topic of topics) {
        if (!connection.topics.delete(topic)) continue;
        this.#handlers.onUnsubscribed(connection, topic);
      }
    }
    reply({ success: true, ret_msg: '' });
  }
}

export function sendJson(connection: Connection, message: unknown): void {
  send(connection, message);
}
