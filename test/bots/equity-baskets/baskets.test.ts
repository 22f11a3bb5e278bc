import { describe, expect, it } from 'vitest';
import { conditionProblem, judgeBasket, Persistence, readBasket } from '../../../bots/equity-baskets/baskets.ts';
import { DEFAULTS } from './harness.ts';

const MEGATECH = DEFAULTS.baskets[0]!;
const SEMIS = DEFAULTS.baskets[1]!;
const T = 1_700_000_040_000;

describe('equity-baskets baskets', () => {
  it('reads breadth, negatives, mean and trend from the stocks, leaving out what is not known', () => {
    const reading = readBasket([-0.5, -0.3, 0.2, 0.1, null, -0.1], [-0.01, -0.02, null, 0, 0, 0], 0.15);
    expect(reading).toMatchObject({ size: 6, signalling: 3, negative: 2 });
    expect(reading.mean).toBeCloseTo((-0.5 - 0.3 + 0.2 + 0.1 - 0.1) / 5, 10);
    expect(reading.trend).toBeCloseTo(-0.03 / 5, 10);
  });

  it('needs the breadth first: one stock falling hard is BELOW_BREADTH, however hard', () => {
    expect(conditionProblem(readBasket([-1, 0, 0, 0, 0, 0], [], 0.15), MEGATECH, -0.12)).toBe('BELOW_BREADTH');
    // Three signalling but only three of six (50%) negative: not 60% of the basket.
    expect(conditionProblem(readBasket([-1, -1, -1, 0.5, 0, 0], [], 0.15), MEGATECH, -0.12)).toBe('BELOW_BREADTH');
    // Four of six (66.7%) negative: breadth holds.
    expect(conditionProblem(readBasket([-0.9, -0.9, -0.9, -0.9, 0, 0], [], 0.15), MEGATECH, -0.12)).toBeNull();
    // SEMIS: two of three (66.7%) meets 66%.
    expect(conditionProblem(readBasket([-0.5, -0.5, 0], [], 0.15), SEMIS, -0.12)).toBeNull();
    expect(conditionProblem(readBasket([-0.5, 0.5, 0], [], 0.15), SEMIS, -0.12)).toBe('BELOW_BREADTH');
  });

  it('then the mean: a wide but shallow fall with strong risers is MEAN_TOO_WEAK', () => {
    expect(conditionProblem(readBasket([-0.16, -0.16, -0.16, -0.16, 0.9, 0.9], [], 0.15), MEGATECH, -0.12)).toBe('MEAN_TOO_WEAK');
  });

  it('then persistence over consecutive minutes, then a falling trend', () => {
    const falling = readBasket([-0.5, -0.5, -0.5, -0.5, 0, 0], [-0.01, -0.01, -0.01, -0.01, 0, 0], 0.15);
    const rising = { ...falling, trend: 0.001 };
    const persistence = new Persistence();
    const p = { maxMeanScore: -0.12, persistEvaluations: 2 };
    expect(judgeBasket(T, falling, MEGATECH, persistence, p)).toEqual({ problem: 'NOT_PERSISTENT', persisted: 1 });
    expect(judgeBasket(T + 60_000, rising, MEGATECH, persistence, p)).toEqual({ problem: 'NOT_FALLING', persisted: 2 });
    expect(judgeBasket(T + 120_000, falling, MEGATECH, persistence, p)).toEqual({ problem: null, persisted: 3 });
    // A missed minute starts the run again.
    expect(judgeBasket(T + 240_000, falling, MEGATECH, persistence, p)).toEqual({ problem: 'NOT_PERSISTENT', persisted: 1 });
    // A minute without the condition ends it.
    expect(judgeBasket(T + 300_000, readBasket([0, 0, 0, 0, 0, 0], [], 0.15), MEGATECH, persistence, p).persisted).toBe(0);
  });
});
