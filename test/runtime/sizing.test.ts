import { describe, expect, it } from 'vitest';
import { dec } from '../../core/decimal.ts';
import { drawdownScale, riskSize, scaledForDrawdown } from '../../runtime/sizing.ts';

describe('drawdown sizing', () => {
  it('takes full risk at no drawdown, the floor at the halt threshold, and a straight line between', () => {
    const at = (drawdown: string) => drawdownScale({ drawdown: dec(drawdown), drawdownThreshold: dec('0.1') }, 0.25);
    expect(at('0')).toBe(1);
    expect(at('0.05')).toBeCloseTo(0.625, 12);
    expect(at('0.1')).toBe(0.25);
    expect(at('0.3')).toBe(0.25);
  });

  it('asks for the full risk fraction with the drawdown scale beside it, for the order manager to apply after its caps', () => {
    expect(riskSize({ drawdown: dec('0.05'), drawdownThreshold: dec('0.1') }, 0.004, 0.5)).toEqual({ kind: 'RISK', riskFraction: dec('0.004'), scale: dec('0.75') });
  });

  it('asks for no entry at all when a floor of 0 leaves nothing at the threshold', () => {
    expect(riskSize({ drawdown: dec('0.1'), drawdownThreshold: dec('0.1') }, 0.004, 0)).toBeNull();
    expect(scaledForDrawdown({ kind: 'QUANTITY', quantity: dec('5') }, { drawdown: dec('0.0999999999'), drawdownThreshold: dec('0.1') }, 0)).toBeNull();
  });

  it('sends no scale at no drawdown', () => {
    expect(riskSize({ drawdown: dec('0'), drawdownThreshold: dec('0.1') }, 0.004, 0.5)).toEqual({ kind: 'RISK', riskFraction: dec('0.004') });
  });

  it('refuses a floor outside 0..1', () => {
    expect(() => drawdownScale({ drawdown: dec('0'), drawdownThreshold: dec('0.1') }, 1.5)).toThrow(RangeError);
  });
});
