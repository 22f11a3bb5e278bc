import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import { parseInstrumentId } from '../../../core/ids.ts';
import { TIMEFRAMES, TIMEFRAME_MS, type Timeframe, type TimeframeCandle } from '../../../core/strategy.ts';
import { MARKET_REGIMES, type MarketRegime } from '../../../supervisor/market-data/regimes.ts';
import { SyntheticMarket, type SyntheticInstrument, type SyntheticMarketOptions } from '../../../supervisor/market-data/synthetic.ts';
import { BTC, DAY, ETH, HOUR, MINUTE, START, btc, eth, qqq, sumOf } from './fixtures.ts';

function generate(options: SyntheticMarketOptions, untilMs: number): TimeframeCandle[] {
  const market = new SyntheticMarket(options);
  const candles: TimeframeCandle[] = [];
  market.advanceTo(untilMs, (tickCandle) => candles.push(market.toCandle(tickCandle)));
  return candles;
}

function text(candles: readonly TimeframeCandle[]): string {
  return JSON.stringify(candles);
}

/** Compares as text, reporting only the first difference rather than thousands of candles. */
function expectSameCandles(actual: readonly TimeframeCandle[], expected: readonly TimeframeCandle[]): void {
  expect(actual.length).toBe(expected.length);
  const index = actual.findIndex((candle, i) => JSON.stringify(candle) !== JSON.stringify(expected[i]));
  expect(index === -1 ? null : { index, actual: actual[index], expected: expected[index] }).toBeNull();
}

function mean(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total / values.length;
}

function autocorrelation(values: readonly number[], lag: number): number {
  const average = mean(values);
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < values.length; i++) {
    const deviation = (values[i] as number) - average;
    denominator += deviation * deviation;
    if (i >= lag) numerator += deviation * ((values[i - lag] as number) - average);
  }
  return numerator / denominator;
}

function correlation(a: readonly number[], b: readonly number[]): number {
  const meanA = mean(a);
  const meanB = mean(b);
  let product = 0;
  let squaresA = 0;
  let squaresB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as number) - meanA;
    const y = (b[i] as number) - meanB;
    product += x * y;
    squaresA += x * x;
    squaresB += y * y;
  }
  return product / Math.sqrt(squaresA * squaresB);
}

/** Regime of every 1m candle and its absolute log return and volume, over a long run of one instrument. */
function longRun(seed: number, days: number): { regimes: MarketRegime[]; absoluteReturns: number[]; volumes: number[] } {
  const market = new SyntheticMarket({ seed, instruments: [btc], startMs: START, timeframes: ['1m'] });
  const regimes: MarketRegime[] = [];
  const absoluteReturns: number[] = [];
  const volumes: number[] = [];
  market.advanceTo(START + days * DAY, (tickCandle) => {
    regimes.push(market.regime(tickCandle.instrumentId));
    absoluteReturns.push(Math.abs(Math.log(tickCandle.close / tickCandle.open)));
    volumes.push(tickCandle.volume);
  });
  return { regimes, absoluteReturns, volumes };
}

describe('the synthetic market', () => {
  it('generates the same candles for the same seed, instrument and start price', () => {
    const options = { seed: 7, instruments: [btc, eth], startMs: START };
    expectSameCandles(generate(options, START + 2 * DAY), generate(options, START + 2 * DAY));
  });

  it('generates different candles for another seed or another start price', () => {
    const base = text(generate({ seed: 7, instruments: [btc], startMs: START, timeframes: ['1m'] }, START + HOUR));
    expect(text(generate({ seed: 8, instruments: [btc], startMs: START, timeframes: ['1m'] }, START + HOUR))).not.toBe(base);
    const cheaper = { ...btc, startPrice: dec('59000') };
    expect(text(generate({ seed: 7, instruments: [cheaper], startMs: START, timeframes: ['1m'] }, START + HOUR))).not.toBe(base);
  });

  it('keeps an instrument series unchanged when other instruments are added', () => {
    const alone = generate({ seed: 3, instruments: [eth], startMs: START, timeframes: ['1m'] }, START + DAY);
    const together = generate({ seed: 3, instruments: [btc, eth, qqq], startMs: START, timeframes: ['1m'] }, START + DAY).filter((c) => c.instrumentId === ETH);
    expectSameCandles(together, alone);
  });

  it('emits the same candles whether advanced in one step or minute by minute', () => {
    const options = { seed: 11, instruments: [btc, eth], startMs: START };
    const stepped: TimeframeCandle[] = [];
    const market = new SyntheticMarket(options);
    for (let t = START; t < START + 6 * HOUR; t += 17_000) market.advanceTo(t, (c) => stepped.push(market.toCandle(c)));
    market.advanceTo(START + 6 * HOUR, (c) => stepped.push(market.toCandle(c)));
    expectSameCandles(stepped, generate(options, START + 6 * HOUR));
  });

  it('keeps every candle of every timeframe consistent: high above and low below the body, prices positive, on the tick', () => {
    const instruments: SyntheticInstrument[] = [btc, eth, qqq, { ...qqq, id: parseInstrumentId('PENNY.PAPER'), startPrice: dec('0.05') }];
    const candles = generate({ seed: 5, instruments, startMs: START }, START + 20 * DAY);
    expect(candles.length).toBeGreaterThan(4 * 20 * 1440);
    const ticks = new Map(instruments.map((instrument) => [instrument.id, instrument.tickSize]));
    const problems = candles.filter((c) => {
      const tick = ticks.get(c.instrumentId) ?? dec('1');
      return (
        !c.low.isPositive() ||
        c.high.lt(c.open) ||
        c.high.lt(c.close) ||
        c.low.gt(c.open) ||
        c.low.gt(c.close) ||
        c.volume.isNegative() ||
        ![c.open, c.high, c.low, c.close].every((price) => price.isMultipleOf(tick))
      );
    });
    expect(problems).toEqual([]);
  });

  it('aligns every candle to its timeframe and gives it the timeframe duration', () => {
    const candles = generate({ seed: 5, instruments: [btc], startMs: START }, START + 3 * DAY);
    for (const timeframe of TIMEFRAMES) {
      const ofTimeframe = candles.filter((c) => c.timeframe === timeframe);
      expect(ofTimeframe.length).toBe((3 * DAY) / TIMEFRAME_MS[timeframe]);
      expect(ofTimeframe.every((c) => c.openTime % TIMEFRAME_MS[timeframe] === 0 && c.durationMs === TIMEFRAME_MS[timeframe])).toBe(true);
    }
  });

  it('makes every higher-timeframe candle exactly the aggregate of its 1m candles', () => {
    const candles = generate({ seed: 9, instruments: [btc, eth], startMs: START }, START + 2 * DAY);
    const minutes = new Map(candles.filter((c) => c.timeframe === '1m').map((c) => [`${c.instrumentId} ${c.openTime}`, c]));
    const higher = candles.filter((c) => c.timeframe !== '1m');
    expect(higher.length).toBeGreaterThan(0);
    for (const aggregate of higher) {
      const parts: TimeframeCandle[] = [];
      for (let t = aggregate.openTime; t < aggregate.openTime + aggregate.durationMs; t += MINUTE) {
        const part = minutes.get(`${aggregate.instrumentId} ${t}`);
        if (part === undefined) throw new Error(`missing 1m candle at ${t}`);
        parts.push(part);
      }
      const first = parts[0] as TimeframeCandle;
      const last = parts[parts.length - 1] as TimeframeCandle;
      expect({
        open: aggregate.open.toString(),
        high: aggregate.high.toString(),
        low: aggregate.low.toString(),
        close: aggregate.close.toString(),
        volume: aggregate.volume.toString(),
      }).toEqual({
        open: first.open.toString(),
        high: parts.reduce((max, p) => (p.high.gt(max) ? p.high : max), first.high).toString(),
        low: parts.reduce((min, p) => (p.low.lt(min) ? p.low : min), first.low).toString(),
        close: last.close.toString(),
        volume: sumOf(parts.map((p) => p.volume)),
      });
    }
  });

  it('opens each candle at the previous close, so the 1m series has no gaps', () => {
    const candles = generate({ seed: 2, instruments: [eth], startMs: START, timeframes: ['1m'] }, START + DAY);
    for (let i = 1; i < candles.length; i++) expect((candles[i] as TimeframeCandle).open.eq((candles[i - 1] as TimeframeCandle).close)).toBe(true);
  });

  it('never emits a higher-timeframe candle whose bucket began before the market started', () => {
    const candles = generate({ seed: 1, instruments: [btc], startMs: START + 7 * MINUTE + 1 }, START + 2 * DAY);
    const firstOpen = (timeframe: Timeframe): number | undefined => candles.find((c) => c.timeframe === timeframe)?.openTime;
    expect(firstOpen('1m')).toBe(START + 8 * MINUTE);
    expect(firstOpen('5m')).toBe(START + 10 * MINUTE);
    expect(firstOpen('15m')).toBe(START + 15 * MINUTE);
    expect(firstOpen('1h')).toBe(START + HOUR);
    expect(firstOpen('4h')).toBe(START + 4 * HOUR);
    expect(firstOpen('1d')).toBe(START + DAY);
  });

  it('emits by close time, lower timeframes first at equal close times, then in instrument order', () => {
    const candles = generate({ seed: 4, instruments: [btc, eth], startMs: START }, START + 2 * DAY);
    const order = (c: TimeframeCandle): [number, number, number] => [c.openTime + c.durationMs, c.durationMs, c.instrumentId === BTC ? 0 : 1];
    for (let i = 1; i < candles.length; i++) {
      const [closeA, durationA, instrumentA] = order(candles[i - 1] as TimeframeCandle);
      const [closeB, durationB, instrumentB] = order(candles[i] as TimeframeCandle);
      const inOrder = closeA < closeB || (closeA === closeB && (durationA < durationB || (durationA === durationB && instrumentA < instrumentB)));
      expect(inOrder).toBe(true);
    }
  });

  it('visits every regime over a long run and keeps each spell for hours to days', () => {
    for (const seed of [1, 2, 3]) {
      const { regimes } = longRun(seed, 120);
      const spells: { regime: MarketRegime; minutes: number }[] = [];
      for (const regime of regimes) {
        const last = spells[spells.length - 1];
        if (last?.regime === regime) last.minutes++;
        else spells.push({ regime, minutes: 1 });
      }
      expect(new Set(regimes)).toEqual(new Set(MARKET_REGIMES));
      // The first and last spells are cut by the run; every other one lasted at least an hour.
      expect(Math.min(...spells.slice(1, -1).map((spell) => spell.minutes))).toBeGreaterThanOrEqual(60);
      const meanHours = mean(spells.map((spell) => spell.minutes)) / 60;
      expect(meanHours).toBeGreaterThan(6);
      expect(meanHours).toBeLessThan(72);
    }
  });

  it('clusters volatility: absolute 1m returns are clearly autocorrelated', () => {
    const { absoluteReturns } = longRun(21, 30);
    expect(autocorrelation(absoluteReturns, 1)).toBeGreaterThan(0.15);
    expect(autocorrelation(absoluteReturns, 30)).toBeGreaterThan(0.1);
  });

  it('trades more volume on candles that move more', () => {
    const { absoluteReturns, volumes } = longRun(22, 10);
    expect(correlation(absoluteReturns, volumes)).toBeGreaterThan(0.4);
  });

  it('sets volume in quote currency: an ordinary minute turns over about the instrument\'s turnover, at 60,000 as at 0.00001', () => {
    const shib: SyntheticInstrument = { id: parseInstrumentId('SHIBUSDT.PAPER'), tickSize: dec('0.00000001'), lotStep: dec('1'), startPrice: dec('0.00001'), turnoverPerMinute: dec('1200000') };
    const candles = generate({ seed: 9, instruments: [btc, shib], startMs: START, timeframes: ['1m'] }, START + 5 * DAY);
    const meanTurnover = (id: string): number => mean(candles.filter((c) => c.instrumentId === id).map((c) => c.volume.mul(c.close).toNumber()));
    for (const id of [BTC, shib.id]) {
      expect(meanTurnover(id)).toBeGreaterThan(0.3 * 1_200_000);
      expect(meanTurnover(id)).toBeLessThan(5 * 1_200_000);
    }
    expect(meanTurnover(shib.id) / meanTurnover(BTC)).toBeGreaterThan(0.5);
    expect(meanTurnover(shib.id) / meanTurnover(BTC)).toBeLessThan(2);
  });

  it('keeps every volume a whole number of lot steps, counting a very cheap coin\'s volume in a power of ten of them', () => {
    const shib: SyntheticInstrument = { id: parseInstrumentId('SHIBUSDT.PAPER'), tickSize: dec('0.00000001'), lotStep: dec('1'), startPrice: dec('0.00001') };
    const market = new SyntheticMarket({ seed: 9, instruments: [btc, shib], startMs: START });
    const candles: TimeframeCandle[] = [];
    market.advanceTo(START + 2 * DAY, (tickCandle) => candles.push(market.toCandle(tickCandle)));

    expect(market.volumeStep(BTC)).toEqual(dec('0.001'));
    // 1,000,000 a minute at 0.00001 is 10^11 coins: counted in thousands, 10^8 of them.
    expect(market.volumeStep(shib.id)).toEqual(dec('1000'));
    expect(candles.every((c) => c.volume.isMultipleOf(c.instrumentId === BTC ? dec('0.001') : dec('1000')))).toBe(true);
    const daily = candles.filter((c) => c.instrumentId === shib.id && c.timeframe === '1d');
    expect(daily).toHaveLength(2);
    expect(daily.every((c) => c.volume.isPositive())).toBe(true);
  });

  it('scales volume with the turnover and leaves prices untouched', () => {
    const tenfold = { ...btc, turnoverPerMinute: btc.turnoverPerMinute!.mul(dec('10')) };
    const base = generate({ seed: 4, instruments: [btc], startMs: START, timeframes: ['1m'] }, START + DAY);
    const more = generate({ seed: 4, instruments: [tenfold], startMs: START, timeframes: ['1m'] }, START + DAY);
    expect(more.map((c) => c.close.toString())).toEqual(base.map((c) => c.close.toString()));
    const ratio = mean(more.map((c) => c.volume.toNumber())) / mean(base.map((c) => c.volume.toNumber()));
    expect(ratio).toBeCloseTo(10, 2);
  });

  it('trends in the trending regimes: the mean 1m return follows the regime', () => {
    const market = new SyntheticMarket({ seed: 6, instruments: [btc], startMs: START, timeframes: ['1m'] });
    const returns = new Map<MarketRegime, number[]>(MARKET_REGIMES.map((regime) => [regime, []]));
    market.advanceTo(START + 200 * DAY, (c) => returns.get(market.regime(BTC))?.push(Math.log(c.close / c.open)));
    expect(mean(returns.get('TRENDING_UP') ?? [])).toBeGreaterThan(0);
    expect(mean(returns.get('TRENDING_DOWN') ?? [])).toBeLessThan(0);
  });

  it('refuses instruments it cannot price and options it cannot honour, naming the problem', () => {
    const make = (overrides: Partial<SyntheticMarketOptions>): SyntheticMarket => new SyntheticMarket({ seed: 1, instruments: [btc], startMs: START, ...overrides });
    expect(() => make({ instruments: [] })).toThrow(InvalidInputError);
    expect(() => make({ instruments: [btc, btc] })).toThrow(/listed twice/);
    expect(() => make({ instruments: [{ ...btc, tickSize: dec('0') }] })).toThrow(/tick size/);
    expect(() => make({ instruments: [{ ...btc, startPrice: dec('0.01') }] })).toThrow(/at least one tick/);
    expect(() => make({ instruments: [{ ...btc, turnoverPerMinute: dec('0') }] })).toThrow(/turnover per minute must be positive/);
    expect(() => make({ timeframes: [] })).toThrow(/timeframe/);
    expect(() => make({ seed: 1.5 })).toThrow(/seed/);
    expect(() => make({}).regime(ETH)).toThrow(/no instrument/);
  });
});
