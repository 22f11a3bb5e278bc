import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../../core/decision.ts';
import { Decimal } from '../../../core/decimal.ts';
import type { BotId, InstrumentId, IntentId } from '../../../core/ids.ts';
import { SupervisorStore } from '../../../supervisor/store/supervisor-store.ts';
import type { Scope } from '../../../supervisor/store/supervisor-store.ts';
import { ALPHA, configInput, d, makeHarness } from '../order-manager/fixture.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 0, 1);
const SCOPE: Scope = 'bot:alpha';

function decision(index: number, decidedAt: number): Decision {
  return {
    botId: 'alpha' as BotId,
    intentId: `intent-${index}` as IntentId,
    instrumentId: 'BTCUSDT.BYBIT' as InstrumentId,
    outcome: 'DENIED',
    reason: 'TRADING_HALTED',
    detail: 'halted',
    requestedQuantity: null,
    approvedQuantity: null,
    clientOrderId: null,
    decidedAt,
    latencyNs: 1_000,
  };
}

describe('the supervisor store', () => {
  let dir = '';
  let store: SupervisorStore | null = null;
  afterEach(() => {
    store?.close();
    store = null;
    rmSync(dir, { recursive: true, force: true });
  });

  function open(): SupervisorStore {
    dir ||= mkdtempSync(join(tmpdir(), 'flotilla-store-'));
    store = new SupervisorStore(join(dir, 'supervisor.sqlite'));
    return store;
  }

  it('test_equity_samples_when_a_month_is_recorded_then_only_the_falling_staircase_of_peaks_is_kept_and_every_window_peak_is_the_same', () => {
    // Arrange: a month of samples a minute apart, wandering.
    const s = open();
    const all: Array<{ at: number; equity: number }> = [];
    let equity = 100_000;
    let seed = 7;
    for (let minute = 0; minute < 30 * 24 * 60; minute++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      equity += ((seed / 2_147_483_648) - 0.5) * 50;
      all.push({ at: START + minute * 60_000, equity: Math.round(equity * 100) / 100 });
    }
    // Act
    for (const sample of all) s.recordEquitySample({ scope: SCOPE, at: sample.at, equity: Decimal.fromNumber(sample.equity, 2) }, 30 * DAY);
    s.close();
    store = null;
    const kept = open().equitySamplesSince(0);
    // Assert: about a thousand rows instead of 43,200, and the same peak over any window ending now.
    expect(kept.length).toBeLessThan(2_000);
    const last = (all.at(-1) as { at: number }).at;
    for (const windowMs of [HOUR, DAY, 7 * DAY, 30 * DAY]) {
      const truePeak = Decimal.fromNumber(Math.max(...all.filter((sample) => sample.at >= last - windowMs).map((sample) => sample.equity)), 2).toString();
      const keptPeak = kept.filter((sample) => sample.at >= last - windowMs).reduce((peak, sample) => Decimal.max(peak, sample.equity), Decimal.ZERO).toString();
      expect({ windowMs, peak: keptPeak }).toEqual({ windowMs, peak: truePeak });
    }
  });

  it('test_decisions_when_older_than_the_retention_age_then_pruned_even_under_the_count', () => {
    const s = open();
    for (let day = 0; day < 10; day++) s.recordDecision(decision(day, START + day * DAY), '{}');
    s.pruneDecisions(1_000, START + 7 * DAY);
    expect(s.recentDecisions(100).map((kept) => kept.decidedAt)).toEqual([9, 8, 7].map((day) => START + day * DAY));
    s.pruneDecisions(2, START);
    expect(s.recentDecisions(100)).toHaveLength(2);
    s.pruneDecisions(1_000, START + 100 * DAY);
    expect(s.recentDecisions(100)).toEqual([]);
  });

  it('test_latest_recorded_at_when_decisions_states_and_samples_are_recorded_then_it_is_the_latest_of_them', () => {
    const s = open();
    expect(s.latestRecordedAt()).toBeNull();
    s.recordDecision(decision(1, START + 5_000), '{}');
    s.saveState({ scope: SCOPE, state: 'HALTED', reason: 'OPERATOR_HALT', detail: 'x', changedAt: START + 9_000, flattenPending: false });
    s.recordEquitySample({ scope: 'fleet', at: START + 7_000, equity: Decimal.ONE }, DAY);
    expect(s.latestRecordedAt()).toBe(START + 9_000);
  });

  it('test_threshold_set_before_windows_existed_when_the_store_is_migrated_then_it_applies_to_the_first_window', () => {
    // Arrange: a store as the last build left it (schema 3, a threshold per scope), made by turning a new one back.
    open().close();
    store = null;
    const raw = new DatabaseSync(join(dir, 'supervisor.sqlite'));
    raw.exec(`DROP TABLE drawdown_window_thresholds;
      CREATE TABLE drawdown_thresholds (scope TEXT PRIMARY KEY, threshold TEXT NOT NULL);
      INSERT INTO drawdown_thresholds (scope, threshold) VALUES ('bot:alpha', '0.04');
      DROP TABLE known_bots;
      DROP TABLE hourly_notes;
      DROP TABLE hourly_risk;
      PRAGMA user_version = 3;`);
    raw.close();
    // Act: the order manager starts on it, alpha now with two windows.
    const windows = [
      { threshold: '0.10', windowMs: DAY, action: 'HALTED' as const },
      { threshold: '0.15', windowMs: 30 * DAY, action: 'HALTED' as const },
    ];
    const h = makeHarness(configInput({}, { alpha: { drawdown: windows } }), { dir });
    try {
      // Assert: moved to the first window, and kept there across another restart.
      expect(h.om.drawdownPolicy(`bot:${ALPHA}`).map((window) => window.threshold.toString())).toEqual(['0.04', '0.15']);
      h.restart();
      expect(h.om.drawdownPolicy(`bot:${ALPHA}`).map((window) => window.threshold.toString())).toEqual(['0.04', '0.15']);
      expect(h.store.loadThresholds()).toEqual([{ scope: 'bot:alpha', windowMs: DAY, threshold: d('0.04') }]);
    } finally {
      h.close();
      dir = '';
    }
  });
});
