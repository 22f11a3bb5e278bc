import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import type { FleetStatus } from '../../supervisor/control/fleet-control.ts';
import { DEFAULT_INSTRUMENTS } from '../../supervisor/config/fleet-config.ts';
import { OPEN_STATUSES } from '../../venues/bybit/standin/order-book.ts';
import { provision, startStandin, type Running } from '../venues/bybit/standin/harness.ts';
import { FleetUnderTest } from './fleet-harness.ts';

/**
 * A live fleet under a throwaway pm2 (supervisor and bots as real processes, started by npm start's script) against
 * the Bybit stand-in in the test process, so a test can script its faults, move its market and read what the
 * exchange holds. The keys are provisioned with the master key as `accounts provision` does, into a secrets file of
 * mode 0600 outside the project. The stand-in's market stands before the present minute, so each candle a test
 * pushes is one that has closed.
 */

const MINUTE = 60_000;
/** How far before now the stand-in's market starts: room for the candles a test pushes, all of them closed. */
const HEADROOM_MINUTES = 40;
const HISTORY_MINUTES = 9;

/**
 * Enters long with a market order and a stop 5% under when flat and nothing is pending; exits when long. One order
 * per candle, so every candle a test pushes sends the venue an order (and its stop, or the stop's cancel).
 */
export const PING_PONG = `import { z } from 'zod';
import { Decimal, defineStrategy } from 'flotilla/strategy';
import type { BotStateView, StrategyAction, TimeframeCandle } from 'flotilla/strategy';

export default defineStrategy({
  interfaceVersion: 1,
  parameters: z.strictObject({}),
  create() {
    return {
      onCandle(candle: TimeframeCandle, state: BotStateView): StrategyAction[] {
        if (state.warmingUp === true) return [];
        const busy = state.pendingEntries.has(candle.instrumentId) || state.openOrders.some((order) => order.instrumentId === candle.instrumentId && order.role !== 'STOP');
        if (busy) return [];
        const position = state.positions.get(candle.instrumentId);
        if (position === undefined || position.quantity.isZero()) {
          return [{ type: 'ENTER', instrumentId: candle.instrumentId, side: 'BUY', size: { kind: 'QUANTITY', quantity: Decimal.parse('0.01') }, orderType: 'MARKET', stopLoss: candle.close.mul(Decimal.parse('0.95')), reason: 'ping' }];
        }
        return [{ type: 'EXIT', instrumentId: candle.instrumentId, reason: 'pong' }];
      },
    };
  },
});
`;

export interface LiveBot {
  id: string;
  instruments: string[];
  strategy: string;
}

export class LiveFleet {
  readonly running: Running;
  readonly fleet: FleetUnderTest;
  /** Each bot's UID at the stand-in. */
  readonly uids = new Map<string, number>();
  readonly #secretsDir: string;
  readonly #prices = new Map<string, string>();

  private constructor(running: Running, fleet: FleetUnderTest, secretsDir: string) {
    this.running = running;
    this.fleet = fleet;
    this.#secretsDir = secretsDir;
  }

  /** The stand-in with history, the keys, the bot folders and the configuration; nothing is started under pm2 yet. */
  /**
   * `provisioning: 'cli'` makes the sub-accounts as a trader does, with `supervisor accounts provision` from the
   * master key in the secrets file; 'harness' (quicker) makes them with the stand-in harness's requests.
   */
  static async create(bots: readonly LiveBot[], timeouts: Record<string, number> = {}, provisioning: 'cli' | 'harness' = 'harness'): Promise<LiveFleet> {
    const now = Math.floor(Date.now() / MINUTE) * MINUTE;
    const running = await startStandin({ clock: new ManualClock(now - HEADROOM_MINUTES * MINUTE) });
    const live = { BTCUSDT: '60000', ETHUSDT: '3000' };
    for (let minute = 0; minute < HISTORY_MINUTES; minute++) {
      running.clock.advance(MINUTE);
      for (const [symbol, price] of Object.entries(live)) running.standin.pushCandle(symbol, { open: price, high: price, low: price, close: price });
    }
    const keys: Record<string, { key: string; secret: string }> = {};
    const uids = new Map<string, number>();
    if (provisioning === 'harness') {
      for (const [index, bot] of bots.entries()) {
        const made = await provision(running.standin, `live${index + 1}e2e`);
        keys[bot.id] = { key: made.key, secret: made.secret };
        uids.set(bot.id, made.uid);
      }
    }
    const secretsDir = mkdtempSync(join(tmpdir(), 'flotilla-live-e2e-secrets-'));
    const secretsPath = join(secretsDir, 'secrets.json');
    const master = provisioning === 'cli' ? { master: { key: running.standin.master.key, secret: running.standin.master.secret } } : {};
    writeFileSync(secretsPath, JSON.stringify({ version: 1, venues: { BYBIT: { ...master, accounts: keys } } }), { mode: 0o600 });
    chmodSync(secretsPath, 0o600);
    const listed = DEFAULT_INSTRUMENTS.filter((entry) => entry.id === 'BTCUSDT.BYBIT' || entry.id === 'ETHUSDT.BYBIT').map(({ startPrice: _s, turnoverPerMinute: _t, ...instrument }) => instrument);
    const fleet = new FleetUnderTest({
      mode: 'live',
      venues: { BYBIT: { adapter: 'bybit', environment: running.standin.url, ...(provisioning === 'cli' ? { provisioning: { startingCapital: '100000' } } : {}), timeouts: { requestMs: 1_000, settleMs: 8_000, rateLimitBackoffMs: 100, overloadBackoffMs: 100, reconnectMinMs: 50, reconnectMaxMs: 400, connectMs: 5_000, ...timeouts } } },
      secretsFile: secretsPath,
      defaultCatalog: false,
      instruments: listed,
      exposureKeys: { BTC: { policy: 'exclusive' }, ETH: { policy: 'exclusive' } },
      marketData: { historyCandles: 5 },
      control: { port: 0 },
      metrics: { port: 0 },
    });
    for (const bot of bots) {
      fleet.addFolder(bot.id, {
        'manifest.json': JSON.stringify({
          id: bot.id,
          name: `Live ${bot.id}`,
          interfaceVersion: 1,
          venue: 'BYBIT',
          subAccount: bot.id,
          instruments: bot.instruments,
          timeframes: ['1m'],
          risk: { maxNotionalPerOrder: '50000', orderRateLimit: { maxRequests: 100, windowMs: 1000 }, drawdown: { threshold: '0.5', windowMs: 86400000, action: 'HALTED' } },
          parameters: {},
        }),
        'strategy.ts': bot.strategy,
      });
    }
    if (provisioning === 'cli') {
      const provisioned = await fleet.cli('accounts', 'provision', '--venue', 'BYBIT');
      if (provisioned.code !== 0) throw new Error(`accounts provision exited ${provisioned.code}: ${provisioned.stderr}`);
      const written = JSON.parse(readFileSync(secretsPath, 'utf8')) as { venues: { BYBIT: { accounts: Record<string, { uid: string }> } } };
      for (const bot of bots) uids.set(bot.id, Number(written.venues.BYBIT.accounts[bot.id]?.uid));
    }
    const created = new LiveFleet(running, fleet, secretsDir);
    for (const [id, uid] of uids) created.uids.set(id, uid);
    for (const [symbol, price] of Object.entries(live)) created.#prices.set(symbol, price);
    return created;
  }

  status(): Promise<FleetStatus> {
    return this.fleet.json<FleetStatus>('status');
  }

  /** The next closed minute of a symbol, flat at its price: market orders resting there fill, bots get a candle. */
  candle(symbol: string, price?: string): void {
    const at = price ?? this.#prices.get(symbol) ?? '0';
    this.#prices.set(symbol, at);
    this.running.clock.advance(MINUTE);
    this.running.standin.pushCandle(symbol, { open: at, high: at, low: at, close: at });
  }

  /** Waits until every bot is connected, reconciled and trading under the supervisor with this pid (or any other than `not`). */
  async ready(what: string, not?: number): Promise<FleetStatus> {
    return this.fleet.until(what, async () => {
      const current = await this.status();
      const fresh = not === undefined || current.supervisor.pid !== not;
      return fresh && current.bots.length === this.uids.size && current.bots.every((bot) => bot.connected && bot.reconciliation?.state === 'RECONCILED') ? current : null;
    }, 60_000);
  }

  /**
   * Waits until every bot has been reconciled by a run that ended at or after `since` (ms): after its private stream
   * came back, a bot may not trade until then, and a candle pushed earlier is one it is denied (NOT_RECONCILED).
   */
  async reconciledSince(since: number, what: string): Promise<void> {
    await this.fleet.until(what, async () => {
      const current = await this.status();
      return current.bots.every((bot) => bot.connected && bot.reconciliation.state === 'RECONCILED' && (bot.reconciliation.at ?? 0) >= since);
    }, 30_000);
  }

  /**
   * What the venue and the ledgers disagree on, for every bot: an orderLinkId placed twice, more orders at the venue
   * than the ledgers sent, a venue execution the ledger lacks (or the reverse), a position that differs, a position
   * without a working stop at the venue. Empty when all is well.
   */
  problems(): string[] {
    const found: string[] = [];
    const { standin } = this.running;
    for (const [botId, uid] of this.uids) {
      const orders = standin.exchange.book.orders(uid, () => true, 10_000, undefined).list;
      const links = orders.map((order) => order.orderLinkId);
      const duplicated = links.filter((link, index) => links.indexOf(link) !== index);
      if (duplicated.length > 0) found.push(`${botId}: orderLinkId placed twice at the venue: ${duplicated.join(', ')}`);
      const { intentOf, fills, funding, positions, doubledIntents, answered } = this.fleet.ledgerSnapshot(botId, (rows) => ({
        answered: new Set(rows<{ id: string }>('SELECT client_order_id AS id FROM order_events UNION SELECT client_order_id AS id FROM fills').map((row) => row.id)),
        intentOf: new Map(rows<{ id: string; intent: string }>('SELECT client_order_id AS id, intent_id AS intent FROM orders').map((row) => [row.id, row.intent])),
        fills: rows<{ id: string }>('SELECT trade_id AS id FROM fills ORDER BY trade_id').map((row) => row.id),
        funding: rows<{ id: string }>('SELECT funding_id AS id FROM funding ORDER BY funding_id').map((row) => row.id),
        positions: new Map(rows<{ instrument: string; quantity: string }>('SELECT instrument, quantity FROM positions').map((row) => [row.instrument.split('.')[0] as string, Decimal.parse(row.quantity)])),
        doubledIntents: rows<{ intent: string }>("SELECT intent_id AS intent FROM orders WHERE role IN ('ENTRY', 'CLOSE') GROUP BY intent_id HAVING COUNT(*) > 1").map((row) => row.intent),
      }));
      const strangers = links.filter((link) => !intentOf.has(link));
      if (strangers.length > 0) found.push(`${botId}: orders at the venue the ledger never wrote: ${strangers.join(', ')}`);
      const unknown = links.filter((link) => intentOf.has(link) && !answered.has(link));
      if (unknown.length > 0) found.push(`${botId}: orders the venue holds whose outcome the ledger does not know: ${unknown.join(', ')}`);
      if (doubledIntents.length > 0) found.push(`${botId}: intents with two orders in the ledger: ${doubledIntents.join(', ')}`);
      // By count: never more orders at the venue for one intent than the ledger wrote for it (an entry and its stop).
      const perIntent = (ids: Iterable<string>): Map<string, number> => {
        const counts = new Map<string, number>();
        for (const id of ids) counts.set(intentOf.get(id) ?? id, (counts.get(intentOf.get(id) ?? id) ?? 0) + 1);
        return counts;
      };
      const written = perIntent(intentOf.keys());
      for (const [intent, count] of perIntent(links)) {
        if (count > (written.get(intent) ?? 0)) found.push(`${botId}: ${count} orders at the venue for intent ${intent}, ${written.get(intent) ?? 0} in the ledger`);
      }
      // Trades are fills and funding settlements are funding entries, each once by the venue's execution ID.
      const listed = (type: 'Trade' | 'Funding'): string[] => standin.exchange.book.executions(uid, (execution) => execution.execType === type, 10_000, undefined).list.map((execution) => execution.execId).sort();
      const executions = listed('Trade');
      if (executions.join(',') !== fills.join(',')) found.push(`${botId}: venue executions [${executions.join(', ')}] but ledger fills [${fills.join(', ')}]`);
      const settled = listed('Funding');
      if (settled.join(',') !== funding.join(',')) found.push(`${botId}: venue funding [${settled.join(', ')}] but ledger funding [${funding.join(', ')}]`);
      for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
        const there = standin.exchange.position(uid, symbol).quantity;
        const held = positions.get(symbol) ?? Decimal.ZERO;
        if (!there.eq(held)) found.push(`${botId}: ${symbol} position ${held.toString()} in the ledger, ${there.toString()} at the venue`);
        if (there.isZero()) continue;
        const cover = Decimal.sum(
          orders.filter((order) => order.symbol === symbol && order.triggerDirection !== 0 && order.reduceOnly && OPEN_STATUSES.has(order.status) && (order.side === 'Sell') === there.isPositive()).map((order) => order.leavesQty),
        );
        if (cover.lt(there.abs())) found.push(`${botId}: ${symbol} position ${there.toString()} has working stops for ${cover.toString()} at the venue`);
      }
    }
    return found;
  }

  /** Waits until the venue and the ledgers agree (see problems), then returns how many orders and fills that took. */
  async agreed(what: string, timeoutMs = 30_000): Promise<void> {
    let last: string[] = [];
    try {
      await this.fleet.until(what, async () => {
        last = this.problems();
        return last.length === 0;
      }, timeoutMs);
    } catch (error) {
      throw new Error(`${(error as Error).message}; still: ${last.join('; ')}`);
    }
  }

  /** Resolves when `event` does; else fails naming the bot's last decisions, which say why nothing happened. */
  async within<T>(event: Promise<T>, what: string, timeoutMs = 20_000): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    });
    try {
      return await Promise.race([event, timeout]);
    } catch (error) {
      const decisions = await this.fleet.json<Array<{ outcome: string; reason: string | null; detail: string }>>('decisions', '--limit', '5').catch(() => []);
      throw new Error(`${(error as Error).message}; last decisions: ${decisions.map((decision) => `${decision.outcome} ${decision.reason ?? ''} ${decision.detail}`).join(' | ')}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** How many orders the venue holds for a bot, ever. */
  venueOrders(botId: string): number {
    return this.running.standin.exchange.book.orders(this.uids.get(botId) ?? 0, () => true, 10_000, undefined).list.length;
  }

  async destroy(): Promise<void> {
    try {
      await this.fleet.destroy();
    } finally {
      await this.running.standin.stop();
      rmSync(this.#secretsDir, { recursive: true, force: true });
    }
  }
}
