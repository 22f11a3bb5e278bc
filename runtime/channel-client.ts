import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { BotId } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import type { SupervisorMessage, WireCommand, WireNote } from '../core/protocol.ts';
import { encode, LineSplitter, PROTOCOL_VERSION } from '../core/protocol.ts';

export interface ChannelClientOptions {
  socketPath: string;
  botId: BotId;
  token: string;
  logger: Logger;
  onMessage(message: SupervisorMessage): void;
  /** Called when the supervisor refuses this bot for good (wrong token, unknown bot). */
  onRefused(code: string, message: string): void;
  /** Delay before reconnecting, real ms; doubles up to maxReconnectMs. */
  reconnectMs?: number;
  maxReconnectMs?: number;
}

/**
 * The bot's end of the channel. Commands wait in an outbox until their result arrives; after a reconnect every
 * unanswered command is sent again in order. The order manager is idempotent on intent IDs, so nothing is lost
 * and nothing is doubled. Notes describe state (the model fell back), so the latest value of each is kept and
 * sent again after every welcome, marked replayed; one made while disconnected goes out then as newly made.
 */
export class ChannelClient {
  readonly #options: ChannelClientOptions;
  readonly #outbox = new Map<number, WireCommand>();
  /** The latest note per name and instrument, in the order they were last made; `sent` once any connection got it. */
  readonly #notes = new Map<string, { note: WireNote; sent: boolean }>();
  #socket: Socket | null = null;
  #welcomed = false;
  #nextSeq = 1;
  #closed = false;
  #delay: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: ChannelClientOptions) {
    this.#options = options;
    this.#delay = options.reconnectMs ?? 100;
  }

  start(): void {
    this.#connect();
  }

  get connected(): boolean {
    return this.#welcomed;
  }

  /** Queues a command; it goes out now if connected, or on the next welcome. Returns its sequence number. */
  send(command: WireCommand): number {
    const seq = this.#nextSeq++;
    this.#outbox.set(seq, command);
    if (this.#welcomed) this.#write({ t: 'command', seq, command });
    return seq;
  }

  pending(): number {
    return this.#outbox.size;
  }

  heartbeat(rssBytes: number): void {
    if (this.#welcomed) this.#write({ t: 'heartbeat', rssBytes });
  }

  /** Sends a note now if connected; kept either way, for the replay after the next welcome. */
  note(name: string, value: string, instrumentId: string | null): void {
    const key = JSON.stringify([name, instrumentId]);
    const note: WireNote = { t: 'note', name, value, instrumentId, replayed: false };
    // Deleted first so the replay ends on the latest note, which is what status keeps per name.
    this.#notes.delete(key);
    this.#notes.set(key, { note, sent: this.#welcomed });
    if (this.#welcomed) this.#write(note);
  }

  /** Actions the strategy returned on warm-up candles, dropped here; the supervisor counts them. */
  reportWarmUpDropped(count: number, firstReason: string): void {
    if (this.#welcomed) this.#write({ t: 'warmup-dropped', count, firstReason: firstReason.slice(0, 400) });
  }

  reportBotError(message: string): void {
    if (this.#welcomed) this.#write({ t: 'bot-error', message: message.slice(0, 2_000) });
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#socket?.destroy();
  }

  #write(message: unknown): void {
    this.#socket?.write(encode(message as Parameters<typeof encode>[0]));
  }

  #replayNotes(): void {
    for (const kept of this.#notes.values()) {
      this.#write({ ...kept.note, replayed: kept.sent });
      kept.sent = true;
    }
  }

  #connect(): void {
    if (this.#closed) return;
    const socket = connect(this.#options.socketPath);
    this.#socket = socket;
    socket.setNoDelay(true);
    const lines = new LineSplitter();
    socket.on('connect', () => {
      this.#delay = this.#options.reconnectMs ?? 100;
      socket.write(encode({ t: 'hello', botId: this.#options.botId, token: this.#options.token, protocol: PROTOCOL_VERSION }));
    });
    socket.on('data', (chunk: Buffer) => {
      for (const line of lines.push(chunk)) this.#receive(JSON.parse(line) as SupervisorMessage);
    });
    socket.on('error', (error) => this.#options.logger.debug({ error: error.message }, 'supervisor channel error'));
    socket.on('close', () => {
      this.#welcomed = false;
      if (this.#closed) return;
      this.#timer = setTimeout(() => this.#connect(), this.#delay);
      this.#delay = Math.min(this.#delay * 2, this.#options.maxReconnectMs ?? 2_000);
    });
  }

  #receive(message: SupervisorMessage): void {
    if (message.t === 'refused') {
      this.#closed = true;
      this.#options.onRefused(message.code, message.message);
      return;
    }
    if (message.t === 'result') this.#outbox.delete(message.seq);
    // Welcomed before the handler runs, so what it sends (a heartbeat, an error from warm-up) goes out after the
    // replayed notes rather than being overtaken by an older value.
    if (message.t === 'welcome') {
      this.#welcomed = true;
      this.#replayNotes();
    }
    this.#options.onMessage(message);
    if (message.t === 'welcome') {
      for (const [seq, command] of this.#outbox) this.#write({ t: 'command', seq, command });
    }
  }
}
