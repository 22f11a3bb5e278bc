import { createInterface } from 'node:readline';
import { ManualClock, systemClock } from '../core/clock.ts';
import { Decimal } from '../core/decimal.ts';
import type { CatalogEntry } from '../venues/bybit/standin/instruments.ts';
import { DEFAULT_RATE_LIMITS } from '../venues/bybit/standin/rate-limits.ts';
import { BybitStandin } from '../venues/bybit/standin/standin.ts';

/**
 * The stand-in for the live benchmarks, in its own process as an exchange would be. Its market is moved by hand on
 * a clock that starts ten minutes before now, with nine flat minutes of history for every symbol, so a live fleet
 * finds warm-up candles and marks at once. Rate limits are Bybit's defaults unless the options say "off".
 *
 * Options come as one JSON argument: {instruments: CatalogEntry[], rateLimits: "default" | "off"}. It prints
 * {url, key, secret, uid} (the master key) as one JSON line, then takes one JSON command per stdin line and answers
 * each with one JSON line:
 * - {"op": "candle", "symbols": [...]}: the next minute, flat at each symbol's start price (fills what rests there);
 * - {"op": "place", "uid": n, "orders": [{symbol, side, orderType, qty, price?, orderLinkId}]}: orders placed
 *   straight into the exchange, past the REST server and its rate limits (setup only, not what is measured).
 * It stops when stdin closes.
 */

const MINUTE = 60_000;

interface Options {
  instruments: CatalogEntry[];
  rateLimits: 'default' | 'off';
}

interface PlaceSpec {
  symbol: string;
  side: 'Buy' | 'Sell';
  orderType: 'Market' | 'Limit';
  qty: string;
  price?: string;
  orderLinkId: string;
}

type Command = { op: 'candle'; symbols: string[] } | { op: 'place'; uid: number; orders: PlaceSpec[] };

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
const now = Math.floor(systemClock.now() / MINUTE) * MINUTE;
const clock = new ManualClock(now - 10 * MINUTE);
const standin = await BybitStandin.start({
  instruments: options.instruments,
  market: { kind: 'manual' },
  clock,
  paper: { slippageBaseBps: Decimal.ZERO, slippageJitterBps: Decimal.ZERO, participation: Decimal.ONE },
  rateLimits: options.rateLimits === 'off' ? {} : DEFAULT_RATE_LIMITS,
});
const startPrice = new Map(options.instruments.map((entry) => [entry.id.split('.')[0] as string, entry.startPrice]));

function minute(symbols: readonly string[]): void {
  clock.advance(MINUTE);
  for (const symbol of symbols) {
    const price = startPrice.get(symbol);
    if (price === undefined) throw new Error(`${symbol} is not listed`);
    standin.pushCandle(symbol, { open: price, high: price, low: price, close: price });
  }
}

for (let index = 0; index < 9; index++) minute([...startPrice.keys()]);
process.stdout.write(`${JSON.stringify({ url: standin.url, ...standin.master })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const command = JSON.parse(line) as Command;
  try {
    if (command.op === 'candle') {
      minute(command.symbols);
      process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
    } else {
      const orderIds = command.orders.map(
        (order) =>
          standin.exchange.placeOrder(command.uid, {
            symbol: order.symbol,
            side: order.side,
            orderType: order.orderType,
            qty: Decimal.parse(order.qty),
            price: order.price === undefined ? null : Decimal.parse(order.price),
            timeInForce: 'GTC',
            orderLinkId: order.orderLinkId,
            reduceOnly: false,
            closeOnTrigger: false,
            triggerPrice: null,
            triggerDirection: 0,
          }).orderId,
      );
      process.stdout.write(`${JSON.stringify({ ok: true, orderIds })}\n`);
    }
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: (error as Error).message })}\n`);
  }
}
await standin.stop();
process.exit(0);
