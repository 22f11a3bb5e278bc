import { afterEach, describe, expect, it } from 'vitest';
import { dec } from '../../../../core/decimal.ts';
import { silentLogger } from '../../../../core/logger.ts';
import type { ExecutionReport } from '../../../../core/order.ts';
import { BybitVenue } from '../../../../venues/bybit/bybit-venue.ts';
import type { LiveVenue } from '../../../../venues/registry.ts';
import { ccxtVenueOn, setupCcxt } from '../../ccxt/fixtures.ts';
import { btc, eth, FAST, order, orderId, setupBybit, type BybitSetup } from '../fixtures.ts';
import { START } from './harness.ts';

/**
 * Funding settled by the Bybit stand-in, as Bybit settles it at 00:00, 08:00 and 16:00 UTC, reaches Flotilla through
 * both adapters that speak to Bybit: the Bybit adapter (execution topic, execution list) and the ccxt adapter
 * (watchMyTrades with Funding asked for, fetchFundingHistory). Each payment is reported once as FUNDING_SETTLED, with
 * the sign and size the position and the rate give, from the stream, and again by a fresh adapter's fill listing.
 */

const FUNDING_TIME = Date.UTC(2026, 0, 5, 16, 0);

/** What both setups have in common (the ccxt setup has the same shape with its own venue). */
type Setup = Pick<BybitSetup, 'running' | 'accounts' | 'credentials' | 'recorder' | 'trade' | 'close'> & { venue: LiveVenue };

let setup: Setup | undefined;
let second: LiveVenue | undefined;

afterEach(async () => {
  await second?.stop();
  await setup?.close();
  setup = undefined;
  second = undefined;
});

function fundings(reports: readonly ExecutionReport[]): Array<Extract<ExecutionReport, { type: 'FUNDING_SETTLED' }>> {
  return reports.flatMap((report) => (report.type === 'FUNDING_SETTLED' ? [report] : []));
}

/** Buys 0.2 BTC at 60,000, then trades flat minutes at 61,000 until one closes at 16:00 UTC. */
async function holdThroughFunding(current: Setup): Promise<void> {
  const entry = orderId('ENTRY', 1);
  await current.venue.submitOrder(order({ id: entry, side: 'BUY', type: 'MARKET', quantity: '0.2', account: current.accounts[0] as never }));
  current.trade('60000');
  await current.recorder.next('ORDER_FILLED', entry);
  while ((current.running.standin.market.klines.lastMinute('BTCUSDT') ?? 0) < FUNDING_TIME - 60_000) current.trade('61000');
}

const rate = { funding: { rate: dec('0.0001') } };
const adapters: Array<[string, () => Promise<Setup>, (current: Setup) => LiveVenue]> = [
  [
    'the Bybit adapter',
    () => setupBybit({ standin: rate }),
    (current) => new BybitVenue({ name: 'BYBIT', environment: current.running.standin.url, credentials: current.credentials, instruments: [btc, eth], clock: current.running.clock, logger: silentLogger, timeouts: FAST }),
  ],
  ['the ccxt adapter', () => setupCcxt({ standin: rate }), (current) => ccxtVenueOn(current.running, current.credentials)],
];

describe.each(adapters)('funding on the Bybit stand-in through %s', (_name, build, rebuild) => {
  it('is reported once as FUNDING_SETTLED when it settles (a long pays position × mark × rate) and never as a fill', async () => {
    setup = await build();
    const current = setup;
    expect(START).toBeLessThan(FUNDING_TIME);
    await holdThroughFunding(current);
    await current.recorder.until(() => fundings(current.recorder.reports).length > 0, 'FUNDING_SETTLED from the stream');
    const [paid] = fundings(current.recorder.reports);
    expect(paid).toMatchObject({ subAccountId: current.accounts[0], instrumentId: btc.id, at: FUNDING_TIME });
    // 0.2 × 61,000 × 0.0001 = 1.22 paid.
    expect([paid?.amount.toString(), paid?.rate?.toString(), paid?.positionQuantity?.toString(), paid?.markPrice?.toString()]).toEqual(['-1.22', '0.0001', '0.2', '61000']);
    // The venue's balance paid the taker fee of the entry and the funding.
    const balance = await current.venue.balance(current.accounts[0] as never);
    expect(balance.toString()).toBe(dec('100000').sub(dec('0.2').mul(dec('60000')).mul(dec('0.00055'))).sub(dec('1.22')).toString());
    await current.venue.fillsSince(current.accounts[0] as never, null);
    expect(fundings(current.recorder.reports)).toHaveLength(1);
    expect(current.recorder.reports.filter((report) => report.type === 'ORDER_FILLED')).toHaveLength(1);
  });

  it('is reported by a fresh adapter (after a restart) from its fill listing, with the same funding ID', async () => {
    setup = await build();
    const current = setup;
    await holdThroughFunding(current);
    await current.recorder.until(() => fundings(current.recorder.reports).length > 0, 'FUNDING_SETTLED from the stream');
    await current.venue.stop();
    second = rebuild(current);
    const fresh: ExecutionReport[] = [];
    second.onExecutionReport((report) => fresh.push(report));
    await second.start();
    const page = await second.fillsSince(current.accounts[0] as never, null);
    expect(page.fills.map((fill) => fill.clientOrderId)).toEqual([orderId('ENTRY', 1)]);
    expect(fundings(fresh).map((report) => [report.fundingId, report.amount.toString()])).toEqual(fundings(current.recorder.reports).map((report) => [report.fundingId, report.amount.toString()]));
  });
});
