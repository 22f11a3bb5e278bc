import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, dec } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';

describe('Decimal', () => {
  it('adds 0.1 and 0.2 to exactly 0.3', () => {
    expect(dec('0.1').add(dec('0.2')).toString()).toBe('0.3');
  });

  it('keeps every digit of a low-priced coin through multiplication', () => {
    const price = dec('0.00001234');
    const quantity = dec('123456789');
    expect(price.mul(quantity).toString()).toBe('1523.45677626');
  });

  it('refuses exponents, spaces, empty strings and more than 18 decimal places with the value named', () => {
    for (const bad of ['1e5', ' 1', '', '1.', '.5', '+1', 'NaN', '0.1234567890123456789']) {
      expect(() => Decimal.parse(bad, 'limit price')).toThrow(InvalidInputError);
    }
    expect(() => Decimal.parse('1e5', 'limit price')).toThrow(/limit price/);
  });

  it('quantizes down to a lot step and to the nearest tick', () => {
    expect(dec('1.23456').quantize(dec('0.001'), 'floor').toString()).toBe('1.234');
    expect(dec('100.26').quantize(dec('0.5'), 'half-even').toString()).toBe('100.5');
    expect(dec('100.25').quantize(dec('0.5'), 'half-even').toString()).toBe('100');
    expect(dec('-1.5').quantize(dec('1'), 'floor').toString()).toBe('-2');
    expect(dec('-1.5').quantize(dec('1'), 'down').toString()).toBe('-1');
  });

  it('renders fixed places with half-even rounding', () => {
    expect(dec('2.345').toFixed(2)).toBe('2.34');
    expect(dec('2.355').toFixed(2)).toBe('2.36');
    expect(dec('7').toFixed(3)).toBe('7.000');
    expect(dec('-0.5').toFixed(0)).toBe('0');
  });

  it('converts an indicator float to the nearest decimal at the requested places', () => {
    expect(Decimal.fromNumber(0.1 + 0.2, 8).toString()).toBe('0.3');
    expect(Decimal.fromNumber(1.5e-7).toString()).toBe('0.00000015');
    expect(Decimal.fromNumber(-12345.678, 2).toString()).toBe('-12345.68');
    expect(() => Decimal.fromNumber(Number.NaN)).toThrow(InvalidInputError);
  });

  it('converts to a float within one part in 10^15 of the exact value', () => {
    for (const text of ['0', '1', '-2.5', '0.00001234', '60000.1', '123456789.123456789', '-0.000000000000000001']) {
      const exact = Number(text);
      expect(Math.abs(dec(text).toNumber() - exact)).toBeLessThanOrEqual(Math.abs(exact) * 1e-15 + 1e-30);
    }
  });

  it('round-trips every value through its canonical string', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (units) => {
        const value = Decimal.fromUnits(units);
        const text = value.toString();
        expect(Decimal.parse(text).eq(value)).toBe(true);
        // Canonical: no leading or trailing zeros, no bare point, and no negative zero.
        expect(text).toMatch(/^-?(0|[1-9]\d*)(\.\d*[1-9])?$/);
        expect(text).not.toBe('-0');
      }),
    );
  });

  it('divides and multiplies back within one unit of the last place', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 24n }), fc.bigInt({ min: 1n, max: 10n ** 24n }), (a, b) => {
        const x = Decimal.fromUnits(a);
        const y = Decimal.fromUnits(b);
        const back = x.div(y).mul(y);
        const error = back.sub(x).abs();
        // Rounding x/y loses at most half a unit, which multiplying by y scales by y.
        expect(error.lte(y.add(Decimal.ONE).mul(Decimal.fromUnits(1n), 'ceil').add(Decimal.fromUnits(1n)))).toBe(true);
      }),
    );
  });

  it('splits a cost basis proportionally so the parts add back exactly to the whole when the remainder is subtracted', () => {
    const cost = dec('1000.000000000000000001');
    const removed = cost.mulDiv(dec('1'), dec('3'));
    expect(removed.add(cost.sub(removed)).eq(cost)).toBe(true);
  });
});
