import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { sessionOnDate } from '../../core/us-equity-calendar.ts';
import type { FleetStatus, OrderInfo } from '../../supervisor/control/fleet-control.ts';
import { PROJECT_ROOT } from '../../supervisor/pm2/apps.ts';
import { AlpacaStandin } from '../../venues/alpaca/standin/standin.ts';
import { FleetUnderTest } from './fleet-harness.ts';

/**
 * The shipped equity-baskets bot (its own folder, manifest and strategy) under pm2, live through the Alpaca adapter
 * against the Alpaca stand-in's synthetic market, whatever the wall clock says: the stand-in's clock is put inside a
 * past US session and moved a market minute at a time by the test. The seed and the session were picked with
 * `supervisor backtest equity-baskets --synthetic --from 2026-11-17T14:30Z --days 1`, whose market is this one (the
 * same seed, started at the same minute): it routes SQQQ at 15:24 and SOXS at 16:05, with stock positions using the
 * risk budget by then; the live bot starts flat at 15:10 and routes within minutes.
 */

const MINUTE = 60_000;
const SEED = 20_261_121;
const SESSION = sessionOnDate('2026-11-17')!;
/** The market starts at the open; the fleet comes up 40 minutes in, with those minutes as its history. */
const HISTORY_MINUTES = 40;
const START = SESSION.open + HISTORY_MINUTES * MINUTE;
/** How far the test will move the market looking for a route before it gives up. */
const MAX_MINUTES = 75;
const BOT = 'equity-baskets';
const ETFS = ['SQQQ.ALPACA', 'SOXS.ALPACA'];

describe('the shipped equity-baskets bot, live on the Alpaca stand-in inside a US session', () => {
  const clock = new ManualClock(START);
  let standin: AlpacaStandin;
  let fleet: FleetUnderTest;

  const orders = (): Promise<OrderInfo[]> => fleet.json<OrderInfo[]>('orders', '--bot', BOT, '--limit', '500');
  const status = (): Promise<FleetStatus> => fleet.json<FleetStatus>('status', BOT);
  /** Basket evaluations the supervisor has counted: each makes one `route` or `suppress` note. */
  const evaluations = async (): Promise<number> => {
    const hours = (await status()).bots[0]?.activity?.hours ?? [];
    return hours.reduce((sum, hour) => sum + hour.actionable + hour.suppressed, 0);
  };

  beforeAll(async () => {
    standin = await AlpacaStandin.start({ market: { kind: 'synthetic', seed: SEED, historyDays: HISTORY_MINUTES / 1440 }, clock });
    // The built-in catalog, as shipped: only ALPACA is configured, so its other venues' instruments are left out.
    fleet = FleetUnderTest.onAlpacaStandin(standin, BOT, { marketData: { historyCandles: HISTORY_MINUTES } });
    fleet.addShippedBot(BOT);
    expect(readFileSync(join(fleet.botsRoot, BOT, 'strategy.ts'), 'utf8')).toBe(readFileSync(join(PROJECT_ROOT, 'bots', BOT, 'strategy.ts'), 'utf8'));
    await fleet.start();
  }, 120_000);

  afterAll(async () => {
    await fleet?.destroy();
    await standin?.stop();
  }, 60_000);

  it('routes a falling basket to its inverse ETF at Alpaca, protected by an oco pair, with the fills in its ledger', async () => {
    // The bot is connected and has evaluated its warm-up before the market moves.
    await fleet.until('the bot to connect', async () => (await status()).bots[0]?.connected === true);
    let routed: OrderInfo | undefined;
    for (let minute = 0; minute < MAX_MINUTES && routed === undefined; minute++) {
      const seen = await evaluations();
      // One more minute closes at the venue; its bars go out on the data stream and its clock says so.
      clock.set(START + (minute + 1) * MINUTE + 1_000);
      standin.advanceMarket();
      await fleet.until(`the baskets' evaluations of minute ${minute + 1}`, async () => (await evaluations()) >= seen + 2, 20_000);
      routed = (await orders()).find((order) => ETFS.includes(order.instrumentId) && order.role === 'ENTRY');
    }
    if (process.env.FLOTILLA_E2E_DEBUG === '1') process.stderr.write(`${JSON.stringify((await status()).bots[0]?.activity)}\n${(await fleet.cli('decisions', '--bot', BOT)).stdout}\n`);
    expect(routed, `no SQQQ or SOXS entry within ${MAX_MINUTES} market minutes`).toBeDefined();
    const entry = routed!;
    expect(entry.side).toBe('BUY');

    // Filled at the venue, and its stop and take-profit sent there as one oco order holding the shares.
    const protection = await fleet.until('the entry filled and its protection accepted', async () => {
      const mine = (await orders()).filter((order) => order.instrumentId === entry.instrumentId);
      const filled = mine.find((order) => order.clientOrderId === entry.clientOrderId && order.status === 'FILLED');
      const stop = mine.find((order) => order.role === 'STOP' && order.status === 'ACCEPTED');
      const takeProfit = mine.find((order) => order.role === 'TAKE_PROFIT' && order.status === 'ACCEPTED');
      return filled !== undefined && stop !== undefined && takeProfit !== undefined ? { filled, stop, takeProfit } : undefined;
    }, 20_000);
    const account = standin.exchange.accounts()[0]!;
    const symbol = entry.instrumentId.replace('.ALPACA', '');
    expect(standin.exchange.orderByClientId(account, entry.clientOrderId)).toMatchObject({ symbol, side: 'buy', type: 'market', status: 'filled' });
    const pair = standin.exchange.orderByClientId(account, `${protection.takeProfit.clientOrderId}.oco.${protection.stop.clientOrderId}`);
    expect(pair).toMatchObject({ symbol, side: 'sell', orderClass: 'oco', status: 'new' });
    expect(pair.qty.toString()).toBe(protection.filled.filledQuantity);
    expect(pair.limitPrice?.toString()).toBe(protection.takeProfit.limitPrice);
    const [leg] = standin.exchange.legsOf(account, pair) ?? [];
    expect(leg).toMatchObject({ type: 'stop', status: 'new' });
    expect(leg?.stopPrice?.toString()).toBe(protection.stop.triggerPrice);
    expect(standin.exchange.positions(account).find((position) => position.symbol === symbol)?.qty.toString()).toBe(protection.filled.filledQuantity);

    // Every execution at the venue is one fill in the bot's ledger, and nothing else is.
    const venueFills = account.fills.map((fill) => `${fill.orderId}@${fill.cumQty.toString()} ${fill.side.toUpperCase()} ${fill.qty.toString()} @ ${fill.price.toString()}`).sort();
    const ledgerFills = await fleet.until('the ledger to book every venue execution', async () => {
      const rows = fleet.ledgerRows<{ trade: string }>(BOT, "SELECT trade_id || ' ' || side || ' ' || quantity || ' @ ' || price AS trade FROM fills ORDER BY trade_id").map((row) => row.trade).sort();
      return rows.length === venueFills.length ? rows : undefined;
    });
    expect(venueFills.length).toBeGreaterThan(0);
    expect(ledgerFills).toEqual(venueFills);

    // No entry reached the venue outside the session, by the venue's own clock.
    const entries = [...account.orders.values()].filter((order) => order.side === 'buy' && order.type === 'market');
    expect(entries.length).toBeGreaterThan(0);
    for (const order of entries) expect(order.createdAt >= SESSION.open && order.createdAt < SESSION.close, `${order.clientOrderId} at ${new Date(order.createdAt).toISOString()}`).toBe(true);
  }, 120_000);

  it('shows the live trading in the per-hour figures of `supervisor status equity-baskets`', async () => {
    // Risk in use is sampled once a second of real time; the rest is in the status as soon as it happened.
    const bot = await fleet.until('a risk-in-use sample with the position', async () => {
      const found = (await status()).bots[0];
      return found?.activity?.hours.some((hour) => hour.peakRiskInUse !== null && Number(hour.peakRiskInUse) > 0) === true ? found : undefined;
    }, 10_000);
    const hours = bot.activity?.hours ?? [];
    if (process.env.FLOTILLA_E2E_DEBUG === '1') process.stderr.write(`${JSON.stringify(bot.activity)}\n${(await fleet.cli('status', BOT)).stdout}\n${(await fleet.cli('orders', '--bot', BOT)).stdout}\n`);
    const total = (pick: (hour: (typeof hours)[number]) => number): number => hours.reduce((sum, hour) => sum + pick(hour), 0);
    expect(total((hour) => hour.actionable)).toBeGreaterThanOrEqual(1);
    expect(total((hour) => hour.filled)).toBeGreaterThanOrEqual(1);
    expect(total((hour) => hour.suppressed)).toBeGreaterThan(0);
    const text = await fleet.cli('status', BOT);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/ACTIONABLE\s+FILLED\s+SUPPRESSED/);
  }, 30_000);
});
