import { Decimal } from '../../../core/decimal.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import { instrumentSymbol, instrumentVenue, parseExposureKey, parseInstrumentId } from '../../../core/ids.ts';
import type { Instrument } from '../../../core/instrument.ts';
import { amount } from './wire.ts';

/**
 * The USDT perpetuals the stand-in lists: the fleet catalog's `.BYBIT` instruments (or a list passed in), served
 * under their Bybit symbol, the part before `.BYBIT`. Tick, lot step, minimum quantity and minimum notional are the
 * catalog's, so an adapter that checks its catalog against the venue's instruments finds them equal.
 */

/** What the fleet catalog holds for an instrument (supervisor/config/fleet-config.ts CatalogInstrument). */
export interface CatalogEntry {
  id: string;
  kind: string;
  tickSize: string;
  lotStep: string;
  minQuantity: string;
  minNotional: string;
  exposure: { key: string; beta: string };
  startPrice: string;
  turnoverPerMinute?: string;
}

export interface ListedInstrument {
  readonly symbol: string;
  readonly baseCoin: string;
  readonly instrument: Instrument;
  readonly startPrice: Decimal;
  readonly turnoverPerMinute: Decimal | undefined;
  /** The largest order Bybit-style limits allow: the minimum quantity times ten million. */
  readonly maxOrderQty: Decimal;
}

const QUOTE = 'USDT';
const MAX_ORDER_MULTIPLE = Decimal.fromInteger(10_000_000);
const MAX_PRICE_MULTIPLE = Decimal.fromInteger(1_000_000_000);

export function listInstruments(entries: readonly CatalogEntry[]): ListedInstrument[] {
  const listed: ListedInstrument[] = [];
  for (const entry of entries) {
    const id = parseInstrumentId(entry.id);
    if (instrumentVenue(id) !== 'BYBIT') continue;
    const symbol = instrumentSymbol(id);
    if (entry.kind !== 'PERPETUAL' || !symbol.endsWith(QUOTE) || symbol.length === QUOTE.length) {
      throw new InvalidInputError(`${entry.id}: the Bybit stand-in lists USDT perpetuals only (a PERPETUAL whose symbol ends in USDT)`);
    }
    const instrument: Instrument = {
      id,
      kind: 'PERPETUAL',
      tickSize: Decimal.parse(entry.tickSize, `${entry.id} tickSize`),
      lotStep: Decimal.parse(entry.lotStep, `${entry.id} lotStep`),
      minQuantity: Decimal.parse(entry.minQuantity, `${entry.id} minQuantity`),
      minNotional: Decimal.parse(entry.minNotional, `${entry.id} minNotional`),
      exposureKey: parseExposureKey(entry.exposure.key),
      beta: Decimal.parse(entry.exposure.beta, `${entry.id} beta`),
    };
    listed.push({
      symbol,
      baseCoin: symbol.slice(0, -QUOTE.length),
      instrument,
      startPrice: Decimal.parse(entry.startPrice, `${entry.id} startPrice`),
      turnoverPerMinute: entry.turnoverPerMinute === undefined ? undefined : Decimal.parse(entry.turnoverPerMinute, `${entry.id} turnoverPerMinute`),
      maxOrderQty: instrument.minQuantity.mul(MAX_ORDER_MULTIPLE),
    });
  }
  if (listed.length === 0) throw new InvalidInputError('the Bybit stand-in needs at least one .BYBIT instrument in the catalog');
  return listed;
}

function decimalsOf(step: Decimal): number {
  const text = step.toString();
  const point = text.indexOf('.');
  return point < 0 ? 0 : text.length - point - 1;
}

/** The instruments-info entry Bybit V5 gives for a linear perpetual. */
export function instrumentWire(listed: ListedInstrument, launchTime: number): Record<string, unknown> {
  const { instrument } = listed;
  return {
    symbol: listed.symbol,
    contractType: 'LinearPerpetual',
    status: 'Trading',
    baseCoin: listed.baseCoin,
    quoteCoin: QUOTE,
    launchTime: String(launchTime),
    deliveryTime: '0',
    deliveryFeeRate: '',
    priceScale: String(decimalsOf(instrument.tickSize)),
    leverageFilter: { minLeverage: '1', maxLeverage: '100.00', leverageStep: '0.01' },
    priceFilter: { minPrice: instrument.tickSize.toString(), maxPrice: instrument.tickSize.mul(MAX_PRICE_MULTIPLE).toString(), tickSize: instrument.tickSize.toString() },
    lotSizeFilter: {
      maxOrderQty: listed.maxOrderQty.toString(),
      maxMktOrderQty: listed.maxOrderQty.toString(),
      minOrderQty: instrument.minQuantity.toString(),
      qtyStep: instrument.lotStep.toString(),
      postOnlyMaxOrderQty: listed.maxOrderQty.toString(),
      minNotionalValue: amount(instrument.minNotional),
    },
    unifiedMarginTrade: true,
    fundingInterval: 480,
    settleCoin: QUOTE,
    copyTrading: 'none',
    upperFundingRate: '0.005',
    lowerFundingRate: '-0.005',
    isPreListing: false,
    preListingInfo: null,
  };
}
