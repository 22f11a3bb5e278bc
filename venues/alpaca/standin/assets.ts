import { randomUUID } from 'node:crypto';
import { Decimal } from '../../../core/decimal.ts';
import { instrumentSymbol, instrumentVenue, parseExposureKey, parseInstrumentId } from '../../../core/ids.ts';
import type { Instrument } from '../../../core/instrument.ts';
import type { CatalogFactors } from '../../../supervisor/market-data/synthetic.ts';

/**
 * The assets the stand-in lists: the fleet catalog's `.ALPACA` instruments (or a list passed in), served under their
 * symbol. Price increment, trade increment and minimum order size are the catalog's tick, lot step and minimum
 * quantity, as Alpaca's asset entity carries them.
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
  /** How the synthetic market moves it with other equities (supervisor/market-data/equity-factors.ts); alone when absent. */
  factors?: CatalogFactors | undefined;
}

export interface ListedAsset {
  readonly id: string;
  readonly symbol: string;
  readonly instrument: Instrument;
  readonly startPrice: Decimal;
  readonly turnoverPerMinute: Decimal | undefined;
}

export function listAssets(entries: readonly CatalogEntry[]): ListedAsset[] {
  const listed: ListedAsset[] = [];
  for (const entry of entries) {
    const id = parseInstrumentId(entry.id);
    if (instrumentVenue(id) !== 'ALPACA') continue;
    const instrument: Instrument = {
      id,
      kind: 'EQUITY',
      tickSize: Decimal.parse(entry.tickSize, `${entry.id} tickSize`),
      lotStep: Decimal.parse(entry.lotStep, `${entry.id} lotStep`),
      minQuantity: Decimal.parse(entry.minQuantity, `${entry.id} minQuantity`),
      minNotional: Decimal.parse(entry.minNotional, `${entry.id} minNotional`),
      exposureKey: parseExposureKey(entry.exposure.key),
      beta: Decimal.parse(entry.exposure.beta, `${entry.id} beta`),
    };
    listed.push({
      id: randomUUID(),
      symbol: instrumentSymbol(id),
      instrument,
      startPrice: Decimal.parse(entry.startPrice, `${entry.id} startPrice`),
      turnoverPerMinute: entry.turnoverPerMinute === undefined ? undefined : Decimal.parse(entry.turnoverPerMinute, `${entry.id} turnoverPerMinute`),
    });
  }
  return listed;
}

export function assetJson(asset: ListedAsset): Record<string, unknown> {
  const { instrument } = asset;
  return {
    id: asset.id,
    class: 'us_equity',
    exchange: 'NASDAQ',
    symbol: asset.symbol,
    name: `${asset.symbol} (stand-in)`,
    status: 'active',
    tradable: true,
    marginable: true,
    maintenance_margin_requirement: 30,
    shortable: true,
    easy_to_borrow: true,
    fractionable: instrument.lotStep.lt(Decimal.ONE),
    min_order_size: instrument.minQuantity.toString(),
    min_trade_increment: instrument.lotStep.toString(),
    price_increment: instrument.tickSize.toString(),
    attributes: [],
  };
}
