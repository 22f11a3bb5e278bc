import { Decimal } from '../../core/decimal.ts';
import { parseInstrumentId, type InstrumentId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Logger } from '../../core/logger.ts';
import type { VenueInstrument } from '../../core/venue.ts';
import { RowReader } from './wire.ts';

/**
 * Instruments between Flotilla and Bybit: the fleet's instrument IDs are SYMBOL.<venue name> and Bybit's symbol is
 * the part before the dot. Reference data (tick size, lot step, minimum quantity and notional) comes from
 * GET /v5/market/instruments-info, for the fleet to check its catalog against.
 */

export class InstrumentMap {
  readonly #name: string;
  readonly #bySymbol: ReadonlyMap<string, Instrument>;
  readonly #symbolOf: ReadonlyMap<InstrumentId, string>;
  readonly #logger: Logger;
  readonly #warned = new Set<string>();

  constructor(name: string, bySymbol: ReadonlyMap<string, Instrument>, symbolOf: ReadonlyMap<InstrumentId, string>, logger: Logger) {
    this.#name = name;
    this.#bySymbol = bySymbol;
    this.#symbolOf = symbolOf;
    this.#logger = logger;
  }

  get symbols(): string[] {
    return [...this.#bySymbol.keys()];
  }

  /** The Bybit symbol of a fleet instrument; the part before the dot for one the fleet does not list. */
  symbol(instrumentId: InstrumentId): string {
    return this.#symbolOf.get(instrumentId) ?? instrumentId.slice(0, instrumentId.lastIndexOf('.'));
  }

  /** The instrument ID of a Bybit symbol (a position or fill on a symbol the fleet does not trade still gets one); null when none can be made. */
  instrumentId(symbol: string): InstrumentId | null {
    const known = this.#bySymbol.get(symbol);
    if (known !== undefined) return known.id;
    try {
      return parseInstrumentId(`${symbol}.${this.#name}`);
    } catch {
      if (!this.#warned.has(symbol)) {
        this.#warned.add(symbol);
        this.#logger.warn({ symbol }, 'Bybit named a symbol that cannot be an instrument ID; what it says about it is left out');
      }
      return null;
    }
  }
}

/** The fleet's instruments as Bybit lists them (one instruments-info row each); symbols Bybit does not list are absent. */
export function venueInstrumentsOf(rows: readonly unknown[], map: InstrumentMap, wanted: ReadonlySet<string>): VenueInstrument[] {
  const found: VenueInstrument[] = [];
  for (const [index, row] of rows.entries()) {
    const reader = new RowReader(row, `GET /v5/market/instruments-info list[${index}]`);
    const symbol = reader.string('symbol');
    if (!wanted.has(symbol)) continue;
    const instrumentId = map.instrumentId(symbol);
    if (instrumentId === null) continue;
    const price = new RowReader(reader.raw['priceFilter'], `instruments-info ${symbol} priceFilter`);
    const lot = new RowReader(reader.raw['lotSizeFilter'], `instruments-info ${symbol} lotSizeFilter`);
    found.push({
      instrumentId,
      tickSize: price.decimal('tickSize'),
      lotStep: lot.decimal('qtyStep'),
      minQuantity: lot.decimal('minOrderQty'),
      // Older listings have no minimum notional: none then.
      minNotional: lot.optionalString('minNotionalValue') === '' ? Decimal.ZERO : lot.decimal('minNotionalValue'),
    });
  }
  return found;
}
