import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { confidenceFrom, loadLinearModel } from '../../../bots/adaptive/signal-model.ts';
import type { SignalFeatures, SignalModel } from '../../../bots/adaptive/signal-model.ts';
import type { StrategyAction } from '../../../core/strategy.ts';
import type { Overrides } from './fixtures.ts';
import { BOT_FOLDER, DEFAULTS, ETH, notesAt, ordersOf, readingAfter, simulate, strategy } from './fixtures.ts';
import { BREAKOUT_RUN, PULLBACK_RUN, SHORT_BREAKOUT_RUN, SIGNAL } from './scenarios.ts';

const ENABLED: Overrides = { signalModel: { enabled: true } };
const folder = mkdtempSync(join(tmpdir(), 'adaptive-model-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Reads models from a scratch folder, as the bot reads its own folder. */
const fromScratch = { loadModel: (path: string): SignalModel => loadLinearModel(pathToFileURL(join(folder, path))) };

/** Writes a model file into the scratch folder; the parameters that enable it. */
function modelAt(name: string, content: unknown): Overrides {
  writeFileSync(join(folder, name), typeof content === 'string' ? content : JSON.stringify(content));
  return { signalModel: { enabled: true, path: name } };
}

const modelNotes = (log: string[]): string[] => log.filter((line) => line.includes('SIGNAL_MODEL'));

function entryRisk(actions: Array<{ action: StrategyAction }>): string | null {
  const enter = actions.find((step) => step.action.type === 'ENTER')?.action;
  return enter?.type === 'ENTER' && enter.size.kind === 'RISK' ? enter.size.riskFraction.toString() : null;
}

describe('signal model status', () => {
  it('test_model_when_disabled_then_never_loaded_and_status_disabled_once', () => {
    // Arrange
    let loads = 0;
    const subject = strategy({}, { loadModel: () => { loads++; throw new Error('must not load'); } });
    // Act
    const simulation = simulate(subject, BREAKOUT_RUN);
    // Assert
    expect(loads).toBe(0);
    expect(modelNotes(simulation.log)).toEqual(['0:NOTE SIGNAL_MODEL=DISABLED']);
  });

  it('test_model_when_the_shipped_file_is_enabled_then_active_and_it_adjusts_the_confidence', () => {
    // Act
    const simulation = simulate(strategy({ signalModel: { enabled: true, maxConfidence: 2 } }), BREAKOUT_RUN);
    // Assert
    expect(modelNotes(simulation.log)).toEqual(['0:NOTE SIGNAL_MODEL=ACTIVE']);
    expect(entryRisk(simulation.steps)).not.toBe(String(DEFAULTS.riskFraction));
  });

  it('test_model_when_the_file_is_missing_then_fallback_and_it_still_trades_on_the_rules', () => {
    // Act
    const simulation = simulate(strategy({ signalModel: { enabled: true, path: 'no-such-model.json' } }), BREAKOUT_RUN);
    // Assert
    expect(modelNotes(simulation.log)).toEqual(['0:NOTE SIGNAL_MODEL=FALLBACK']);
    expect(entryRisk(simulation.steps)).toBe('0.004');
    expect(ordersOf(simulation).map((step) => step.action.type)).toEqual(['ENTER', 'MOVE_STOP', 'MOVE_STOP', 'MOVE_STOP']);
  });

  it.each([
    ['not_json', '{ "kind": "linear", '],
    ['an_unknown_feature', { kind: 'linear', bias: 0, weights: { rsi: 1 } }],
    ['a_non_numeric_weight', { kind: 'linear', bias: 0, weights: { adx: 'high' } }],
    ['another_kind', { kind: 'tree', bias: 0, weights: {} }],
  ])('test_model_when_the_file_has_%s_then_fallback_and_it_still_trades', (name, content) => {
    // Act
    const simulation = simulate(strategy(modelAt(`${name}.json`, content), fromScratch), BREAKOUT_RUN);
    // Assert
    expect(modelNotes(simulation.log)).toEqual(['0:NOTE SIGNAL_MODEL=FALLBACK']);
    expect(entryRisk(simulation.steps)).toBe('0.004');
  });

  it('test_model_when_it_throws_at_evaluation_then_fallback_on_that_candle_it_still_enters_and_is_not_asked_again', () => {
    // Arrange
    let calls = 0;
    const throwing: SignalModel = {
      evaluate() {
        calls++;
        throw new Error('model exploded');
      },
    };
    const subject = strategy(ENABLED, { loadModel: () => throwing });
    // Act
    const first = simulate(subject, BREAKOUT_RUN.slice(0, SIGNAL + 1));
    const again = simulate(subject, PULLBACK_RUN.slice(0, SIGNAL + 1), { instrumentId: ETH });
    // Assert
    expect(modelNotes(first.log)).toEqual(['0:NOTE SIGNAL_MODEL=ACTIVE', `${SIGNAL}:NOTE SIGNAL_MODEL=FALLBACK`]);
    expect(entryRisk(first.steps)).toBe('0.004');
    expect(modelNotes(again.log)).toEqual([]);
    expect(entryRisk(again.steps)).toBe('0.004');
    expect(calls).toBe(1);
  });

  it.each([
    ['infinity', Number.POSITIVE_INFINITY],
    ['nan', Number.NaN],
  ])('test_model_when_it_returns_%s_then_fallback_and_it_still_enters', (_, value) => {
    // Act
    const simulation = simulate(strategy(ENABLED, { loadModel: () => ({ evaluate: () => value }) }), BREAKOUT_RUN);
    // Assert
    expect(modelNotes(simulation.log)).toEqual(['0:NOTE SIGNAL_MODEL=ACTIVE', `${SIGNAL}:NOTE SIGNAL_MODEL=FALLBACK`]);
    expect(entryRisk(simulation.steps)).toBe('0.004');
  });

  it('test_model_when_its_weights_overflow_then_fallback_and_it_still_enters', () => {
    // Arrange: a valid file whose arithmetic leaves the finite numbers.
    const model = modelAt('overflow.json', { kind: 'linear', bias: 0, weights: { adx: 1e308, diSpread: 1e308 } });
    // Act
    const simulation = simulate(strategy(model, fromScratch), BREAKOUT_RUN);
    // Assert
    expect(modelNotes(simulation.log)).toEqual(['0:NOTE SIGNAL_MODEL=ACTIVE', `${SIGNAL}:NOTE SIGNAL_MODEL=FALLBACK`]);
    expect(entryRisk(simulation.steps)).toBe('0.004');
  });
});

describe('signal model confidence', () => {
  it('test_model_when_it_lowers_confidence_then_the_entry_is_smaller', () => {
    // Arrange: confidence = 1 + 1 × (−0.3) = 0.7.
    const model = modelAt('cautious.json', { kind: 'linear', bias: -0.3, weights: {} });
    // Act
    const simulation = simulate(strategy(model, fromScratch), BREAKOUT_RUN);
    // Assert
    expect(entryRisk(simulation.steps)).toBe('0.0028');
    expect(modelNotes(simulation.log)).toEqual(['0:NOTE SIGNAL_MODEL=ACTIVE']);
  });

  it('test_model_when_confidence_falls_below_the_minimum_then_no_entry_and_a_trigger_block', () => {
    // Arrange: confidence 0.4 < 0.5.
    const model = modelAt('doubtful.json', { kind: 'linear', bias: -0.6, weights: {} });
    // Act
    const simulation = simulate(strategy(model, fromScratch), BREAKOUT_RUN);
    // Assert
    expect(ordersOf(simulation)).toEqual([]);
    expect(notesAt(simulation, SIGNAL)).toEqual(['TRIGGER']);
  });

  it('test_model_when_it_favours_breakouts_only_then_it_changes_which_entries_are_taken', () => {
    // Arrange: −0.6 for everything, +0.6 back for a breakout.
    const model = modelAt('breakouts.json', { kind: 'linear', bias: -0.6, weights: { breakout: 0.6 } });
    // Act
    const breakout = simulate(strategy(model, fromScratch), BREAKOUT_RUN);
    const pullback = simulate(strategy(model, fromScratch), PULLBACK_RUN);
    // Assert
    expect(entryRisk(breakout.steps)).toBe('0.004');
    expect(ordersOf(pullback)).toEqual([]);
    expect(ordersOf(simulate(strategy(), PULLBACK_RUN))).not.toEqual([]);
  });

  it('test_model_when_evaluated_then_it_sees_the_layers_features_signed_for_the_side', () => {
    // Arrange
    const seen: SignalFeatures[] = [];
    const recorder = { evaluate: (features: Readonly<SignalFeatures>) => { seen.push({ ...features }); return 0; } };
    // Act
    simulate(strategy(ENABLED, { loadModel: () => recorder }), BREAKOUT_RUN);
    simulate(strategy(ENABLED, { loadModel: () => recorder }), SHORT_BREAKOUT_RUN);
    // Assert
    const r = readingAfter(BREAKOUT_RUN.slice(0, SIGNAL + 1));
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual({ adx: r.adx, bandWidth: r.bandWidth, volumeRatio: r.volumeRatio, diSpread: (r.plusDi - r.minusDi) * 100, breakout: 1 });
    expect(seen[1]!.diSpread).toBeGreaterThan(0);
    expect(seen[1]!.diSpread).toBeCloseTo(seen[0]!.diSpread, 6);
  });

  it('test_confidence_when_the_adjustment_is_extreme_then_kept_within_zero_and_the_cap', () => {
    const p = { weight: 1, minConfidence: 0.5, maxConfidence: 1.2 };
    expect(confidenceFrom(-3, p)).toBe(0);
    expect(confidenceFrom(3, p)).toBe(1.2);
    expect(confidenceFrom(0.1, p)).toBeCloseTo(1.1, 12);
    expect(confidenceFrom(Number.NEGATIVE_INFINITY, p)).toBeNaN();
  });

  it('test_shipped_model_when_loaded_then_valid', () => {
    expect(() => loadLinearModel(pathToFileURL(join(BOT_FOLDER, DEFAULTS.signalModel.path)))).not.toThrow();
  });
});
