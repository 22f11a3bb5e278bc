import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { Decimal } from '../../../core/decimal.ts';
import { parseBotId, parseIntentId, parseSubAccountId } from '../../../core/ids.ts';
import { quantizePrice, quantizeQuantity } from '../../../core/instrument.ts';
import type { ExecutionReport, Fill, SubmitOrder } from '../../../core/order.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { syntheticInstruments } from '../../../supervisor/backtest/backtest.ts';
import { SyntheticFeed } from '../../../supervisor/backtest/synthetic-feed.ts';
import { catalog, fleetConfigSchema, syntheticCatalog, orderManagerConfigFor } from '../../../supervisor/config/fleet-config.ts';
import { SyntheticCandleSource } from '../../../supervisor/market-data/synthetic-source.ts';
import { syntheticInstrumentsOf } from '../../../supervisor/market-data/synthetic.ts';
import { PaperMatchingEngine } from '../../../venues/paper/matching-engine.ts';
import { orderId } from './fixtures.ts';

const START = Date.UTC(2026, 0, 5);
const MINUTE = 60_000;
const SUB = parseSubAccountId('alpha');

/**
 * The scenario, as a new user would try it: a catalog of one coin at 0.00001 (tick 1e-8, lot 1, minimum
 * notional 5) and nothing else configured, so the synthetic market, the fees, the slippage and the participation
 * cap are the fleet's defaults. Before: the market traded 100 coins a minute (a thousandth of a dollar), the
 * triggered stop filled 971 of 4.8 billion over 93 minutes in fills worth $0.0001 with fees of "0".
 */
const config = fleetConfigSchema.parse({
  instruments: [
    { id: 'SHIBUSDT.BYBIT', kind: 'PERPETUAL', tickSize: '0.00000001', lotStep: '1', minQuantity: '1', minNotional: '5', exposure: { key: 'SHIB', beta: '1' }, startPrice: '0.00001' },
  ],
  exposureKeys: { SHIB: { policy: 'exclusive' } },
});
const instrument = [...orderManagerConfigFor(config, []).instruments.values()][0]!;

function paperEngine(clock: ManualClock): PaperMatchingEngine {
  const paper = config.paper;
  return new PaperMatchingEngine(
    {
      name: 'PAPER',
      seed: paper.seed,
      session: 'shib',
      instruments: [instrument],
      fees: { makerRate: Decimal.parse(paper.makerFeeRate), takerRate: Decimal.parse(paper.takerFeeRate) },
      slippage: { baseBps: Decimal.parse(paper.slippageBaseBps), jitterBps: Decimal.parse(paper.slippageJitterBps) },
      partialFills: { participation: Decimal.parse(paper.participation) },
      accounts: [{ subAccountId: SUB, balance: Decimal.parse(paper.startingBalance), leverage: Decimal.parse(paper.leverage) }],
    },
    clock,
  );
}

function submit(id: SubmitOrder['clientOrderId'], fields: Pick<SubmitOrder, 'side' | 'type' | 'quantity' | 'triggerPrice' | 'reduceOnly' | 'role'> & { parent?: SubmitOrder['clientOrderId'] }): SubmitOrder {
  return {
    clientOrderId: id,
    botId: parseBotId('alpha'),
    subAccountId: SUB,
    intentId: parseIntentId(`intent-${id}`),
    instrumentId: instrument.id,
    limitPrice: null,
    timeInForce: 'GTC',
    parentClientOrderId: fields.parent ?? null,
    activatesOnParentFill: fields.parent !== undefined,
    ...fields,
  };
}

const fillsOf = (reports: readonly ExecutionReport[]): Fill[] => reports.flatMap((report) => (report.type === 'ORDER_FILLED' ? [report.fill] : []));

describe('a low-priced coin on the paper venue with the default synthetic market', () => {
  it('test_stop_when_triggered_on_a_coin_at_0_00001_then_the_position_closes_in_that_candle_with_no_fill_below_the_minimum_and_no_zero_fee', () => {
    // Arrange: the market the fleet would build from this catalog, and a 5,000-dollar long with a stop 1% below.
    const source = new SyntheticCandleSource({ seed: config.marketData.seed, instruments: syntheticInstrumentsOf(syntheticCatalog(config)), startMs: START });
    const minutes: TimeframeCandle[] = [];
    source.subscribe(instrument.id, '1m', (candle) => minutes.push(candle));
    const clock = new ManualClock(START);
    const engine = paperEngine(clock);
    source.advanceTo(START + MINUTE);
    const first = minutes.shift()!;
    engine.onCandle(first);
    const entry = orderId('ENTRY', 1);
    const stop = orderId('STOP', 2);
    const quantity = quantizeQuantity(instrument, Decimal.parse('5000').div(first.close));
    const trigger = quantizePrice(instrument, first.close.mul(Decimal.parse('0.99')), 'down');
    const reports = [
      ...engine.submit(submit(entry, { side: 'BUY', type: 'MARKET', quantity, triggerPrice: null, reduceOnly: false, role: 'ENTRY' })),
      ...engine.submit(submit(stop, { side: 'SELL', type: 'STOP_MARKET', quantity, triggerPrice: trigger, reduceOnly: true, role: 'STOP', parent: entry })),
    ];
    expect(engine.positions(SUB)).toMatchObject([{ quantity }]);

    // Act: minute after minute until the stop has filled, at most a week.
    let stoppedIn: TimeframeCandle | null = null;
    let stopReports: ExecutionReport[] = [];
    for (let minute = 2; minute <= 7 * 1440 && stoppedIn === null; minute++) {
      clock.set(START + minute * MINUTE);
      source.advanceTo(START + minute * MINUTE);
      for (const candle of minutes.splice(0)) {
        const caused = engine.onCandle(candle);
        reports.push(...caused);
        if (fillsOf(caused).some((fill) => fill.clientOrderId === stop)) {
          stoppedIn = candle;
          stopReports = caused;
        }
      }
    }

    // Assert
    expect(stoppedIn).not.toBeNull();
    expect(stoppedIn!.low.lte(trigger)).toBe(true);
    const stopFills = fillsOf(reports).filter((fill) => fill.clientOrderId === stop);
    expect(stopFills).toEqual(fillsOf(stopReports));
    expect(Decimal.sum(stopFills.map((fill) => fill.quantity))).toEqual(quantity);
    expect(engine.positions(SUB)).toEqual([]);
    expect(engine.openOrders(SUB)).toEqual([]);
    for (const fill of fillsOf(reports)) {
      expect(fill.quantity.mul(fill.price).gte(instrument.minNotional)).toBe(true);
      expect(fill.fee.isPositive()).toBe(true);
    }
  });

  it('test_synthetic_backtest_when_the_catalog_has_a_coin_at_0_00001_then_the_feed_runs_and_every_volume_is_on_the_lot_step', () => {
    // Before: "base volume 81037277147 is more than 1000000000 lot steps", from a fixed 1,000,000 turnover at lot 1.
    const feed = new SyntheticFeed({ seed: 3, instruments: syntheticInstruments(config, [instrument.id]), timeframes: ['5m'], startMs: START, endMs: START + 86_400_000 });
    const candles: TimeframeCandle[] = [];
    for (let candle = feed.next(); candle !== undefined; candle = feed.next()) candles.push(candle);

    expect(candles).toHaveLength(288);
    for (const candle of candles) {
      expect(candle.volume.isPositive() && candle.volume.isMultipleOf(instrument.lotStep)).toBe(true);
      expect(candle.low.isMultipleOf(instrument.tickSize)).toBe(true);
    }
    // An ordinary 5-minute candle turns over millions in quote currency, not a thousandth of a dollar.
    const turnover = Decimal.sum(candles.map((candle) => candle.volume.mul(candle.close))).div(Decimal.fromInteger(candles.length));
    expect(turnover.gt(Decimal.fromInteger(1_000_000))).toBe(true);
  });
});
