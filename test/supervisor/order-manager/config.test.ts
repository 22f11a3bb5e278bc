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
    expect(config.inFlightLockTtlMs).toBe(90_000);
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
});
