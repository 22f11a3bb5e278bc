import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { systemClock } from '../core/clock.ts';
import { dec } from '../core/decimal.ts';
import { formatLedgerEpoch, makeClientOrderId, parseBotId, parseExposureKey, parseInstrumentId, parseIntentId, parseSubAccountId } from '../core/ids.ts';
import type { Instrument } from '../core/instrument.ts';
import { silentLogger } from '../core/logger.ts';
import type { ExecutionReport, SubmitOrder } from '../core/order.ts';
import { PROJECT_ROOT, projectNode } from '../supervisor/pm2/apps.ts';
import { AlpacaVenue } from '../venues/alpaca/alpaca-venue.ts';
import type { Benchmark, Figure } from './harness.ts';
import { quantile, round } from './harness.ts';

/**
 * venue.alpaca.submit_rtt: from submitOrder on the adapter to the ORDER_ACCEPTED it reports, through
 * @alpacahq/alpaca-trade-api, the Alpaca stand-in's HTTP server (keys checked, matched by the paper engine) and back,
 * on loopback; the stand-in runs in its own process. One resting limit order at a time, each cancelled before the
 * next (not timed): a cancel at Alpaca is a lookup by client order ID and a DELETE.
 */

const WARMUP = 200;
const MEASURED = 1_000;

const QQQ: Instrument = { id: parseInstrumentId('QQQ.ALPACA'), kind: 'EQUITY', tickSize: dec('0.01'), lotStep: dec('1'), minQuantity: dec('1'), minNotional: dec('1'), exposureKey: parseExposureKey('NDX'), beta: dec('1') };

async function submitRoundTrip(): Promise<Figure[]> {
  const clock = systemClock;
  const child = spawn(projectNode(), [join(PROJECT_ROOT, 'bench', 'venue-alpaca-standin-process.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const standin = JSON.parse(line) as { url: string; key: string; secret: string };
  const subAccountId = parseSubAccountId('bench');
  const venue = new AlpacaVenue({ name: 'ALPACA', environment: standin.url, credentials: new Map([[subAccountId, { key: standin.key, secret: standin.secret }]]), instruments: [QQQ], clock, logger: silentLogger });
  try {
    await venue.start();
    let waiting: { id: string; type: ExecutionReport['type']; resolve: () => void } | null = null;
    venue.onExecutionReport((report) => {
      if (waiting !== null && report.type === waiting.type && report.type !== 'FUNDING_SETTLED' && report.type !== 'ORDER_FILLED' && report.clientOrderId === waiting.id) waiting.resolve();
    });
    const until = (id: string, type: ExecutionReport['type']): Promise<void> => new Promise((resolve) => (waiting = { id, type, resolve }));
    const epoch = formatLedgerEpoch(clock.now());
    const bot = parseBotId('bench');
    const latencies: number[] = [];
    for (let index = 1; index <= WARMUP + MEASURED; index++) {
      const clientOrderId = makeClientOrderId(bot, epoch, 'ENTRY', index);
      const order: SubmitOrder = {
        clientOrderId, botId: bot, subAccountId, intentId: parseIntentId(`bench-${index}`), instrumentId: QQQ.id, role: 'ENTRY', side: 'BUY', type: 'LIMIT',
        quantity: dec('1'), limitPrice: dec('400'), triggerPrice: null, timeInForce: 'GTC', reduceOnly: false, parentClientOrderId: null, activatesOnParentFill: false,
      };
      const accepted = until(clientOrderId, 'ORDER_ACCEPTED');
      const started = process.hrtime.bigint();
      void venue.submitOrder(order);
      await accepted;
      const elapsed = Number(process.hrtime.bigint() - started) / 1_000;
      if (index > WARMUP) latencies.push(elapsed);
      const cancelled = until(clientOrderId, 'ORDER_CANCELED');
      await venue.cancelOrder(subAccountId, QQQ.id, clientOrderId);
      await cancelled;
    }
    latencies.sort((a, b) => a - b);
    return [
      { name: 'venue.alpaca.submit_rtt.p50_us', value: round(quantile(latencies, 0.5)), unit: 'us (target ≤ 2,000)' },
      { name: 'venue.alpaca.submit_rtt.p99_us', value: round(quantile(latencies, 0.99)), unit: 'us (target ≤ 6,000)' },
    ];
  } finally {
    await venue.stop();
    child.stdin.end();
    await once(child, 'exit');
  }
}

export const alpacaVenueBenchmarks: Benchmark[] = [{ name: 'venue.alpaca.submit_rtt', run: submitRoundTrip }];
