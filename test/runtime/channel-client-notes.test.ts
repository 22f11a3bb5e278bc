import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBotId } from '../../core/ids.ts';
import { encode, LineSplitter } from '../../core/protocol.ts';
import { ChannelClient } from '../../runtime/channel-client.ts';
import { capturingLogger, until, withTimeout } from '../supervisor/fleet/fleet-harness.ts';

type Line = Record<string, unknown>;

/** One connection the fake supervisor accepted: every line the bot sent on it, and a welcome to send back. */
class Connection {
  readonly lines: Line[] = [];
  readonly #socket: Socket;
  readonly #watchers = new Set<() => void>();

  constructor(socket: Socket) {
    this.#socket = socket;
    const lines = new LineSplitter();
    socket.on('data', (chunk: Buffer) => {
      for (const line of lines.push(chunk)) this.lines.push(JSON.parse(line) as Line);
      for (const watcher of [...this.#watchers]) watcher();
    });
    socket.on('error', () => {});
  }

  /** Resolves once `count` lines have arrived on this connection. */
  received(count: number, what: string): Promise<Line[]> {
    let watcher = (): void => {};
    const found = new Promise<Line[]>((resolve) => {
      watcher = () => {
        if (this.lines.length >= count) resolve(this.lines.slice(0, count));
      };
      this.#watchers.add(watcher);
      watcher();
    });
    return withTimeout(found, what).finally(() => this.#watchers.delete(watcher));
  }

  welcome(): void {
    const state = { equity: '0', drawdown: '0', drawdownThreshold: '1', tradingState: 'ACTIVE' as const, positions: [], openOrders: [] };
    this.#socket.write(encode({ t: 'welcome', now: 0, heartbeatIntervalMs: 60_000, state, backfill: [] }));
  }

  drop(): void {
    this.#socket.destroy();
  }
}

/** A real Unix-socket server that stands in for the supervisor, so the test sees exactly what the client writes. */
class FakeSupervisor {
  readonly #server: Server;
  readonly #accepted: Connection[] = [];
  readonly #watchers = new Set<() => void>();

  private constructor(server: Server) {
    this.#server = server;
    server.on('connection', (socket) => {
      this.#accepted.push(new Connection(socket));
      for (const watcher of [...this.#watchers]) watcher();
    });
  }

  static async listen(path: string): Promise<FakeSupervisor> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return new FakeSupervisor(server);
  }

  /** The `index`-th connection (0-based), once the client has made it and said hello on it. */
  async connection(index: number): Promise<Connection> {
    let watcher = (): void => {};
    const found = new Promise<Connection>((resolve) => {
      watcher = () => {
        const accepted = this.#accepted[index];
        if (accepted !== undefined) resolve(accepted);
      };
      this.#watchers.add(watcher);
      watcher();
    });
    const connection = await withTimeout(found, `connection ${index}`).finally(() => this.#watchers.delete(watcher));
    await connection.received(1, `the hello on connection ${index}`);
    return connection;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

const notesOf = (lines: Line[]): Line[] => lines.filter((line) => line.t === 'note');

describe('channel client notes', () => {
  let folder: string;
  let supervisor: FakeSupervisor;
  let client: ChannelClient;

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'flotilla-notes-'));
    supervisor = await FakeSupervisor.listen(join(folder, 'bots.sock'));
    client = new ChannelClient({
      socketPath: join(folder, 'bots.sock'),
      botId: parseBotId('alpha'),
      token: 'token',
      logger: capturingLogger([]),
      onMessage: () => {},
      onRefused: () => {},
      reconnectMs: 5,
      maxReconnectMs: 20,
    });
  });
  afterEach(async () => {
    client.close();
    await supervisor.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** The `index`-th connection, welcomed, once the client knows it is. */
  async function welcomed(index: number): Promise<Connection> {
    const connection = await supervisor.connection(index);
    connection.welcome();
    await until(() => client.connected, `the client welcomed on connection ${index}`);
    return connection;
  }

  /** Drops the connection from the supervisor's side and waits until the client has seen it go. */
  async function dropped(connection: Connection): Promise<void> {
    connection.drop();
    await until(() => !client.connected, 'the client sees its connection dropped');
  }

  it('test_note_when_made_before_the_first_connect_then_sent_after_the_welcome_as_newly_made', async () => {
    // Arrange
    client.note('SIGNAL_MODEL', 'FALLBACK', null);
    // Act
    client.start();
    const first = await welcomed(0);
    const lines = await first.received(2, 'the note');
    // Assert
    expect(lines[0]).toMatchObject({ t: 'hello', botId: 'alpha' });
    expect(lines[1]).toEqual({ t: 'note', name: 'SIGNAL_MODEL', value: 'FALLBACK', instrumentId: null, replayed: false });
  });

  it('test_note_when_the_connection_drops_then_the_latest_value_per_name_and_instrument_is_replayed_after_the_next_welcome_latest_last', async () => {
    // Arrange
    client.start();
    const first = await welcomed(0);
    client.note('SIGNAL_MODEL', 'ACTIVE', null);
    client.note('ENTRY_BLOCKED', 'ENVIRONMENT', 'BTCUSDT.BYBIT');
    client.note('SIGNAL_MODEL', 'FALLBACK', null);
    client.note('ENTRY_BLOCKED', 'TRIGGER', 'ETHUSDT.BYBIT');
    const sent = notesOf(await first.received(5, 'four notes'));
    // Act
    await dropped(first);
    const second = await welcomed(1);
    const replayed = notesOf(await second.received(4, 'the replay'));
    // Assert
    expect(sent.map((note) => note.replayed)).toEqual([false, false, false, false]);
    expect(replayed).toEqual([
      { t: 'note', name: 'ENTRY_BLOCKED', value: 'ENVIRONMENT', instrumentId: 'BTCUSDT.BYBIT', replayed: true },
      { t: 'note', name: 'SIGNAL_MODEL', value: 'FALLBACK', instrumentId: null, replayed: true },
      { t: 'note', name: 'ENTRY_BLOCKED', value: 'TRIGGER', instrumentId: 'ETHUSDT.BYBIT', replayed: true },
    ]);
  });

  it('test_note_when_made_while_disconnected_then_sent_on_reconnect_as_newly_made_and_then_replayed_on_every_later_one', async () => {
    // Arrange
    client.start();
    const first = await welcomed(0);
    client.note('SIGNAL_MODEL', 'ACTIVE', null);
    await first.received(2, 'the first note');
    await dropped(first);
    // Act: made while no connection is welcomed.
    client.note('SIGNAL_MODEL', 'FALLBACK', null);
    const second = await welcomed(1);
    const onSecond = notesOf(await second.received(2, 'the note kept while disconnected'));
    await dropped(second);
    const third = await welcomed(2);
    const onThird = notesOf(await third.received(2, 'the replay'));
    // Assert
    expect(onSecond).toEqual([{ t: 'note', name: 'SIGNAL_MODEL', value: 'FALLBACK', instrumentId: null, replayed: false }]);
    expect(onThird).toEqual([{ t: 'note', name: 'SIGNAL_MODEL', value: 'FALLBACK', instrumentId: null, replayed: true }]);
  });
});
