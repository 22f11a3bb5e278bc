import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { RestClientV5 } from 'bybit-api';
import { systemClock } from '../core/clock.ts';
import { dec } from '../core/decimal.ts';
import { parseBotId, parseIntentId, parseSubAccountId, parseVenueOrderId, type BotId, type InstrumentId, type SubAccountId } from '../core/ids.ts';
import type { Instrument } from '../core/instrument.ts';
import { silentLogger } from '../core/logger.ts';
import type { SubmitOrder } from '../core/order.ts';
import { openLedger } from '../ledger/sqlite-ledger.ts';
import type { Ledger } from '../ledger/types.ts';
import { DEFAULT_INSTRUMENTS } from '../supervisor/config/fleet-config.ts';
import { Fleet } from '../supervisor/fleet/fleet.ts';
import { PROJECT_ROOT, projectNode } from '../supervisor/pm2/apps.ts';
import { reconcile, type ReconcileFindings } from '../supervisor/reconciliation/reconcile.ts';
import { BybitVenue } from '../venues/bybit/bybit-venue.ts';
import type { CatalogEntry } from '../venues/bybit/standin/instruments.ts';
import type { Benchmark, Figure } from './harness.ts';
import { round } from './harness.ts';

/**
 * The live path's benchmarks, against the Bybit stand-in in its own process (bench/live-standin-process.ts) with
 * Bybit's default rate limits, through the real BybitVenue.
 */

// ------------------------------------------------------------------------------------------------------------
// The stand-in process

export interface Master {
  url: string;
  key: string;
  secret: string;
  uid: number;
}

/** The stand-in process and its command line (one JSON command, one JSON answer). */
export class StandinProcess {
  readonly master: Master;
  readonly #child: ChildProcessByStdio<Writable, Readable, null>;
  readonly #lines: AsyncIterator<string>;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(child: ChildProcessByStdio<Writable, Readable, null>, lines: Interface, master: Master) {
    this.#child = child;
    this.#lines = lines[Symbol.asyncIterator]();
    this.master = master;
  }

  static async start(instruments: readonly CatalogEntry[], rateLimits: 'default' | 'off' = 'default'): Promise<StandinProcess> {
    const child = spawn(projectNode(), [join(PROJECT_ROOT, 'bench', 'live-standin-process.ts'), JSON.stringify({ instruments, rateLimits })], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout });
    const standin = new StandinProcess(child, lines, { url: '', key: '', secret: '', uid: 0 });
    const first = await standin.#lines.next();
    if (first.done === true) throw new Error('the stand-in process ended before it listened');
    Object.assign(standin.master, JSON.parse(first.value) as Master);
    return standin;
  }

  command<T = Record<string, unknown>>(command: Record<string, unknown>): Promise<T> {
    const run = this.#queue.then(async () => {
      this.#child.stdin.write(`${JSON.stringify(command)}\n`);
      const answer = await this.#lines.next();
      if (answer.done === true) throw new Error('the stand-in process ended');
      const parsed = JSON.parse(answer.value) as { ok: boolean; error?: string };
      if (!parsed.ok) throw new Error(`stand-in ${String(command['op'])}: ${parsed.error ?? 'failed'}`);
      return parsed as T;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    this.#child.stdin.end();
    if (this.#child.exitCode === null) await once(this.#child, 'exit');
  }
}

async function check<T extends { retCode: number; retMsg: string }>(what: string, reply: Promise<T>): Promise<T> {
  const answer = await reply;
  if (answer.retCode !== 0) throw new Error(`${what}: ${answer.retCode} ${answer.retMsg}`);
  return answer;
}

/** A funded trading sub-member made with the master key, as `accounts provision` makes one. */
export async function provisionSubAccount(master: Master, username: string, capital = '100000'): Promise<{ uid: number; key: string; secret: string }> {
  const client = new RestClientV5({ key: master.key, secret: master.secret, baseUrl: master.url });
  const member = await check('createSubMember', client.createSubMember({ username, memberType: 1, isUta: true, note: 'bench' }));
  const uid = Number(member.result.uid);
  const key = await check('createSubUIDAPIKey', client.createSubUIDAPIKey({ subuid: uid, readOnly: 0, permissions: { ContractTrade: ['Order', 'Position'] } }));
  await check('enableUniversalTransferForSubUIDs', client.enableUniversalTransferForSubUIDs([String(uid)]));
  await check('createUniversalTransfer', client.createUniversalTransfer({ transferId: randomUUID(), coin: 'USDT', amount: capital, fromMemberId: master.uid, toMemberId: uid, fromAccountType: 'FUND', toAccountType: 'UNIFIED' }));
  return { uid, key: key.result.apiKey, secret: key.result.secret };
}

const BTC_ENTRY = DEFAULT_INSTRUMENTS.find((entry) => entry.id === 'BTCUSDT.BYBIT') as CatalogEntry;
const BTC: Instrument = { id: BTC_ENTRY.id as Instrument['id'], kind: 'PERPETUAL', tickSize: dec('0.1'), lotStep: dec('0.001'), minQuantity: dec('0.001'), minNotional: dec('5'), exposureKey: 'BTC' as Instrument['exposureKey'], beta: dec('1') };

// ------------------------------------------------------------------------------------------------------------
// venue.bybit.reconcile.ms

const ACCOUNTS = 3;
const OPEN_ORDERS = 200;
const FILLS = 2_000;
/** Orders placed in one command to the stand-in. */
const PLACE_CHUNK = 200;

interface Account {
  botId: BotId;
  subAccountId: SubAccountId;
  uid: number;
  ledger: Ledger;
}

function order(account: Account, index: number, type: 'MARKET' | 'LIMIT'): SubmitOrder {
  return {
    clientOrderId: account.ledger.allocateClientOrderId('ENTRY'),
    botId: account.botId,
    subAccountId: account.subAccountId,
    intentId: parseIntentId(`bench-${type}-${index}`),
    instrumentId: BTC.id,
    role: 'ENTRY',
    // Market orders alternate sides, so the position stays small whatever the count.
    side: type === 'LIMIT' || index % 2 === 0 ? 'BUY' : 'SELL',
    type,
    quantity: dec('0.001'),
    limitPrice: type === 'LIMIT' ? dec('50000') : null,
    triggerPrice: null,
    timeInForce: 'GTC',
    reduceOnly: false,
    parentClientOrderId: null,
    activatesOnParentFill: false,
  };
}

/**
 * The ledger records the orders and hears that Bybit accepted them; then, as if the supervisor were down, the market
 * orders fill unheard and the limits rest. What a restart's reconciliation then has to catch up on.
 */
async function seed(standin: StandinProcess, account: Account, fills: number, resting: number): Promise<void> {
  const orders = [...Array.from({ length: fills }, (_, index) => order(account, index, 'MARKET' as const)), ...Array.from({ length: resting }, (_, index) => order(account, index, 'LIMIT' as const))];
  const at = systemClock.now();
  account.ledger.recordOrders(orders, at);
  for (let start = 0; start < orders.length; start += PLACE_CHUNK) {
    const chunk = orders.slice(start, start + PLACE_CHUNK);
    const { orderIds } = await standin.command<{ orderIds: string[] }>({
      op: 'place',
      uid: account.uid,
      orders: chunk.map((entry) => ({ symbol: 'BTCUSDT', side: entry.side === 'BUY' ? 'Buy' : 'Sell', orderType: entry.type === 'LIMIT' ? 'Limit' : 'Market', qty: entry.quantity.toString(), ...(entry.limitPrice === null ? {} : { price: entry.limitPrice.toString() }), orderLinkId: entry.clientOrderId })),
    });
    chunk.forEach((entry, index) => account.ledger.applyReport({ type: 'ORDER_ACCEPTED', subAccountId: account.subAccountId, clientOrderId: entry.clientOrderId, venueOrderId: parseVenueOrderId(orderIds[index] as string), at }));
  }
}

/** Share `total` out over `parts`, the first ones taking the remainder. */
function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

async function reconcileThree(): Promise<Figure[]> {
  const standin = await StandinProcess.start([BTC_ENTRY]);
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-reconcile-'));
  const accounts: Account[] = [];
  let venue: BybitVenue | null = null;
  try {
    const credentials = new Map<SubAccountId, { key: string; secret: string }>();
    for (let index = 0; index < ACCOUNTS; index++) {
      const botId = parseBotId(`recon${index + 1}`);
      const subAccountId = parseSubAccountId(`recon${index + 1}`);
      const made = await provisionSubAccount(standin.master, `benchrecon${index + 1}`);
      credentials.set(subAccountId, { key: made.key, secret: made.secret });
      const ledger = openLedger({ path: join(dir, `${botId}.ledger.sqlite`), botId, clock: systemClock });
      ledger.recordCapital(dec('100000'), systemClock.now(), 'bench');
      accounts.push({ botId, subAccountId, uid: made.uid, ledger });
    }
    venue = new BybitVenue({ name: 'BYBIT', environment: standin.master.url, credentials, instruments: [BTC], clock: systemClock, logger: silentLogger });
    await venue.start();
    // The cursor each ledger holds before the fills it has not heard of.
    for (const account of accounts) {
      const page = await venue.fillsSince(account.subAccountId, null);
      if (page.fills.length > 0 || page.cursor === null) throw new Error('a fresh sub-account already has fills');
      account.ledger.setFillCursor(venue.name, page.cursor);
    }
    for (const [index, account] of accounts.entries()) await seed(standin, account, share(FILLS, ACCOUNTS, index), share(OPEN_ORDERS, ACCOUNTS, index));

    const live = venue;
    const started = performance.now();
    const findings = await Promise.all(
      accounts.map((account) =>
        reconcile({ botId: account.botId, subAccountId: account.subAccountId, venue: live, ledger: account.ledger }, { apply: (report) => account.ledger.applyReport(report), now: () => systemClock.now(), receiveWindowMs: 10_000 }),
      ),
    );
    const ms = performance.now() - started;
    verify(findings, accounts);
    return [{ name: 'venue.bybit.reconcile.ms', value: round(ms, 1), unit: `ms (target ≤ 2,000; ${ACCOUNTS} sub-accounts, ${OPEN_ORDERS} open orders, ${FILLS} fills)` }];
  } finally {
    await venue?.stop();
    for (const account of accounts) account.ledger.close();
    await standin.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A figure is only worth printing if the run did the whole job. */
function verify(findings: readonly ReconcileFindings[], accounts: readonly Account[]): void {
  const applied = findings.reduce((sum, found) => sum + found.fillsApplied, 0);
  const open = accounts.reduce((sum, account) => sum + account.ledger.openOrders().length, 0);
  const mismatches = findings.flatMap((found) => found.positionMismatches);
  if (applied !== FILLS || open !== OPEN_ORDERS || mismatches.length > 0 || findings.some((found) => found.foreignOrders.length > 0 || found.foreignFills > 0)) {
    throw new Error(`reconciliation did not do the whole job: ${applied} fills applied, ${open} orders open, ${mismatches.length} position mismatch(es)`);
  }
}

// ------------------------------------------------------------------------------------------------------------
// fleet.kill.live.ms

const KILL_BOTS = ['killone', 'killtwo', 'killthree'];
const RESTING_PER_BOT = 50;

/** 150 perpetuals, each on a key of its own, so 150 entries can rest at once without one locking another. */
const KILL_INSTRUMENTS: CatalogEntry[] = Array.from({ length: KILL_BOTS.length * RESTING_PER_BOT }, (_, index) => ({
  id: `K${index}USDT.BYBIT`,
  kind: 'PERPETUAL',
  tickSize: '0.01',
  lotStep: '0.1',
  minQuantity: '0.1',
  minNotional: '5',
  exposure: { key: `K${index}`, beta: '1' },
  startPrice: '100',
}));

/**
 * A live fleet in this process (the stand-in in its own, with Bybit's default rate limits), 3 bots × 50 resting
 * limit entries sent through the order manager and the adapter; the kill switch is pulled, and the clock stops when
 * Bybit has confirmed every entry cancelled (the adapter reports ORDER_CANCELED from Bybit's answer or stream).
 */
async function killLive(): Promise<Figure[]> {
  const standin = await StandinProcess.start(KILL_INSTRUMENTS);
  const home = mkdtempSync(join(tmpdir(), 'flotilla-bench-kill-live-'));
  mkdirSync(join(PROJECT_ROOT, '.test-bots'), { recursive: true });
  const botsRoot = mkdtempSync(join(PROJECT_ROOT, '.test-bots', 'bench-live-'));
  let fleet: Fleet | null = null;
  try {
    const accounts: Record<string, { key: string; secret: string }> = {};
    for (const id of KILL_BOTS) {
      const made = await provisionSubAccount(standin.master, `bench${KILL_BOTS.indexOf(id) + 1}kill`);
      accounts[id] = { key: made.key, secret: made.secret };
    }
    const secretsPath = join(home, 'secrets.json');
    writeFileSync(secretsPath, JSON.stringify({ version: 1, venues: { BYBIT: { accounts } } }), { mode: 0o600 });
    chmodSync(secretsPath, 0o600);
    const risk = { riskPerTrade: '0.001', maxOpenRisk: '0.5', maxNotionalPerOrder: '50000', orderRateLimit: { maxRequests: 1_000_000, windowMs: 1000 }, drawdown: { threshold: '0.5', windowMs: 86_400_000, action: 'HALTED' } };
    KILL_BOTS.forEach((id, botIndex) => {
      const folder = join(botsRoot, id);
      cpSync(join(PROJECT_ROOT, 'bots', '_example'), folder, { recursive: true });
      const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as Record<string, unknown>;
      const instruments = KILL_INSTRUMENTS.slice(botIndex * RESTING_PER_BOT, (botIndex + 1) * RESTING_PER_BOT).map((entry) => entry.id);
      writeFileSync(join(folder, 'manifest.json'), JSON.stringify({ ...manifest, id, subAccount: id, instruments, risk }));
    });
    const configPath = join(home, 'flotilla.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        mode: 'live',
        venues: { BYBIT: { adapter: 'bybit', environment: standin.master.url } },
        secretsFile: secretsPath,
        defaultCatalog: false,
        instruments: KILL_INSTRUMENTS.map(({ startPrice: _startPrice, ...entry }) => entry),
        exposureKeys: Object.fromEntries(KILL_INSTRUMENTS.map((entry) => [entry.exposure.key, { policy: 'exclusive' }])),
        marketData: { historyCandles: 5 },
        control: { port: 0 },
        metrics: { port: 0 },
      }),
    );
    fleet = await Fleet.open({ home, botsRoot, configPath, logger: silentLogger, pm2: null, ports: { control: 0, metrics: 0 } });
    await fleet.start();
    const live = fleet;
    const entries = new Set<string>();
    KILL_BOTS.forEach((id, botIndex) => {
      for (let index = 0; index < RESTING_PER_BOT; index++) {
        const instrumentId = KILL_INSTRUMENTS[botIndex * RESTING_PER_BOT + index]?.id as InstrumentId;
        const decision = live.om.submitIntent({ intentId: parseIntentId(`kill-live-${index}`), botId: id as BotId, instrumentId, side: 'BUY', size: { kind: 'QUANTITY', quantity: dec('1') }, orderType: 'LIMIT', limitPrice: dec('50'), reduceOnly: false, bracket: { stopLoss: dec('45') }, reason: 'bench' });
        if (decision.outcome === 'DENIED' || decision.clientOrderId === null) throw new Error(`kill bench setup denied: ${decision.reason} ${decision.detail}`);
        entries.add(decision.clientOrderId);
      }
    });
    await live.om.idle();
    const resting = KILL_BOTS.flatMap((id) => live.om.ledger(id as BotId).openOrders().filter((order) => order.role === 'ENTRY' && order.status === 'ACCEPTED'));
    if (resting.length !== entries.size) throw new Error(`expected ${entries.size} entries resting at Bybit, the ledgers have ${resting.length}`);
    // Each sub-account's create window (10 a second) empties before the kill, as it would on a fleet at rest.
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    const cancelled = new Promise<void>((resolve) => {
      live.om.onEvent((event) => {
        if (event.type === 'REPORT_APPLIED' && event.report.type === 'ORDER_CANCELED' && entries.delete(event.report.clientOrderId) && entries.size === 0) resolve();
      });
    });
    const started = performance.now();
    live.om.kill();
    await cancelled;
    const ms = performance.now() - started;
    await live.om.idle();
    const venue = live.market.venuesByName((inner) => inner).get('BYBIT');
    let left = 0;
    for (const id of KILL_BOTS) left += (await venue!.openOrders(parseSubAccountId(id))).filter((order) => order.venueOrderId !== null).length;
    if (left !== 0) throw new Error(`the kill left ${left} orders at Bybit`);
    return [{ name: 'fleet.kill.live.ms', value: round(ms, 1), unit: `ms (target ≤ 1,000; ${KILL_BOTS.length} bots × ${RESTING_PER_BOT} resting entries, Bybit's default rate limits)` }];
  } finally {
    await fleet?.close();
    await standin.stop();
    rmSync(botsRoot, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

export const liveBenchmarks: Benchmark[] = [
  { name: 'venue.bybit.reconcile', run: reconcileThree },
  { name: 'fleet.kill.live', run: killLive },
];
