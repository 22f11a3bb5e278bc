import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../core/errors.ts';
import { parseOrderManagerConfig } from '../../../supervisor/order-manager/config.ts';
import { configInput } from './fixture.ts';

function refusal(input: unknown): string {
  try {
    parseOrderManagerConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('order manager configuration', () => {
  it('accepts the fixture and fills in the documented defaults', () => {
    const config = parseOrderManagerConfig(configInput());
    const alpha = [...config.bots.values()][0]!;
    expect(alpha.riskPerTrade.toString()).toBe('0.005');
    expect(alpha.maxOpenRisk.toString()).toBe('0.02');
    expect(alpha.maxAdds).toBe(1);
    expect(config.unansweredOrderMs).toBe(10_000);
    expect(alpha.entryCooldownMs).toBe(90_000);
  });

  it('refuses an unknown key and names where it is', () => {
    expect(refusal({ ...configInput(), inflightLockTtl: 5 })).toMatch(/inflightLockTtl/);
    const input = configInput({}, { bravo: { trailingDistance: '0.01' } });
    expect(refusal(input)).toMatch(/bots\.1.*trailingDistance/);
  });

  it('refuses a float where a decimal string is required', () => {
    const input = configInput();
    (input.bots[0] as Record<string, unknown>).riskPerTrade = 0.005;
    expect(refusal(input)).toMatch(/bots\.0\.riskPerTrade/);
  });

  it('refuses a decimal core/decimal.ts cannot hold, naming its key, instead of failing later', () => {
    const input = configInput();
    input.instruments[0]!.tickSize = '0.0000000000000000001';
    expect(refusal(input)).toBe('order manager configuration: instruments.0.tickSize: decimal "0.0000000000000000001" has more than 18 decimal places');
    const negative = configInput();
    negative.instruments[0]!.minNotional = '-5';
    expect(refusal(negative)).toBe('order manager configuration: instruments.0.minNotional: must not be negative');
  });

  it('refuses an instrument whose exposure key has no policy, and a policy no instrument uses', () => {
    const input = configInput();
    input.instruments[0]!.exposure.key = 'NOPE';
    expect(refusal(input)).toMatch(/NOPE has no entry in exposureKeys/);
    const unused = configInput({ exposureKeys: { ...configInput().exposureKeys, SPX: { policy: 'exclusive' } } });
    expect(refusal(unused)).toMatch(/SPX: no instrument maps/);
  });

  it('refuses two bots sharing a sub-account or an id', () => {
    const shared = configInput({}, { bravo: { subAccountId: 'alpha-sub' } });
    expect(refusal(shared)).toMatch(/already another bot's/);
    const twice = configInput({}, { bravo: { id: 'alpha' } });
    expect(refusal(twice)).toMatch(/listed twice/);
  });

  it('refuses a per-trade risk larger than the open-risk cap, and fractions above one', () => {
    expect(refusal(configInput({}, { alpha: { riskPerTrade: '0.05', maxOpenRisk: '0.02' } }))).toMatch(/larger than maxOpenRisk/);
    expect(refusal(configInput({}, { alpha: { riskPerTrade: '5' } }))).toMatch(/fraction/);
  });

  it('refuses a zero beta and a malformed instrument id', () => {
    const zero = configInput();
    zero.instruments[0]!.exposure.beta = '0';
    expect(refusal(zero)).toMatch(/must not be zero/);
    const malformed = configInput();
    malformed.instruments[0]!.id = 'btcusdt';
    expect(refusal(malformed)).toMatch(/instruments\.0\.id/);
  });

  describe('drawdown policies', () => {
    const DAY = 86_400_000;
    const window = (threshold: string, windowMs: number, action = 'HALTED') => ({ threshold, windowMs, action });

    it('test_drawdown_when_a_single_window_or_a_list_then_both_become_a_list_in_order', () => {
      const config = parseOrderManagerConfig(configInput({ fleetDrawdown: window('0.15', DAY) }, { alpha: { drawdown: [window('0.08', DAY), window('0.2', 30 * DAY, 'REDUCING')] } }));
      expect(config.fleetDrawdown.map((entry) => [entry.threshold.toString(), entry.windowMs, entry.action])).toEqual([['0.15', DAY, 'HALTED']]);
      expect([...config.bots.values()][0]!.drawdown.map((entry) => [entry.threshold.toString(), entry.windowMs, entry.action])).toEqual([
        ['0.08', DAY, 'HALTED'],
        ['0.2', 30 * DAY, 'REDUCING'],
      ]);
      expect(config.decisionRetentionMs).toBe(90 * DAY);
    });

    it('test_drawdown_when_windows_are_empty_repeated_too_many_or_carry_an_unknown_key_then_refused_naming_where', () => {
      expect(refusal(configInput({ fleetDrawdown: [] }))).toMatch(/fleetDrawdown: must list at least one window/);
      expect(refusal(configInput({}, { alpha: { drawdown: [window('0.08', DAY), window('0.1', DAY)] } }))).toMatch(/bots\.0\.drawdown: two windows have the same windowMs/);
      expect(refusal(configInput({ fleetDrawdown: Array.from({ length: 9 }, (_, index) => window('0.1', (index + 1) * DAY)) }))).toMatch(/fleetDrawdown: must list at most 8 windows/);
      expect(refusal(configInput({}, { alpha: { drawdown: [window('0.08', DAY), { ...window('0.1', 7 * DAY), window: '7d' }] } }))).toMatch(/bots\.0\.drawdown\.1.*window/);
      expect(refusal(configInput({}, { alpha: { drawdown: [window('1.5', DAY)] } }))).toMatch(/bots\.0\.drawdown\.0\.threshold: must be a fraction/);
      expect(refusal(configInput({ decisionRetentionMs: 0 }))).toMatch(/decisionRetentionMs/);
    });
  });
});
