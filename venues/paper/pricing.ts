import { Decimal } from '../../core/decimal.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Side } from '../../core/intent.ts';
import type { PaperSlippageConfig } from './config.ts';
import { Mulberry32 } from './random.ts';

const BASIS_POINTS_PER_UNIT = Decimal.fromInteger(10_000);

/** Fees are rounded to 8 places, the precision venues report them in. */
export const FEE_PLACES = 8;
/** The smallest fee that can be charged at FEE_PLACES: 0.00000001. */
const SMALLEST_FEE = Decimal.fromUnits(10n ** 10n);

/**
 * Notional × rate, rounded half-even to 8 places. A fill with a positive notional at a non-zero rate never gets a
 * fee of 0: where rounding would give 0, it is one unit of the 8th place (a rebate: minus one unit) instead, so a
 * fee is only ever 0 when the rate is.
 */
export function feeFor(quantity: Decimal, price: Decimal, rate: Decimal): Decimal {
  const notional = quantity.mul(price);
  const fee = notional.mul(rate).round(FEE_PLACES);
  if (!fee.isZero() || rate.isZero() || !notional.isPositive()) return fee;
  return rate.isPositive() ? SMALLEST_FEE : SMALLEST_FEE.neg();
}

/** Seeded taker slippage: each taker fill moves against the taker by base plus a uniform [0, jitter) bps. */
export class TakerSlippage {
  readonly #baseBps: Decimal;
  readonly #jitterBps: Decimal;
  readonly #random: Mulberry32;

  constructor(config: PaperSlippageConfig, seed: number) {
    this.#baseBps = config.baseBps;
    this.#jitterBps = config.jitterBps;
    this.#random = new Mulberry32(seed);
  }

  /** One draw per taker fill, even with zero jitter, so changing the jitter never shifts later draws. */
  nextBps(): Decimal {
    const draw = BigInt(this.#random.nextUint32());
    // jitter × draw / 2^32 in integer units: uniform on [0, jitter) with no float in between.
    return this.#baseBps.add(Decimal.fromUnits((this.#jitterBps.units * draw) >> 32n));
  }

  /** The reference price moved against the taker and rounded to the tick against the taker. */
  takerPrice(instrument: Instrument, reference: Decimal, side: Side): Decimal {
    const move = reference.mulDiv(this.nextBps(), BASIS_POINTS_PER_UNIT);
    if (side === 'BUY') return reference.add(move).quantize(instrument.tickSize, 'ceil');
    const price = reference.sub(move).quantize(instrument.tickSize, 'floor');
    return price.isPositive() ? price : instrument.tickSize;
  }
}
