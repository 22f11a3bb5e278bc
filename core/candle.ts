import type { Decimal } from './decimal.ts';
import type { InstrumentId } from './ids.ts';

export interface Candle {
  instrumentId: InstrumentId;
  /** Start of the candle, ms since the epoch. */
  openTime: number;
  /** Length of the candle in ms. */
  durationMs: number;
  open: Decimal;
  high: Decimal;
  low: Decimal;
  close: Decimal;
  volume: Decimal;
}
