import ccxt, { type Exchange, type Market } from 'ccxt';
import { Decimal } from '../../core/decimal.ts';
import { ConfigurationError } from '../../core/errors.ts';
import { parseInstrumentId, type InstrumentId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { VenueInstrument } from '../../core/venue.ts';
import { decimalOf, decimalOrNull } from './amounts.ts';
import type { MarketType } from './config.ts';

/**
 * The fleet's instruments as ccxt markets. An instrument ID is <market id>.<venue name> (BTCUSDT.BYBIT); the
 * exchange may use one market id for several markets (Bybit's spot BTC/USDT and perpetual BTC/USDT:USDT are both
 * BTCUSDT), so the configured market type picks one. Flotilla's quantities are in the base asset: a market whose
 * contract is not one unit of it (contractSize other than 1) would need every amount converted, and is refused.
 * All instruments must settle in one currency: that is the currency balance() and equity() count.
 */

export class Markets {
  readonly #name: string;
  readonly #marketType: MarketType;
  readonly #logger: Logger;
  readonly #symbolOf = new Map<InstrumentId, string>();
  readonly #byMarketId = new Map<string, Market & object>();
  readonly #warned = new Set<string>();
  #settle: string | null = null;
  #precisionMode = ccxt.TICK_SIZE as number;

  constructor(name: string, marketType: MarketType, logger: Logger) {
    this.#name = name;
    this.#marketType = marketType;
    this.#logger = logger;
  }

  /** Reads the markets a client loaded; ConfigurationError naming each instrument the adapter cannot trade. */
  load(client: Exchange, marketIdOf: ReadonlyMap<InstrumentId, string>): void {
    const problems: string[] = [];
    this.#precisionMode = client.precisionMode ?? ccxt.TICK_SIZE;
    if (this.#precisionMode === ccxt.SIGNIFICANT_DIGITS) problems.push(`ccxt's ${client.id} states precision as significant digits, which gives no tick size`);
    this.#byMarketId.clear();
    for (const market of Object.values(client.markets ?? {})) if (market !== undefined && market !== null && market.type === this.#marketType) this.#byMarketId.set(market.id, market);
    const settles = new Set<string>();
    for (const [instrumentId, marketId] of marketIdOf) {
      const market = this.#byMarketId.get(marketId);
      if (market === undefined) {
        problems.push(`instrument ${instrumentId}: ${client.id} lists no ${this.#marketType} market with id ${marketId}`);
        continue;
      }
      const contractSize = decimalOrNull(market.contractSize, `${market.symbol} contractSize`);
      if (contractSize !== null && !contractSize.eq(Decimal.ONE)) problems.push(`instrument ${instrumentId}: one contract of ${market.symbol} is ${contractSize.toString()} ${market.base}, and Flotilla counts in ${market.base}`);
      if (market.linear === false) problems.push(`instrument ${instrumentId}: ${market.symbol} is an inverse contract; the adapter trades linear ones`);
      settles.add(market.settle ?? market.quote);
      this.#symbolOf.set(instrumentId, market.symbol);
    }
    if (settles.size > 1) problems.push(`the instruments settle in ${[...settles].join(' and ')}; a venue's instruments must settle in one currency`);
    if (problems.length > 0) throw new ConfigurationError(`ccxt venue ${this.#name} (${client.id}): ${problems.join('; ')}`);
    this.#settle = [...settles][0] ?? null;
  }

  /** The currency balance and equity are counted in. */
  get settle(): string {
    if (this.#settle === null) throw new ConfigurationError(`ccxt venue ${this.#name}: no instrument, so no settlement currency`);
    return this.#settle;
  }

  get symbols(): string[] {
    return [...this.#symbolOf.values()];
  }

  /** ccxt's unified symbol of a fleet instrument; null for one the exchange does not list. */
  symbol(instrumentId: InstrumentId): string | null {
    return this.#symbolOf.get(instrumentId) ?? null;
  }

  /** The instrument ID of a ccxt symbol (one the fleet does not trade gets one too); null when none can be made. */
  instrumentId(symbol: string | undefined): InstrumentId | null {
    if (symbol === undefined) return null;
    for (const [instrumentId, known] of this.#symbolOf) if (known === symbol) return instrumentId;
    const market = [...this.#byMarketId.values()].find((entry) => entry.symbol === symbol);
    if (market === undefined) return null;
    try {
      return parseInstrumentId(`${market.id}.${this.#name}`);
    } catch {
      if (!this.#warned.has(symbol)) {
        this.#warned.add(symbol);
        this.#logger.warn({ symbol }, 'the exchange named a market that cannot be an instrument ID; what it says about it is left out');
      }
      return null;
    }
  }

  /** Tick, lot and minimums of the fleet's instruments as ccxt's markets state them. */
  venueInstruments(): VenueInstrument[] {
    const found: VenueInstrument[] = [];
    for (const [instrumentId, symbol] of this.#symbolOf) {
      const market = [...this.#byMarketId.values()].find((entry) => entry.symbol === symbol);
      if (market === undefined) continue;
      found.push({
        instrumentId,
        tickSize: this.#step(market.precision.price, `${symbol} precision.price`),
        lotStep: this.#step(market.precision.amount, `${symbol} precision.amount`),
        minQuantity: decimalOrNull(market.limits.amount?.min, `${symbol} limits.amount.min`) ?? this.#step(market.precision.amount, `${symbol} precision.amount`),
        minNotional: decimalOrNull(market.limits.cost?.min, `${symbol} limits.cost.min`) ?? Decimal.ZERO,
      });
    }
    return found;
  }

  /** A step from ccxt's precision: the step itself (TICK_SIZE) or a number of decimal places (DECIMAL_PLACES). */
  #step(value: unknown, what: string): Decimal {
    const precision = decimalOf(value, what);
    if (this.#precisionMode !== ccxt.DECIMAL_PLACES) return precision;
    const places = Number(precision.toString());
    if (!Number.isSafeInteger(places) || places < 0 || places > 18) throw new ConfigurationError(`${what}: ${precision.toString()} is not a number of decimal places`);
    return Decimal.parse(places === 0 ? '1' : `0.${'0'.repeat(places - 1)}1`);
  }
}
