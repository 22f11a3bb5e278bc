import { Decimal } from './decimal.ts';
import { InvalidInputError } from './errors.ts';
import type { ExposureKey, InstrumentId } from './ids.ts';

export type InstrumentKind = 'PERPETUAL' | 'SPOT' | 'EQUITY';

/** Reference data for one tradable instrument; quantities and prices sent for it are multiples of its steps. */
export interface Instrument {
  id: InstrumentId;
  kind: InstrumentKind;
  tickSize: Decimal;
  lotStep: Decimal;
  minQuantity: Decimal;
  minNotional: Decimal;
  /** The underlying this instrument moves with, and how many times as much: QQQ +1, SQQQ -3 on NDX. */
  exposureKey: ExposureKey;
  beta: Decimal;
}

export type PriceRounding = 'down' | 'up' | 'nearest';

/** Rounds a price to the tick; 'down'/'up' are chosen by the caller so rounding never loosens a stop or a limit. */
export function quantizePrice(instrument: Instrument, price: Decimal, rounding: PriceRounding): Decimal {
  if (!price.isPositive()) throw new InvalidInputError(`${instrument.id} price must be positive, got ${price.toString()}`);
  const rounded = price.quantize(instrument.tickSize, rounding === 'nearest' ? 'half-even' : rounding === 'down' ? 'floor' : 'ceil');
  if (!rounded.isPositive()) throw new InvalidInputError(`${instrument.id} price ${price.toString()} is below one tick (${instrument.tickSize.toString()})`);
  return rounded;
}

/** Rounds a quantity down to the lot step: an order is never larger than what was asked or approved. */
export function quantizeQuantity(instrument: Instrument, quantity: Decimal): Decimal {
  if (quantity.isNegative()) throw new InvalidInputError(`${instrument.id} quantity must not be negative, got ${quantity.toString()}`);
  return quantity.quantize(instrument.lotStep, 'floor');
}

export type MinimumCheck = { ok: true } | { ok: false; problem: string };

/** Checks venue minimums for an already-quantized quantity at a price. */
export function checkMinimums(instrument: Instrument, quantity: Decimal, price: Decimal): MinimumCheck {
  if (quantity.lt(instrument.minQuantity)) {
    return { ok: false, problem: `quantity ${quantity.toString()} is below the minimum ${instrument.minQuantity.toString()} for ${instrument.id}` };
  }
  const notional = quantity.mul(price);
  if (notional.lt(instrument.minNotional)) {
    return { ok: false, problem: `notional ${notional.toString()} is below the minimum ${instrument.minNotional.toString()} for ${instrument.id}` };
  }
  return { ok: true };
}
