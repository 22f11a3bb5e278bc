import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { parseInstrumentId } from '../../../core/ids.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { MarketDataHub, MarketDataListenerError, type MarketDataError } from '../../../supervisor/market-data/hub.ts';
import { SyntheticCandleSource } from '../../../supervisor/market-data/synthetic-source.ts';
import { RefusedCandleError } from '../../../supervisor/market-data/validation.ts';
import { BTC, ETH, HOUR, MINUTE, START, ScriptedSource, btc, candle, eth, flat } from './fixtures.ts';

function closeOf(c: TimeframeCandle): number {
  return c.openTime + c.durationMs;
}

/** A synthetic source whose market started `warmUpMs` before the clock, already advanced to now. */
function syntheticHarness(options: { warmUpMs?: number; historyCandles?: number } = {}) {
  const clock = new ManualClock(START + (options.warmUpMs ?? 0));
  const source = new SyntheticCandleSource({ seed: 42, instruments: [btc, eth], startMs: START });
  source.advanceTo(clock.now());
  const errors: MarketDataError[] = [];
  const hub = new MarketDataHub({ clock, source, historyCandles: options.historyCandles ?? 20, onError: (error) => errors.push(error) });
  /** Moves market time on and lets the source emit what closed. */
  const advance = (ms: number): void => {
    clock.advance(ms);
    source.advanceTo(clock.now());
  };
  return { clock, source, hub, errors, advance };
}

function scriptedHarness(historyCandles = 5) {
  const clock = new ManualClock(START + HOUR);
  const source = new ScriptedSource();
  const errors: MarketDataError[] = [];
  const hub = new MarketDataHub({ clock, source, historyCandles, onError: (error) => errors.push(error) });
  return { clock, source, hub, errors };
}

describe('the market-data hub', () => {
  it('shares one upstream per stream among all its subscribers and drops it when the last one leaves', () => {
    const { hub, source, advance } = syntheticHarness();
    const seen = new Map<string, TimeframeCandle[]>();
    for (const bot of ['alpha', 'bravo', 'charlie']) {
      seen.set(bot, []);
      hub.subscribe(bot, [{ instrumentId: BTC, timeframe: '5m' }], (c) => seen.get(bot)?.push(c));
    }
    expect(hub.upstreamCount()).toBe(1);
    expect(source.subscriptionCount()).toBe(1);
    hub.subscribe('delta', [{ instrumentId: BTC, timeframe: '5m' }, { instrumentId: BTC, timeframe: '1m' }], () => {});
    expect(hub.upstreamCount()).toBe(2);
    expect(source.subscriptionCount()).toBe(2);

    advance(HOUR);
    expect(seen.get('alpha')).toHaveLength(12);
    expect(seen.get('bravo')).toEqual(seen.get('alpha'));
    expect(seen.get('charlie')).toEqual(seen.get('alpha'));

    expect(hub.unsubscribe('alpha')).toBe(true);
    expect(hub.unsubscribe('bravo')).toBe(true);
    expect(hub.unsubscribe('charlie')).toBe(true);
    expect(hub.upstreamCount()).toBe(2);
    expect(hub.unsubscribe('delta')).toBe(true);
    expect(hub.upstreamCount()).toBe(0);
    expect(source.subscriptionCount()).toBe(0);
    expect(hub.unsubscribe('delta')).toBe(false);
  });

  it('opens the upstream again for a subscriber that comes after the last one left', () => {
    const { hub, source, advance } = syntheticHarness({ warmUpMs: HOUR });
    hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }], () => {});
    hub.unsubscribe('alpha');
    advance(10 * MINUTE);
    const received: TimeframeCandle[] = [];
    const backfill = hub.subscribe('bravo', [{ instrumentId: BTC, timeframe: '1m' }], (c) => received.push(c));
    expect(source.subscriptionCount()).toBe(1);
    expect(backfill.at(-1)?.openTime).toBe(START + HOUR + 9 * MINUTE);
    advance(MINUTE);
    expect(received.map((c) => c.openTime)).toEqual([START + HOUR + 10 * MINUTE]);
  });

  it('hands a new subscriber historyCandles closed candles per stream, in delivery order', () => {
    const { hub, clock } = syntheticHarness({ warmUpMs: 10 * HOUR + 3 * MINUTE, historyCandles: 20 });
    const backfill = hub.subscribe(
      'alpha',
      [
        { instrumentId: BTC, timeframe: '5m' },
        { instrumentId: BTC, timeframe: '1h' },
        { instrumentId: ETH, timeframe: '5m' },
      ],
      () => {},
    );
    expect(backfill.filter((c) => c.instrumentId === BTC && c.timeframe === '5m')).toHaveLength(20);
    expect(backfill.filter((c) => c.instrumentId === ETH && c.timeframe === '5m')).toHaveLength(20);
    // Only ten hours of market exist, so only ten 1h candles.
    expect(backfill.filter((c) => c.timeframe === '1h')).toHaveLength(10);
    expect(backfill.every((c) => closeOf(c) <= clock.now())).toBe(true);
    const btc5m = backfill.filter((c) => c.instrumentId === BTC && c.timeframe === '5m');
    expect(btc5m.at(-1)?.openTime).toBe(START + 10 * HOUR - 5 * MINUTE);
    for (let i = 1; i < backfill.length; i++) {
      const previous = backfill[i - 1] as TimeframeCandle;
      const current = backfill[i] as TimeframeCandle;
      expect(closeOf(previous) < closeOf(current) || (closeOf(previous) === closeOf(current) && previous.durationMs <= current.durationMs)).toBe(true);
    }
  });

  it('continues a backfill with the next candle: no gap, no repeat', () => {
    const { hub, advance } = syntheticHarness({ warmUpMs: 2 * HOUR });
    const live: TimeframeCandle[] = [];
    const backfill = hub.subscribe('alpha', [{ instrumentId: ETH, timeframe: '15m' }], (c) => live.push(c));
    advance(HOUR);
    const openTimes = [...backfill, ...live].map((c) => c.openTime);
    expect(openTimes).toEqual(Array.from({ length: 12 }, (_, i) => START + i * 15 * MINUTE));
  });

  it('gives a later subscriber the same recent candles the earlier ones were delivered', () => {
    const { hub, advance } = syntheticHarness({ warmUpMs: HOUR, historyCandles: 30 });
    const alpha: TimeframeCandle[] = [];
    const alphaBackfill = hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }], (c) => alpha.push(c));
    advance(10 * MINUTE);
    const bravoBackfill = hub.subscribe('bravo', [{ instrumentId: BTC, timeframe: '1m' }], () => {});
    expect(bravoBackfill).toEqual([...alphaBackfill, ...alpha].slice(-30));
  });

  it('delivers each subscriber its candles in time order across its streams, lower timeframes first', () => {
    const { hub, advance } = syntheticHarness();
    const received: TimeframeCandle[] = [];
    hub.subscribe(
      'alpha',
      [
        { instrumentId: ETH, timeframe: '1h' },
        { instrumentId: BTC, timeframe: '15m' },
        { instrumentId: ETH, timeframe: '1m' },
        { instrumentId: BTC, timeframe: '5m' },
      ],
      (c) => received.push(c),
    );
    advance(3 * HOUR);
    expect(received).toHaveLength(3 + 12 + 180 + 36);
    for (let i = 1; i < received.length; i++) {
      const previous = received[i - 1] as TimeframeCandle;
      const current = received[i] as TimeframeCandle;
      expect(closeOf(previous) < closeOf(current) || (closeOf(previous) === closeOf(current) && previous.durationMs <= current.durationMs)).toBe(true);
    }
  });

  it('refuses a bad candle with an error naming instrument, timeframe and problem, and never delivers it', () => {
    const { hub, source, errors } = scriptedHarness();
    const received: TimeframeCandle[] = [];
    hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }], (c) => received.push(c));
    const t = START;
    const bad: [TimeframeCandle, string][] = [
      [candle(BTC, '1m', t, { open: '100', high: '99', low: '98', close: '99' }), 'HIGH_BELOW_OPEN_OR_CLOSE'],
      [candle(BTC, '1m', t, { open: '100', high: '102', low: '100.5', close: '101' }), 'LOW_ABOVE_OPEN_OR_CLOSE'],
      [candle(BTC, '1m', t, { open: '0', high: '1', low: '0', close: '1' }), 'NON_POSITIVE_PRICE'],
      [candle(BTC, '1m', t, { open: '100', high: '100', low: '100', close: '100', volume: '-1' }), 'NEGATIVE_VOLUME'],
      [flat(BTC, '1m', t + 1), 'MISALIGNED_OPEN_TIME'],
      [{ ...flat(BTC, '1m', t), durationMs: 300_000 }, 'WRONG_DURATION'],
      [flat(ETH, '1m', t), 'WRONG_STREAM'],
      [{ ...flat(BTC, '1m', t), close: 100 as unknown as TimeframeCandle['close'] }, 'MALFORMED'],
    ];
    for (const [badCandle] of bad) source.push(badCandle, { instrumentId: BTC, timeframe: '1m' });
    expect(received).toEqual([]);
    expect(errors.map((error) => (error instanceof RefusedCandleError ? error.problem : error.name))).toEqual(bad.map(([, problem]) => problem));
    for (const error of errors) {
      expect(error).toBeInstanceOf(RefusedCandleError);
      expect(error.message).toContain('BTCUSDT.PAPER');
      expect(error.message).toContain('1m');
    }
    expect(errors[0]?.message).toBe(
      'refused 1m candle for BTCUSDT.PAPER opening at 2026-01-01T00:00:00.000Z: HIGH_BELOW_OPEN_OR_CLOSE: O 100 H 99 L 98 C 99',
    );

    source.push(flat(BTC, '1m', t));
    expect(received.map((c) => c.openTime)).toEqual([t]);
    expect(hub.lagMs(BTC, '1m')).not.toBeNull();
  });

  it('refuses a candle that is not after the previous one on its stream', () => {
    const { hub, source, errors } = scriptedHarness();
    const received: TimeframeCandle[] = [];
    hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '5m' }], (c) => received.push(c));
    source.push(flat(BTC, '5m', START + 10 * MINUTE));
    source.push(flat(BTC, '5m', START + 10 * MINUTE));
    source.push(flat(BTC, '5m', START + 5 * MINUTE));
    source.push(flat(BTC, '5m', START + 20 * MINUTE));
    expect(received.map((c) => c.openTime)).toEqual([START + 10 * MINUTE, START + 20 * MINUTE]);
    expect(errors.map((error) => (error as RefusedCandleError).problem)).toEqual(['NOT_AFTER_PREVIOUS', 'NOT_AFTER_PREVIOUS']);
  });

  it('validates the backfill too, and leaves out a history candle that has not closed yet', () => {
    const { hub, source, errors, clock } = scriptedHarness(10);
    source.histories.set(`${BTC} 1m`, [
      flat(BTC, '1m', START),
      candle(BTC, '1m', START + MINUTE, { open: '100', high: '90', low: '80', close: '85' }),
      flat(BTC, '1m', START + 2 * MINUTE),
    ]);
    // The scripted source returns history up to its end time; add the forming candle as a venue would.
    const history = source.history.bind(source);
    source.history = (instrumentId, timeframe, count, endMs) => [...history(instrumentId, timeframe, count, endMs), flat(BTC, '1m', clock.now() - 1000)];
    const backfill = hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }], () => {});
    expect(backfill.map((c) => c.openTime)).toEqual([START, START + 2 * MINUTE]);
    expect(errors).toHaveLength(1);
    expect((errors[0] as RefusedCandleError).problem).toBe('HIGH_BELOW_OPEN_OR_CLOSE');
  });

  it('measures lag as the clock time of delivery minus the candle close, per stream', () => {
    const { hub, source, clock } = scriptedHarness();
    hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }, { instrumentId: BTC, timeframe: '5m' }], () => {});
    expect(hub.lagMs(BTC, '1m')).toBeNull();
    const t = START + HOUR;
    clock.set(t + 5 * MINUTE + 1500);
    source.push(flat(BTC, '1m', t + 4 * MINUTE));
    expect(hub.lagMs(BTC, '1m')).toBe(1500);
    clock.advance(250);
    source.push(flat(BTC, '5m', t));
    expect(hub.lagMs(BTC, '5m')).toBe(1750);
    expect(hub.lagMs(BTC, '1m')).toBe(1500);
    expect(hub.lagMs(ETH, '1m')).toBeNull();
    expect(hub.streams()).toEqual([
      { instrumentId: BTC, timeframe: '1m', subscribers: 1, lagMs: 1500 },
      { instrumentId: BTC, timeframe: '5m', subscribers: 1, lagMs: 1750 },
    ]);
  });

  it('reports the lag of a synthetic feed that is advanced late', () => {
    const { hub, clock, source } = syntheticHarness();
    hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }], () => {});
    clock.advance(2 * MINUTE + 700);
    source.advanceTo(clock.now());
    expect(hub.lagMs(BTC, '1m')).toBe(700);
  });

  it('shows every candle of every open stream to every-candle listeners, before any subscriber', () => {
    const { hub, advance } = syntheticHarness();
    const order: string[] = [];
    const stop = hub.onEveryCandle('paper-venue', (c) => order.push(`venue ${c.instrumentId} ${c.timeframe}`));
    expect(hub.upstreamCount()).toBe(0);
    hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }], (c) => order.push(`alpha ${c.instrumentId} ${c.timeframe}`));
    hub.subscribe('bravo', [{ instrumentId: ETH, timeframe: '5m' }], (c) => order.push(`bravo ${c.instrumentId} ${c.timeframe}`));
    advance(5 * MINUTE);
    expect(order.slice(-4)).toEqual([`venue ${BTC} 1m`, `alpha ${BTC} 1m`, `venue ${ETH} 5m`, `bravo ${ETH} 5m`]);
    expect(order.filter((line) => line.startsWith('venue'))).toHaveLength(6);
    stop();
    advance(MINUTE);
    expect(order.at(-1)).toBe(`alpha ${BTC} 1m`);
  });

  it('keeps delivering to the others when one listener throws, and reports which one failed', () => {
    const { hub, source, errors } = scriptedHarness();
    const received: string[] = [];
    hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }], () => {
      throw new Error('indicator blew up');
    });
    hub.subscribe('bravo', [{ instrumentId: BTC, timeframe: '1m' }], (c) => received.push(`bravo ${c.openTime}`));
    source.push(flat(BTC, '1m', START));
    expect(received).toEqual([`bravo ${START}`]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(MarketDataListenerError);
    expect(errors[0]?.message).toMatch(/listener alpha failed on the 1m candle for BTCUSDT.PAPER.*indicator blew up/);
  });

  it('hands every listener the same frozen candle, so none can change what the next one sees', () => {
    const { hub, source } = scriptedHarness();
    const received: TimeframeCandle[] = [];
    hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }], (c) => {
      received.push(c);
      expect(() => {
        (c as { openTime: number }).openTime = 0;
      }).toThrow(TypeError);
    });
    hub.subscribe('bravo', [{ instrumentId: BTC, timeframe: '1m' }], (c) => received.push(c));
    source.push(flat(BTC, '1m', START));
    expect(received).toHaveLength(2);
    expect(received[1]?.openTime).toBe(START);
    expect(Object.isFrozen(received[0])).toBe(true);
  });

  it('refuses a second subscription under one id and an empty one', () => {
    const { hub } = scriptedHarness();
    hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }], () => {});
    expect(() => hub.subscribe('alpha', [{ instrumentId: ETH, timeframe: '1m' }], () => {})).toThrow(/already subscribed/);
    expect(() => hub.subscribe('bravo', [], () => {})).toThrow(/no stream/);
    expect(hub.upstreamCount()).toBe(1);
  });

  it('leaves nothing behind when the source refuses one of the streams asked for', () => {
    const { hub, source } = syntheticHarness();
    const unknown = { instrumentId: parseInstrumentId('SOLUSDT.PAPER'), timeframe: '1m' as const };
    expect(() => hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }, unknown], () => {})).toThrow(/no stream/);
    expect(hub.upstreamCount()).toBe(0);
    expect(source.subscriptionCount()).toBe(0);
    hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }], () => {});
    expect(hub.upstreamCount()).toBe(1);
  });

  it('ignores a candle the source sends after the upstream was dropped', () => {
    const { hub, source, errors } = scriptedHarness();
    hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }], () => {});
    const late = source.subscriptions[0];
    hub.unsubscribe('alpha');
    late?.onCandle(flat(BTC, '1m', START));
    expect(errors).toEqual([]);
    expect(hub.upstreamCount()).toBe(0);
  });

  it('closes every upstream on close()', () => {
    const { hub, source } = syntheticHarness();
    hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }], () => {});
    hub.subscribe('bravo', [{ instrumentId: ETH, timeframe: '1h' }], () => {});
    hub.close();
    expect(hub.upstreamCount()).toBe(0);
    expect(source.subscriptionCount()).toBe(0);
  });
});
