import { dec, type Decimal } from '../../../core/decimal.ts';
import { parseInstrumentId, type InstrumentId } from '../../../core/ids.ts';
import { TIMEFRAME_MS, type Timeframe, type TimeframeCandle } from '../../../core/strategy.ts';
import type { CandleSource, Unsubscribe } from '../../../supervisor/market-data/candle-source.ts';
import type { SyntheticInstrument } from '../../../supervisor/market-data/synthetic.ts';

export const BTC = parseInstrumentId('BTCUSDT.PAPER');
export const ETH = parseInstrumentId('ETHUSDT.PAPER');
export const QQQ = parseInstrumentId('QQQ.PAPER');

export const btc: SyntheticInstrument = { id: BTC, tickSize: dec('0.1'), lotStep: dec('0.001'), startPrice: dec('60000'), turnoverPerMinute: dec('1200000') };
export const eth: SyntheticInstrument = { id: ETH, tickSize: dec('0.01'), lotStep: dec('0.01'), startPrice: dec('3000'), turnoverPerMinute: dec('900000') };
export const qqq: SyntheticInstrument = { id: QQQ, tickSize: dec('0.01'), lotStep: dec('1'), startPrice: dec('500'), turnoverPerMinute: dec('2500000') };

/** Midnight UTC, so every timeframe's first bucket starts with the market. */
export const START = Date.UTC(2026, 0, 1);
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** A candle by hand; prices as strings. */
export function candle(
  instrumentId: InstrumentId,
  timeframe: Timeframe,
  openTime: number,
  prices: { open: string; high: string; low: string; close: string; volume?: string },
): TimeframeCandle {
  return {
    instrumentId,
    timeframe,
    openTime,
    durationMs: TIMEFRAME_MS[timeframe],
    open: dec(prices.open),
    high: dec(prices.high),
    low: dec(prices.low),
    close: dec(prices.close),
    volume: dec(prices.volume ?? '1'),
  };
}

/** A flat, valid candle at a price. */
export function flat(instrumentId: InstrumentId, timeframe: Timeframe, openTime: number, price = '100'): TimeframeCandle {
  return candle(instrumentId, timeframe, openTime, { open: price, high: price, low: price, close: price });
}

/** A source the test pushes candles through by hand, counting its subscriptions. */
export class ScriptedSource implements CandleSource {
  readonly subscriptions: { instrumentId: InstrumentId; timeframe: Timeframe; onCandle: (candle: TimeframeCandle) => void }[] = [];
  readonly histories = new Map<string, TimeframeCandle[]>();
  subscribeCalls = 0;

  subscribe(instrumentId: InstrumentId, timeframe: Timeframe, onCandle: (candle: TimeframeCandle) => void): Unsubscribe {
    this.subscribeCalls++;
    const subscription = { instrumentId, timeframe, onCandle };
    this.subscriptions.push(subscription);
    return () => {
      const index = this.subscriptions.indexOf(subscription);
      if (index >= 0) this.subscriptions.splice(index, 1);
    };
  }

  history(instrumentId: InstrumentId, timeframe: Timeframe, count: number, endMs: number): TimeframeCandle[] {
    const all = this.histories.get(`${instrumentId} ${timeframe}`) ?? [];
    return all.filter((c) => c.openTime + c.durationMs <= endMs).slice(-count);
  }

  /** Delivers a candle to every subscription of its stream (or of the stream given). */
  push(candle: TimeframeCandle, stream: { instrumentId: InstrumentId; timeframe: Timeframe } = candle): void {
    for (const subscription of [...this.subscriptions]) {
      if (subscription.instrumentId === stream.instrumentId && subscription.timeframe === stream.timeframe) subscription.onCandle(candle);
    }
  }
}

export function sumOf(values: readonly Decimal[]): string {
  return values.reduce((total, value) => total.add(value), dec('0')).toString();
}
