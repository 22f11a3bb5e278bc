import { afterEach, describe, expect, it } from 'vitest';
import { botScope } from '../../../supervisor/store/supervisor-store.ts';
import type { Harness } from './fixture.ts';
import { ALPHA, BRAVO, BTC, ETH, configInput, d, intent, makeHarness } from './fixture.ts';

const HOUR = 3_600_000;

describe('the drawdown halt', () => {
  let h: Harness;
  afterEach(() => h.close());

  /** A long of 1 BTC at 50,000, its stop far enough below to survive marks moved without candles. */
  function longOneBitcoin(): void {
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '1', stop: '49500' })).approvedQuantity?.toString()).toBe('1');
  }

  it('halts a bot whose equity including unrealized PnL falls past its threshold, with the reason recorded', () => {
    h = makeHarness();
    longOneBitcoin();
    h.om.updateMark(BTC, d('42000')); // −8,000: under 10%
    expect(h.om.effectiveState(ALPHA)).toBe('ACTIVE');
    h.om.updateMark(BTC, d('39900')); // −10,100 and fees: past 10%
    expect(h.om.scopeState(botScope(ALPHA))).toMatchObject({ state: 'HALTED', reason: 'DRAWDOWN_HALT' });
    expect(h.om.scopeState(botScope(ALPHA)).detail).toMatch(/drawdown 10\.\d\d%/);
    expect(h.om.effectiveState(BRAVO)).toBe('ACTIVE');
  });

  it("keeps the bot's equity curve, balance plus unrealized PnL, in its own ledger", () => {
    h = makeHarness();
    longOneBitcoin();
    h.clock.advance(1_000);
    h.om.updateMark(BTC, d('51000'));
    const snapshots = h.ledgers.get(ALPHA)!.equitySnapshots(0);
    const last = snapshots.at(-1)!;
    expect(last.equity.eq(h.om.equity(ALPHA))).toBe(true);
    expect(last.unrealizedPnl.toString()).toBe('1000');
    expect(last.balance.add(last.unrealizedPnl).eq(last.equity)).toBe(true);
  });

  it('sets REDUCING instead when the configuration says so', () => {
    h = makeHarness(configInput({}, { alpha: { drawdown: { threshold: '0.05', windowMs: 24 * HOUR, action: 'REDUCING' } } }));
    longOneBitcoin();
    h.om.updateMark(BTC, d('44000'));
    expect(h.om.scopeState(botScope(ALPHA))).toMatchObject({ state: 'REDUCING', reason: 'DRAWDOWN_HALT' });
  });

  it('halts the fleet on the combined equity of all sub-accounts even when no single bot crossed its own threshold', () => {
    h = makeHarness(configInput({ fleetDrawdown: { threshold: '0.04', windowMs: 24 * HOUR, action: 'HALTED' } }));
    longOneBitcoin();
    h.price(ETH, '2000');
    expect(h.om.submitIntent(intent(BRAVO, ETH, 'BUY', { quantity: '10', stop: '1950' })).outcome).toBe('APPROVED');
    h.om.updateMark(BTC, d('45000')); // alpha −5,000: 5% of its own, 1.7% of the fleet
    h.om.updateMark(ETH, d('1300')); // bravo −7,000: 7% of its own; the fleet is down 12,000 of 300,000 = 4%
    expect(h.om.effectiveState(ALPHA)).toBe('HALTED');
    expect(h.om.scopeState('fleet').reason).toBe('DRAWDOWN_HALT');
    expect(h.om.scopeState(botScope(ALPHA)).state).toBe('ACTIVE');
  });

  it('measures from the peak inside the window only', () => {
    h = makeHarness(configInput({}, { alpha: { drawdown: { threshold: '0.10', windowMs: HOUR, action: 'HALTED' } } }));
    longOneBitcoin();
    h.om.updateMark(BTC, d('45000'));
    h.clock.advance(2 * HOUR);
    h.om.updateMark(BTC, d('40000')); // −10,000 from the start, but the start has left the one-hour window
    expect(h.om.effectiveState(ALPHA)).toBe('ACTIVE');
  });

  it('remembers the window peak across a restart', () => {
    h = makeHarness();
    longOneBitcoin();
    h.om.updateMark(BTC, d('52000'));
    h.clock.advance(5_000);
    h.restart();
    h.om.updateMark(BTC, d('41500')); // −10,500 from the 102,000 peak seen before the restart
    expect(h.om.scopeState(botScope(ALPHA)).reason).toBe('DRAWDOWN_HALT');
  });

  it('stays halted across a restart and only an explicit resume clears it, measuring afresh from there', () => {
    h = makeHarness();
    longOneBitcoin();
    h.om.updateMark(BTC, d('39000'));
    h.restart();
    h.om.updateMark(BTC, d('39000'));
    expect(h.om.effectiveState(ALPHA)).toBe('HALTED');
    h.om.resume(botScope(ALPHA));
    h.om.updateMark(BTC, d('38000'));
    expect(h.om.effectiveState(ALPHA)).toBe('ACTIVE');
    // The peak from before the resume is gone for good, restart or not.
    h.clock.advance(5_000);
    h.restart();
    h.om.updateMark(BTC, d('38000'));
    expect(h.om.effectiveState(ALPHA)).toBe('ACTIVE');
  });

  describe('with several windows', () => {
    const DAY = 24 * HOUR;
    /** 10% within a day halts; 15% within 30 days halts too: a fast fall and a slow bleed. */
    const TWO_WINDOWS = [
      { threshold: '0.10', windowMs: DAY, action: 'HALTED' as const },
      { threshold: '0.15', windowMs: 30 * DAY, action: 'HALTED' as const },
    ];

    /** Marks BTC down `percent` a day for `days` days, hourly, and returns alpha's state after each day. */
    function bleed(days: number, dailyFall: string): string[] {
      const states: string[] = [];
      let price = d('50000');
      for (let day = 0; day < days; day++) {
        const target = price.mul(d('1').sub(d(dailyFall)));
        const step = price.sub(target).div(d('24'));
        for (let hour = 0; hour < 24; hour++) {
          h.clock.advance(HOUR);
          price = price.sub(step);
          h.om.updateMark(BTC, price);
        }
        states.push(h.om.scopeState(botScope(ALPHA)).state);
      }
      return states;
    }

    it('test_slow_bleed_when_no_day_falls_past_the_daily_threshold_then_the_30_day_window_halts_it', () => {
      // Arrange
      h = makeHarness(configInput({}, { alpha: { drawdown: TWO_WINDOWS } }));
      longOneBitcoin();
      // Act: about 2% of the bot's equity a day (a 4% fall of a 1 BTC position on 100,000), for nine days
      const states = bleed(9, '0.04');
      // Assert: no day loses 10%, but after nine the 30-day window holds a 15% fall
      expect(states).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'HALTED']);
      expect(h.om.scopeState(botScope(ALPHA))).toMatchObject({ state: 'HALTED', reason: 'DRAWDOWN_HALT' });
      expect(h.om.scopeState(botScope(ALPHA)).detail).toMatch(/reached the threshold of 15% within 2592000000 ms/);
      const windows = h.om.drawdownWindows(botScope(ALPHA));
      expect(windows.map(({ window }) => window.windowMs)).toEqual([DAY, 30 * DAY]);
      expect(windows[0]!.reading!.drawdown.lt(d('0.03'))).toBe(true);
      expect(windows[1]!.reading!.drawdown.gte(d('0.15'))).toBe(true);
    });

    it('test_single_window_when_the_same_bleed_runs_then_nothing_halts_it', () => {
      h = makeHarness(configInput({}, { alpha: { drawdown: TWO_WINDOWS[0] } }));
      longOneBitcoin();
      expect(bleed(9, '0.04')).not.toContain('HALTED');
    });

    it('test_binding_window_when_none_is_breached_then_it_is_the_one_with_most_of_its_threshold_used', () => {
      h = makeHarness(configInput({}, { alpha: { drawdown: TWO_WINDOWS } }));
      longOneBitcoin();
      bleed(3, '0.04'); // ~0.8% over the last day of a 10% threshold; ~2.4% over 30 days of a 15% one
      const binding = h.om.drawdown(botScope(ALPHA))!;
      expect(binding.window.windowMs).toBe(30 * DAY);
      expect(binding.drawdown.gt(d('0.02'))).toBe(true);
    });

    it('test_breached_windows_when_one_reduces_and_one_halts_then_the_halt_is_taken', () => {
      h = makeHarness(
        configInput({}, {
          alpha: {
            drawdown: [
              { threshold: '0.05', windowMs: HOUR, action: 'REDUCING' },
              { threshold: '0.06', windowMs: DAY, action: 'HALTED' },
            ],
          },
        }),
      );
      longOneBitcoin();
      h.om.updateMark(BTC, d('43500')); // −6,500 and fees: past both
      expect(h.om.scopeState(botScope(ALPHA))).toMatchObject({ state: 'HALTED', reason: 'DRAWDOWN_HALT' });
    });

    it('test_restart_when_the_30_day_peak_is_weeks_old_then_it_is_still_measured_from', () => {
      h = makeHarness(configInput({}, { alpha: { drawdown: TWO_WINDOWS } }));
      longOneBitcoin();
      h.om.updateMark(BTC, d('52000')); // the peak: 102,000
      // Three weeks of hourly marks wandering below it, every one persisted.
      for (let hour = 0; hour < 21 * 24; hour++) {
        h.clock.advance(HOUR);
        h.om.updateMark(BTC, d(hour % 2 === 0 ? '45000' : '44000'));
      }
      h.restart();
      h.clock.advance(HOUR);
      h.om.updateMark(BTC, d('36500')); // 102,000 → 86,500: 15.2% from the three-week-old peak, 9% within the day
      expect(h.om.scopeState(botScope(ALPHA)).detail).toMatch(/drawdown 15\.\d\d% from a peak of 101972\.5 .* within 2592000000 ms/);
    });

    it('test_thresholds_when_set_per_window_then_each_outlives_a_restart_and_an_unknown_window_is_refused', () => {
      h = makeHarness(configInput({}, { alpha: { drawdown: TWO_WINDOWS } }));
      h.om.setDrawdownThreshold(botScope(ALPHA), 30 * DAY, d('0.2'));
      expect(() => h.om.setDrawdownThreshold(botScope(ALPHA), 7 * DAY, d('0.2'))).toThrow(/has no drawdown window of 604800000 ms; its windows are 86400000, 2592000000 ms/);
      h.restart();
      expect(h.om.drawdownPolicy(botScope(ALPHA)).map((window) => window.threshold.toString())).toEqual(['0.1', '0.2']);
    });
  });
});
