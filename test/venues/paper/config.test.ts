import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { dec } from '../../../core/decimal.ts';
import { ConfigurationError } from '../../../core/errors.ts';
import { validatePaperVenueConfig } from '../../../venues/paper/config.ts';
import { PaperMatchingEngine } from '../../../venues/paper/matching-engine.ts';
import { ALPHA, btc, paperConfig } from './fixtures.ts';

describe('paper venue configuration', () => {
  it('accepts a sound configuration, including a maker rebate', () => {
    expect(() => validatePaperVenueConfig(paperConfig({ fees: { makerRate: dec('-0.0001'), takerRate: dec('0.0005') } }))).not.toThrow();
  });

  it.each([
    ['a lower-case name', { name: 'paper' }],
    ['a fractional seed', { seed: 1.5 }],
    ['zero participation', { partialFills: { participation: dec('0') } }],
    ['participation above 1', { partialFills: { participation: dec('1.1') } }],
    ['negative slippage', { slippage: { baseBps: dec('-1'), jitterBps: dec('0') } }],
    ['a negative taker rate', { fees: { makerRate: dec('0'), takerRate: dec('-0.001') } }],
    ['a listed-twice instrument', { instruments: [btc, btc] }],
    ['a listed-twice sub-account', { accounts: [{ subAccountId: ALPHA, balance: dec('1'), leverage: dec('1') }, { subAccountId: ALPHA, balance: dec('1'), leverage: dec('1') }] }],
    ['zero leverage', { accounts: [{ subAccountId: ALPHA, balance: dec('1'), leverage: dec('0') }] }],
  ])('refuses %s', (_, overrides) => {
    expect(() => new PaperMatchingEngine(paperConfig(overrides), new ManualClock())).toThrow(ConfigurationError);
  });
});
