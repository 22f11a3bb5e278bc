import { timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { dirname } from 'node:path';
import type { BotId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { BotMessage, SupervisorMessage } from '../../core/protocol.ts';
import { encode, LineSplitter, parseBotMessage, PROTOCOL_VERSION } from '../../core/protocol.ts';

export interface BotChannelHandlers {
  /** A bot proved who it is; returns its welcome (state and market-data backfill). */
  connected(botId: BotId): SupervisorMessage;
  message(botId: BotId, message: Exclude<BotMessage, { t: 'hello' }>): void;
  disconnected(botId: BotId): void;
}

export interface BotChannelOptions {
  socketPath: string;
  /** Each bot's own token, so that no bot can speak as another. */
  tokens: ReadonlyMap<BotId, string>;
  handlers: BotChannelHandlers;
  logger: Logger;
}

const MAX_LINE_BYTES = 256 * 1024;

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The supervisor's end of the bot channel: newline-delimited JSON over a Unix socket only this user can open. */
export class BotChannel {
  readonly #options: BotChannelOptions;
  readonly #sockets = new Map<BotId, Socket>();
  #server: Server | null = null;

  constructor(options: BotChannelOptions) {
    this.#options = options;
  }

  async listen(): Promise<void> {
    const path = this.#options.socketPath;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // A socket file left by a crashed supervisor would block the bind; crash-only startup removes it.
    if (existsSync(path)) unlinkSync(path);
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(path, 0o600);
  }

  isConnected(botId: BotId): boolean {
    return this.#sockets.has(botId);
  }

  send(botId: BotId, message: SupervisorMessage): void {
    const socket = this.#sockets.get(botId);
    if (socket !== undefined && !socket.destroyed) socket.write(encode(message));
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets.values()) socket.destroy();
    this.#sockets.clear();
    const server = this.#server;
    this.#server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (existsSync(this.#options.socketPath)) unlinkSync(this.#options.socketPath);
  }

  #accept(socket: Socket): void {
    socket.setNoDelay(true);
    let botId: BotId | null = null;
    const lines = new LineSplitter();
    const refuse = (code: 'BAD_TOKEN' | 'UNKNOWN_BOT' | 'PROTOCOL', message: string): void => {
      this.#options.logger.warn({ code, botId }, `bot channel refused a connection: ${message}`);
      socket.end(encode({ t: 'refused', code, message }));
    };
    socket.on('data', (chunk: Buffer) => {
      const complete = lines.push(chunk);
      if (complete.length === 0 && lines.pending > MAX_LINE_BYTES) {
        refuse('PROTOCOL', `a line longer than ${MAX_LINE_BYTES} bytes`);
        socket.destroy();
        return;
      }
      for (const line of complete) {
        let message: BotMessage;
        try {
          message = parseBotMessage(line);
        } catch (error) {
          if (botId === null) {
            refuse('PROTOCOL', (error as Error).message);
            return;
          }
          this.#options.logger.warn({ botId, error: (error as Error).message }, 'bot sent a malformed message; ignored');
          continue;
        }
        if (botId === null) {
          if (message.t !== 'hello') return refuse('PROTOCOL', 'the first message must be hello');
          if (message.protocol !== PROTOCOL_VERSION) return refuse('PROTOCOL', `protocol ${message.protocol} is not ${PROTOCOL_VERSION}`);
          const expected = this.#options.tokens.get(message.botId as BotId);
          if (expected === undefined) return refuse('UNKNOWN_BOT', `no loaded bot is called ${message.botId}`);
          if (!sameToken(message.token, expected)) return refuse('BAD_TOKEN', `wrong token for bot ${message.botId}`);
          botId = message.botId as BotId;
          const previous = this.#sockets.get(botId);
          // The newest connection wins: after a crash the old socket may linger half-open.
          if (previous !== undefined) previous.destroy();
          this.#sockets.set(botId, socket);
          socket.write(encode(this.#options.handlers.connected(botId)));
          continue;
        }
        if (message.t === 'hello') continue;
        this.#options.handlers.message(botId, message);
      }
    });
    const gone = (): void => {
      if (botId !== null && this.#sockets.get(botId) === socket) {
        this.#sockets.delete(botId);
        this.#options.handlers.disconnected(botId);
      }
    };
    socket.on('close', gone);
    socket.on('error', (error) => this.#options.logger.debug({ botId, error: error.message }, 'bot socket error'));
  }
}
