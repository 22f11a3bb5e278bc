import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Decimal } from '../../../core/decimal.ts';
import type { OrderRecord } from '../../../ledger/types.ts';
import type { BotId, InstrumentId } from '../../../core/ids.ts';
import { parseBotId, parseInstrumentId } from '../../../core/ids.ts';
import type { Logger } from '../../../core/logger.ts';
import type { CommandResultWire, SupervisorMessage, WireCommand } from '../../../core/protocol.ts';
import { LineSplitter, PROTOCOL_VERSION } from '../../../core/protocol.ts';
import { ChannelClient } from '../../../runtime/channel-client.ts';
import { Fleet } from '../../../supervisor/fleet/fleet.ts';
import { botLaunch } from '../../../supervisor/pm2/bot-launch.ts';
import type { OrderManagerEvent } from '../../../supervisor/order-manager/order-manager.ts';
import { botSocketPath, botTokenPath } from '../../../supervisor/paths.ts';

/**
 * Shared fixture for the fleet-runtime integration tests: a real Fleet on a fresh FLOTILLA_HOME, real bot
 * folders inside the project tree (they import `flotilla/strategy`), and bot-side clients on the real socket.
 * Nothing here sleeps a fixed time: every wait is for a concrete message or event, with a timeout that fails.
 */

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..', '..');
const TEST_BOTS_DIR = join(PROJECT_ROOT, '.test-bots');
export const EVENT_TIMEOUT_MS = 10_000;

export const BTC = parseInstrumentId('BTCUSDT.BYBIT');
export const ETH = parseInstrumentId('ETHUSDT.BYBIT');
export const SOL = parseInstrumentId('SOLUSDT.BYBIT');
export const XRP = parseInstrumentId('XRPUSDT.BYBIT');
export const LINK = parseInstrumentId('LINKUSDT.BYBIT');
export const QQQ = parseInstrumentId('QQQ.ALPACA');

/** Fixed market start, so the synthetic market is the same on every run. */
export const MARKET_START = '2026-03-02T00:00:00.000Z';

// ------------------------------------------------------------------------------------------------------------
// Waiting

export function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** For a state change that raises no event a test can hear (a client noticing its socket closed). */
export async function until(condition: () => boolean, what: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The next order-manager event `pick` accepts; register it before the action that causes the event. */
export function omEvent<T>(fleet: Fleet, pick: (event: OrderManagerEvent) => T | undefined, what: string): Promise<T> {
  return withTimeout(
    new Promise<T>((resolve) => {
      let done = false;
      fleet.om.onEvent((event) => {
        if (done) return;
        const picked = pick(event);
        if (picked === undefined) return;
        done = true;
        resolve(picked);
      });
    }),
    what,
  );
}

// ------------------------------------------------------------------------------------------------------------
// Logs

export interface LogEntry {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

export function capturingLogger(entries: LogEntry[]): Logger {
  const at =
    (level: string) =>
    (fields: object, message: string): void => {
      entries.push({ level, fields: fields as Record<string, unknown>, message });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

// ------------------------------------------------------------------------------------------------------------
// Bot folders

export const QUIET_STRATEGY = `import { z } from 'zod';
import { defineStrategy } from 'flotilla/strategy';

export default defineStrategy({
  interfaceVersion: 1,
  parameters: z.strictObject({}),
  create() {
    return { onCandle: () => [] };
  },
});
`;

export interface ManifestOverrides {
  name?: string;
  venue?: string;
  subAccount?: string;
  instruments?: string[];
  timeframes?: string[];
  risk?: Record<string, unknown>;
  parameters?: Record<string, unknown>;
  [key: string]: unknown;
}

export function manifest(id: string, overrides: ManifestOverrides = {}): Record<string, unknown> {
  return {
    id,
    name: `Test bot ${id}`,
    interfaceVersion: 1,
    venue: 'BYBIT',
    subAccount: id,
    instruments: [BTC],
    timeframes: ['1m'],
    risk: {
      riskPerTrade: '0.01',
      maxOpenRisk: '0.05',
      maxNotionalPerOrder: '50000',
      maxAdds: 1,
      orderRateLimit: { maxRequests: 1000, windowMs: 1000 },
      drawdown: { threshold: '0.5', windowMs: 86_400_000, action: 'HALTED' },
    },
    parameters: {},
    ...overrides,
  };
}

export interface BotFolder {
  folder: string;
  /** An object is written as JSON; a string is written as is (for broken files). Omitted: no manifest.json. */
  manifest?: Record<string, unknown> | string;
  /** Omitted: QUIET_STRATEGY. Null: no strategy.ts. */
  strategy?: string | null;
  /** More files in the folder, by name (a strategy's own modules). */
  files?: Record<string, string>;
}

export function quietBot(id: string, overrides: ManifestOverrides = {}): BotFolder {
  return { folder: id, manifest: manifest(id, overrides) };
}

/** A fresh folder of bot folders under <project>/.test-bots/, so their imports resolve. */
export function makeBotsRoot(bots: readonly BotFolder[]): string {
  let root: string | null = null;
  for (let attempt = 0; root === null; attempt++) {
    mkdirSync(TEST_BOTS_DIR, { recursive: true });
    try {
      root = mkdtempSync(join(TEST_BOTS_DIR, 'run-'));
    } catch (error) {
      // Another test file may have removed the shared parent between the two calls.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 5) throw error;
    }
  }
  for (const bot of bots) writeBotFolder(root, bot);
  return root;
}

export function writeBotFolder(root: string, bot: BotFolder): void {
  const path = join(root, bot.folder);
  mkdirSync(path, { recursive: true });
  if (bot.manifest !== undefined) writeFileSync(join(path, 'manifest.json'), typeof bot.manifest === 'string' ? bot.manifest : JSON.stringify(bot.manifest, null, 2));
  if (bot.strategy !== null) writeFileSync(join(path, 'strategy.ts'), bot.strategy ?? QUIET_STRATEGY);
  for (const [name, text] of Object.entries(bot.files ?? {})) writeFileSync(join(path, name), text);
}

export function removeBotsRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
  try {
    rmdirSync(TEST_BOTS_DIR);
  } catch {
    // Not empty: another test file still has its bots there.
  }
}

// ------------------------------------------------------------------------------------------------------------
// The fleet

export function fleetConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    clock: { speed: 3000, start: MARKET_START },
    marketData: { historyCandles: 5 },
    // Long enough that the fleet's own real-time check never fires during a test; tests inject `now` instead.
    heartbeat: { intervalMs: 1_000, timeoutMs: 60_000 },
    control: { port: 0 },
    metrics: { port: 0 },
    ...overrides,
  };
}

export interface HarnessOptions {
  bots: readonly BotFolder[];
  config?: Record<string, unknown>;
  /** The whole configuration file as is, instead of the paper defaults with `config` over them (live mode). */
  exactConfig?: Record<string, unknown>;
  /** Open the fleet without starting it (no socket, no market). */
  start?: boolean;
}

export class FleetHarness {
  readonly home: string;
  readonly botsRoot: string;
  readonly configPath: string;
  readonly logs: LogEntry[] = [];
  readonly #bots: TestBot[] = [];
  readonly #raws: RawClient[] = [];
  readonly #processes: BotProcess[] = [];
  #fleet: Fleet | null = null;

  private constructor(home: string, botsRoot: string, configPath: string) {
    this.home = home;
    this.botsRoot = botsRoot;
    this.configPath = configPath;
  }

  static async open(options: HarnessOptions): Promise<FleetHarness> {
    const home = mkdtempSync(join(tmpdir(), 'flotilla-fleet-'));
    const botsRoot = makeBotsRoot(options.bots);
    const configPath = join(home, 'flotilla.config.json');
    writeFileSync(configPath, JSON.stringify(options.exactConfig ?? fleetConfig(options.config)));
    const harness = new FleetHarness(home, botsRoot, configPath);
    await harness.reopen(options.start ?? true);
    return harness;
  }

  get fleet(): Fleet {
    if (this.#fleet === null) throw new Error('the fleet is closed');
    return this.#fleet;
  }

  get socketPath(): string {
    return botSocketPath(this.home);
  }

  /** Opens (and starts) a fleet on this home: the crash-recovery path when one ran here before. */
  async reopen(start = true): Promise<Fleet> {
    if (this.#fleet !== null) throw new Error('close the fleet first');
    const fleet = await Fleet.open({ home: this.home, botsRoot: this.botsRoot, configPath: this.configPath, logger: capturingLogger(this.logs), pm2: null, ports: { control: 0, metrics: 0 } });
    this.#fleet = fleet;
    if (start) await fleet.start();
    return fleet;
  }

  async closeFleet(): Promise<void> {
    const fleet = this.#fleet;
    this.#fleet = null;
    await fleet?.close();
  }

  token(botId: string): string {
    return readFileSync(botTokenPath(this.home, botId), 'utf8').trim();
  }

  /** A bot-side ChannelClient for `botId`, started; closed by dispose(). */
  bot(botId: string, options: { token?: string; reconnectMs?: number; onMessage?: (message: SupervisorMessage, bot: TestBot) => void } = {}): TestBot {
    const bot = new TestBot({ socketPath: this.socketPath, botId: parseBotId(botId), token: options.token ?? this.token(botId), reconnectMs: options.reconnectMs ?? 20, onMessage: options.onMessage });
    this.#bots.push(bot);
    return bot.start();
  }

  /** A bot connected and welcomed. */
  async connectedBot(botId: string, options: { reconnectMs?: number; onMessage?: (message: SupervisorMessage, bot: TestBot) => void } = {}): Promise<TestBot> {
    const bot = this.bot(botId, options);
    await bot.welcome();
    return bot;
  }

  async raw(): Promise<RawClient> {
    const raw = await RawClient.connect(this.socketPath);
    this.#raws.push(raw);
    return raw;
  }

  /** A real bot process for one of this harness's bot folders; stopped by dispose(). */
  botProcess(folder: string): BotProcess {
    const running = new BotProcess(this, folder);
    this.#processes.push(running);
    return running;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.#processes.map((running) => running.stop()));
    for (const bot of this.#bots) bot.close();
    for (const raw of this.#raws) raw.destroy();
    await this.closeFleet();
    rmSync(this.home, { recursive: true, force: true });
    removeBotsRoot(this.botsRoot);
  }

  // ----------------------------------------------------------------------------------------------------------
  // Prices and commands

  tick(instrumentId: InstrumentId): Decimal {
    const instrument = this.fleet.omConfig.instruments.get(instrumentId);
    if (instrument === undefined) throw new Error(`no instrument ${instrumentId}`);
    return instrument.tickSize;
  }

  mark(instrumentId: InstrumentId): Decimal {
    const mark = this.fleet.om.mark(instrumentId);
    if (mark === undefined) throw new Error(`no mark for ${instrumentId}`);
    return mark;
  }

  /** The mark times `factor`, on the tick: a price that far from the market. */
  priceAt(instrumentId: InstrumentId, factor: string): string {
    return this.mark(instrumentId).mul(Decimal.parse(factor)).quantize(this.tick(instrumentId), 'floor').toString();
  }
}

// ------------------------------------------------------------------------------------------------------------
// Wire commands

export interface EntrySpec {
  botId: string;
  intentId: string;
  instrumentId: InstrumentId;
  side: 'BUY' | 'SELL';
  quantity: string;
  stopLoss: string;
  takeProfit?: string;
  orderType?: 'MARKET' | 'LIMIT';
  limitPrice?: string;
}

export function entryCommand(spec: EntrySpec): WireCommand {
  return {
    type: 'SUBMIT_ORDER',
    intent: {
      intentId: spec.intentId,
      botId: spec.botId,
      instrumentId: spec.instrumentId,
      side: spec.side,
      size: { kind: 'QUANTITY', quantity: spec.quantity },
      orderType: spec.orderType ?? 'MARKET',
      ...(spec.limitPrice === undefined ? {} : { limitPrice: spec.limitPrice }),
      reduceOnly: false,
      bracket: spec.takeProfit === undefined ? { stopLoss: spec.stopLoss } : { stopLoss: spec.stopLoss, takeProfit: spec.takeProfit },
      reason: 'integration test',
    },
  };
}

/** A long market entry with a wide bracket (stop 10% under, take-profit 20% over): it fills now and stays open. */
export function marketLong(h: FleetHarness, botId: string, intentId: string, instrumentId: InstrumentId, quantity: string): WireCommand {
  return entryCommand({ botId, intentId, instrumentId, side: 'BUY', quantity, stopLoss: h.priceAt(instrumentId, '0.9'), takeProfit: h.priceAt(instrumentId, '1.2') });
}

/** A long limit entry far under the market (half the mark): it rests, its bracket waits with it. */
export function restingLong(h: FleetHarness, botId: string, intentId: string, instrumentId: InstrumentId, quantity: string): WireCommand {
  return entryCommand({
    botId,
    intentId,
    instrumentId,
    side: 'BUY',
    quantity,
    orderType: 'LIMIT',
    limitPrice: h.priceAt(instrumentId, '0.5'),
    stopLoss: h.priceAt(instrumentId, '0.45'),
    takeProfit: h.priceAt(instrumentId, '0.6'),
  });
}

// ------------------------------------------------------------------------------------------------------------
// Bot-side clients

type Welcome = Extract<SupervisorMessage, { t: 'welcome' }>;
type Watcher = () => void;

/** A ChannelClient that keeps every message it receives and lets a test wait for one. */
export class TestBot {
  readonly botId: BotId;
  readonly client: ChannelClient;
  readonly messages: SupervisorMessage[] = [];
  refused: { code: string; message: string } | null = null;
  readonly #watchers = new Set<Watcher>();

  constructor(options: { socketPath: string; botId: BotId; token: string; reconnectMs: number; onMessage?: ((message: SupervisorMessage, bot: TestBot) => void) | undefined }) {
    this.botId = options.botId;
    this.client = new ChannelClient({
      socketPath: options.socketPath,
      botId: options.botId,
      token: options.token,
      logger: capturingLogger([]),
      reconnectMs: options.reconnectMs,
      maxReconnectMs: Math.max(options.reconnectMs, 100),
      onMessage: (message) => {
        this.messages.push(message);
        options.onMessage?.(message, this);
        this.#notify();
      },
      onRefused: (code, message) => {
        this.refused = { code, message };
        this.#notify();
      },
    });
  }

  start(): this {
    this.client.start();
    return this;
  }

  close(): void {
    this.client.close();
  }

  #notify(): void {
    for (const watcher of [...this.#watchers]) watcher();
  }

  /** The first message at index `since` or later that `pick` accepts, already received or still to come. */
  waitFor<T>(pick: (message: SupervisorMessage) => T | undefined, what: string, since = 0, timeoutMs = EVENT_TIMEOUT_MS): Promise<T> {
    let index = since;
    let watcher: Watcher = () => {};
    const found = new Promise<T>((resolve) => {
      watcher = () => {
        for (; index < this.messages.length; index++) {
          const picked = pick(this.messages[index] as SupervisorMessage);
          if (picked !== undefined) {
            this.#watchers.delete(watcher);
            resolve(picked);
            return;
          }
        }
      };
      this.#watchers.add(watcher);
      watcher();
    });
    return withTimeout(found, `${this.botId}: ${what}`, timeoutMs).finally(() => this.#watchers.delete(watcher));
  }

  welcome(since = 0): Promise<Welcome> {
    return this.waitFor((message) => (message.t === 'welcome' ? message : undefined), 'a welcome', since);
  }

  refusal(): Promise<{ code: string; message: string }> {
    let watcher: Watcher = () => {};
    const found = new Promise<{ code: string; message: string }>((resolve) => {
      watcher = () => {
        if (this.refused !== null) resolve(this.refused);
      };
      this.#watchers.add(watcher);
      watcher();
    });
    return withTimeout(found, `${this.botId}: a refusal`).finally(() => this.#watchers.delete(watcher));
  }

  send(command: WireCommand): number {
    return this.client.send(command);
  }

  result(seq: number): Promise<CommandResultWire> {
    return this.waitFor((message) => (message.t === 'result' && message.seq === seq ? message.result : undefined), `the result of command ${seq}`);
  }

  /** Sends a command and waits for its result. */
  async execute(command: WireCommand): Promise<CommandResultWire> {
    return this.result(this.send(command));
  }

  welcomes(): number {
    return this.messages.filter((message) => message.t === 'welcome').length;
  }
}

/** A raw socket on the bot channel: for what a well-behaved ChannelClient would never send. */
export class RawClient {
  readonly socket: Socket;
  readonly lines: Array<Record<string, unknown>> = [];
  readonly closed: Promise<void>;
  readonly #watchers = new Set<Watcher>();

  private constructor(socket: Socket) {
    this.socket = socket;
    const lines = new LineSplitter();
    socket.on('data', (chunk: Buffer) => {
      for (const line of lines.push(chunk)) this.lines.push(JSON.parse(line) as Record<string, unknown>);
      for (const watcher of [...this.#watchers]) watcher();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static connect(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  write(message: object | string): void {
    this.socket.write(typeof message === 'string' ? message : `${JSON.stringify(message)}\n`);
  }

  hello(botId: string, token: string): void {
    this.write({ t: 'hello', botId, token, protocol: PROTOCOL_VERSION });
  }

  waitFor(pick: (line: Record<string, unknown>) => boolean, what: string, since = 0): Promise<Record<string, unknown>> {
    let watcher: Watcher = () => {};
    const found = new Promise<Record<string, unknown>>((resolve) => {
      watcher = () => {
        const line = this.lines.slice(since).find(pick);
        if (line !== undefined) resolve(line);
      };
      this.#watchers.add(watcher);
      watcher();
    });
    return withTimeout(found, what).finally(() => this.#watchers.delete(watcher));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function botIdOf(id: string): BotId {
  return parseBotId(id);
}

// ------------------------------------------------------------------------------------------------------------
// Ledger and venue, side by side

export interface BookView {
  orders: string[];
  positions: Array<{ instrumentId: string; quantity: string; averagePrice: string }>;
}

const byInstrument = (a: { instrumentId: string }, b: { instrumentId: string }): number => a.instrumentId.localeCompare(b.instrumentId);

/** The bot's open orders and positions as its ledger (the book of record) has them. */
export function ledgerView(fleet: Fleet, botId: string): BookView {
  const ledger = fleet.om.ledger(parseBotId(botId));
  return {
    orders: ledger.openOrders().map((order) => order.clientOrderId as string).sort(),
    positions: ledger
      .openPositions()
      .map((position) => ({ instrumentId: position.instrumentId as string, quantity: position.quantity.toString(), averagePrice: position.averageEntryPrice.toString() }))
      .sort(byInstrument),
  };
}

/** The same, as the paper venue has them in the bot's sub-account. */
export async function venueView(fleet: Fleet, botId: string): Promise<BookView> {
  const bot = fleet.omConfig.bots.get(parseBotId(botId));
  if (bot === undefined) throw new Error(`no bot ${botId}`);
  return {
    orders: (await fleet.venue.openOrders(bot.subAccountId)).map((order) => order.clientOrderId).sort(),
    positions: (await fleet.venue.positions(bot.subAccountId))
      .map((position) => ({ instrumentId: position.instrumentId as string, quantity: position.quantity.toString(), averagePrice: position.averagePrice.toString() }))
      .sort(byInstrument),
  };
}

// ------------------------------------------------------------------------------------------------------------
// A real bot process (runtime/bot-main.ts), as pm2 would start it, without pm2

/** One bot-main process for a bot folder of the harness; its pino log lines are kept for the test to read. */
export class BotProcess {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>> = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  readonly #watchers = new Set<Watcher>();

  constructor(h: FleetHarness, folder: string) {
    // Exactly the command line, environment and folder pm2 is given for the bot's app (supervisor/pm2/apps.ts).
    const path = join(h.botsRoot, folder);
    const { id } = JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')) as { id: string };
    const launch = botLaunch({ home: h.home, logLevel: 'debug' }, { path, id: parseBotId(id) }, 'bot');
    this.child = spawn(launch.node, [...launch.nodeArgs, launch.script], { cwd: path, env: launch.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = new LineSplitter();
    this.child.stdout?.on('data', (chunk: Buffer) => {
      for (const line of lines.push(chunk)) {
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ msg: line });
        }
      }
      for (const watcher of [...this.#watchers]) watcher();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** The `count`-th log line (1-based) that `pick` accepts. */
  waitForLog(pick: (line: Record<string, unknown>) => boolean, what: string, count = 1): Promise<Record<string, unknown>> {
    let watcher: Watcher = () => {};
    const found = new Promise<Record<string, unknown>>((resolve, reject) => {
      watcher = () => {
        const matching = this.lines.filter(pick);
        if (matching.length >= count) resolve(matching[count - 1] as Record<string, unknown>);
        else if (this.child.exitCode !== null) reject(new Error(`bot process exited (${this.child.exitCode}) before ${what}: ${this.stderr.slice(0, 2_000)}`));
      };
      this.#watchers.add(watcher);
      this.child.once('exit', watcher);
      watcher();
    });
    return withTimeout(found, `bot process: ${what}`).finally(() => this.#watchers.delete(watcher));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await withTimeout(this.exited, 'the bot process to exit');
  }
}

/** A fleet holding a bracketed BTC long is restarted, then a candle runs through the stop (and nowhere near the take-profit). */
export async function stopOutAfterRestart(): Promise<{ h: FleetHarness; stop: OrderRecord }> {
  const h = await FleetHarness.open({ bots: [quietBot('alpha')] });
  const bot = await h.connectedBot('alpha');
  await bot.execute(marketLong(h, 'alpha', 'bracketed', BTC, '0.01'));
  const stop = h.fleet.om.ledger(botIdOf('alpha')).openOrders().find((order) => order.role === 'STOP');
  if (stop?.triggerPrice == null) throw new Error('the bracketed long has no stop');
  bot.close();
  await h.closeFleet();
  await h.reopen();
  const low = stop.triggerPrice.mul(Decimal.parse('0.99')).quantize(h.tick(BTC), 'floor');
  const open = h.mark(BTC);
  h.fleet.venue.pushCandle({ instrumentId: BTC, openTime: h.fleet.clock.now(), durationMs: 60_000, open, high: open, low, close: low, volume: Decimal.parse('1000') });
  await h.fleet.om.idle();
  return { h, stop };
}
