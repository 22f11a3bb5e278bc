import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RestClientV5 } from 'bybit-api';
import { systemClock } from '../core/clock.ts';
import { dec } from '../core/decimal.ts';
import { formatLedgerEpoch, makeClientOrderId, parseBotId, parseExposureKey, parseInstrumentId, parseIntentId, parseSubAccountId } from '../core/ids.ts';
import type { Instrument } from '../core/instrument.ts';
import { silentLogger } from '../core/logger.ts';
import type { ExecutionReport, SubmitOrder } from '../core/order.ts';
import { PROJECT_ROOT, projectNode } from '../supervisor/pm2/apps.ts';
import { CcxtVenue } from '../venues/ccxt/ccxt-venue.ts';
import type { Benchmark, Figure } from './harness.ts';
import { quantile, round } from './harness.ts';

/**
 * venue.ccxt.submit_rtt: from submitOrder on the ccxt adapter to the ORDER_ACCEPTED it reports, through ccxt's bybit
 * client (signing, its request throttle, string amounts), the Bybit stand-in's HTTP server (signature checked,
 * matched by the paper engine) and back, on loopback; the stand-in runs in its own process, as an exchange would.
 * One resting limit order at a time, each cancelled before the next (not timed). The stand-in's rate limits are off;
 * ccxt's own throttle stays on, as in production (Bybit: 50 units a second in a rolling window, an order create or
 * cancel costing 2.5), so orders go in bursts that fit it, as a fleet's do at a candle close, with a pause (not
 * timed) between bursts: a submit that waits for the throttle would measure the throttle, not the path.
 */

const WARMUP = 45;
const MEASURED = 900;
/** Rounds (a create and a cancel, 5 units) per burst: 45 of the window's 50 units. */
const BURST = 9;
/** Long enough for the rolling window to have forgotten the last burst. */
const BURST_PAUSE_MS = 1_050;

const BTC: Instrument = { id: parseInstrumentId('BTCUSDT.BYBIT'), kind: 'PERPETUAL', tickSize: dec('0.1'), lotStep: dec('0.001'), minQuantity: dec('0.001'), minNotional: dec('5'), exposureKey: parseExposureKey('BTC'), beta: dec('1') };

interface Exchange {
  url: string;
  key: string;
  secret: string;
  uid: number;
}

async function check<T extends { retCode: number; retMsg: string }>(what: string, reply: Promise<T>): Promise<T> {
  const answer = await reply;
  if (answer.retCode !== 0) throw new Error(`${what}: ${answer.retCode} ${answer.retMsg}`);
  return answer;
}

/** A funded trading sub-member, as `accounts provision` makes one. */
async function provision(standin: Exchange): Promise<{ key: string; secret: string }> {
  const master = new RestClientV5({ key: standin.key, secret: standin.secret, baseUrl: standin.url });
  const member = await check('createSubMember', master.createSubMember({ username: 'benchccxt1', memberType: 1, isUta: true, note: 'bench' }));
  const uid = Number(member.result.uid);
  const key = await check('createSubUIDAPIKey', master.createSubUIDAPIKey({ subuid: uid, readOnly: 0, permissions: { ContractTrade: ['Order', 'Position'] } }));
  await check('enableUniversalTransferForSubUIDs', master.enableUniversalTransferForSubUIDs([String(uid)]));
  await check('createUniversalTransfer', master.createUniversalTransfer({ transferId: randomUUID(), coin: 'USDT', amount: '100000', fromMemberId: standin.uid, toMemberId: uid, fromAccountType: 'FUND', toAccountType: 'UNIFIED' }));
  return { key: key.result.apiKey, secret: key.result.secret };
}

async function submitRoundTrip(): Promise<Figure[]> {
  const clock = systemClock;
  const child = spawn(projectNode(), [join(PROJECT_ROOT, 'bench', 'venue-standin-process.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const standin = JSON.parse(line) as Exchange;
  const subAccountId = parseSubAccountId('bench');
  const venue = new CcxtVenue({ name: 'BYBIT', exchange: 'bybit', environment: standin.url, credentials: new Map([[subAccountId, await provision(standin)]]), instruments: [BTC], clock, logger: silentLogger });
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
        clientOrderId, botId: bot, subAccountId, intentId: parseIntentId(`bench-${index}`), instrumentId: BTC.id, role: 'ENTRY', side: 'BUY', type: 'LIMIT',
        quantity: dec('0.001'), limitPrice: dec('50000'), triggerPrice: null, timeInForce: 'GTC', reduceOnly: false, parentClientOrderId: null, activatesOnParentFill: false,
      };
      const accepted = until(clientOrderId, 'ORDER_ACCEPTED');
      const started = process.hrtime.bigint();
      void venue.submitOrder(order);
      await accepted;
      const elapsed = Number(process.hrtime.bigint() - started) / 1_000;
      if (index > WARMUP) latencies.push(elapsed);
      const cancelled = until(clientOrderId, 'ORDER_CANCELED');
      await venue.cancelOrder(subAccountId, BTC.id, clientOrderId);
      await cancelled;
      if (index % BURST === 0) await new Promise((resolve) => setTimeout(resolve, BURST_PAUSE_MS));
    }
    latencies.sort((a, b) => a - b);
    return [
      { name: 'venue.ccxt.submit_rtt.p50_us', value: round(quantile(latencies, 0.5)), unit: 'us (target ≤ 2,000)' },
      { name: 'venue.ccxt.submit_rtt.p99_us', value: round(quantile(latencies, 0.99)), unit: 'us (target ≤ 6,000)' },
    ];
  } finally {
    await venue.stop();
    child.stdin.end();
    await once(child, 'exit');
  }
}

export const venueCcxtBenchmarks: Benchmark[] = [{ name: 'venue.ccxt.submit_rtt', run: submitRoundTrip }];
