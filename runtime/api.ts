/**
 * Everything a bot's strategy module may import from Flotilla, as `flotilla/strategy`. Bots get types, the
 * Decimal for prices and sizes, and defineStrategy; never a venue, a key or the engine's state.
 */
export { Decimal } from '../core/decimal.ts';
export { defineStrategy, STRATEGY_INTERFACE_VERSION, TIMEFRAME_MS } from '../core/strategy.ts';
export { drawdownScale, riskSize, scaledForDrawdown } from './sizing.ts';
export { RollingBollingerBands } from './indicators/rolling-bollinger-bands.ts';
/** The bundled US equity session (NYSE hours, early closes, holidays): what the order manager denies MARKET_CLOSED by offline. */
export { US_EQUITY_CALENDAR } from '../core/market-session.ts';
export type { MarketSession } from '../core/market-session.ts';
export type { BotStateView, EntryDenial, OrderView, PositionView, Strategy, StrategyAction, StrategyContext, StrategyModule, StrategyNote, Timeframe, TimeframeCandle } from '../core/strategy.ts';
export type { InstrumentId, ClientOrderId } from '../core/ids.ts';
export type { Side, SizeRequest } from '../core/intent.ts';
