import { describe, expect, it } from 'vitest';
import { ALPHA, BRAVO, BTC, QQQ, counted, makeMetrics, samples, valueOf } from './fixture.ts';

const COUNTER = 'flotilla_strategy_notes_total';
const GAUGE = 'flotilla_bot_note_state';

/** The gauge's value per declared value of bravo's ENTRY_BLOCKED note; undefined where there is no series. */
async function entryBlockedState(metrics: ReturnType<typeof makeMetrics>['metrics']): Promise<Record<string, number | undefined>> {
  const all = await samples(metrics);
  const of = (value: string): number | undefined => valueOf(all, GAUGE, { bot: 'bravo', note: 'ENTRY_BLOCKED', instrument: '', value });
  return { ENVIRONMENT: of('ENVIRONMENT'), DIRECTION: of('DIRECTION'), TRIGGER: of('TRIGGER') };
}

describe('note state', () => {
  it('test_record_note_when_made_then_counted_and_the_gauge_is_1_on_its_value_and_0_on_the_other_declared_values', async () => {
    // Arrange
    const { metrics } = makeMetrics();
    // Act
    metrics.recordStrategyNote(BRAVO, 'ENTRY_BLOCKED', 'ENVIRONMENT');
    metrics.recordStrategyNote(BRAVO, 'ENTRY_BLOCKED', 'TRIGGER');
    // Assert
    expect(await entryBlockedState(metrics)).toEqual({ ENVIRONMENT: 0, DIRECTION: 0, TRIGGER: 1 });
    const all = await samples(metrics);
    expect(valueOf(all, COUNTER, { bot: 'bravo', note: 'ENTRY_BLOCKED', value: 'ENVIRONMENT' })).toBe(1);
    expect(valueOf(all, COUNTER, { bot: 'bravo', note: 'ENTRY_BLOCKED', value: 'TRIGGER' })).toBe(1);
  });

  it('test_record_note_when_replayed_then_the_gauge_moves_and_the_counter_does_not', async () => {
    // Arrange: a supervisor that has just started knows nothing of the note.
    const { metrics } = makeMetrics();
    expect(await entryBlockedState(metrics)).toEqual({ ENVIRONMENT: undefined, DIRECTION: undefined, TRIGGER: undefined });
    // Act
    metrics.recordStrategyNote(BRAVO, 'ENTRY_BLOCKED', 'DIRECTION', { replayed: true });
    // Assert
    expect(await entryBlockedState(metrics)).toEqual({ ENVIRONMENT: 0, DIRECTION: 1, TRIGGER: 0 });
    expect(counted(await samples(metrics), COUNTER)).toEqual([]);
  });

  it('test_record_note_when_name_or_value_is_undeclared_then_no_gauge_series', async () => {
    // Arrange
    const { metrics } = makeMetrics();
    // Act
    metrics.recordStrategyNote(BRAVO, 'ENTRY_BLOCKED', 'SECRET_SAUCE', { replayed: true });
    metrics.recordStrategyNote(BRAVO, 'MOOD', 'TRIGGER');
    metrics.recordStrategyNote(ALPHA, 'ENTRY_BLOCKED', 'TRIGGER');
    // Assert
    expect((await samples(metrics)).filter((sample) => sample.name === GAUGE)).toEqual([]);
  });

  it('test_record_note_when_made_per_instrument_then_each_instrument_keeps_its_own_value', async () => {
    // Arrange
    const { metrics } = makeMetrics();
    // Act
    metrics.recordStrategyNote(BRAVO, 'ENTRY_BLOCKED', 'ENVIRONMENT', { replayed: false, instrumentId: BTC });
    metrics.recordStrategyNote(BRAVO, 'ENTRY_BLOCKED', 'TRIGGER', { replayed: false, instrumentId: QQQ });
    // Assert
    const all = await samples(metrics);
    expect(valueOf(all, GAUGE, { bot: 'bravo', note: 'ENTRY_BLOCKED', instrument: BTC, value: 'ENVIRONMENT' })).toBe(1);
    expect(valueOf(all, GAUGE, { bot: 'bravo', note: 'ENTRY_BLOCKED', instrument: QQQ, value: 'TRIGGER' })).toBe(1);
    expect(valueOf(all, GAUGE, { bot: 'bravo', note: 'ENTRY_BLOCKED', instrument: BTC, value: 'TRIGGER' })).toBe(0);
  });
});
