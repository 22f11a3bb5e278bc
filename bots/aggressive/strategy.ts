import { Decimal, defineStrategy, riskSize } from 'flotilla/strategy';
import type { BotStateView, InstrumentId, OrderView, SizeRequest, StrategyAction, TimeframeCandle } from 'flotilla/strategy';
import { bracketFor, trailingStop } from './exits.ts';
import { InstrumentIndicators } from './indicators.ts';
import { parameters } from './parameters.ts';
import type { AggressiveParameters } from './parameters.ts';
import { classifyRegime, longConfidence, longThreshold, REGIMES, shortThreshold } from './regime.ts';
import type { Regime } from './regime.ts';

/**
 * The aggressive 5-minute scalper. Per instrument it classifies the regime (ADX, ATR percentile, Bollinger
 * band width, EMA slope), scores a confidence for each side and enters a side whose confidence reaches the
 * base threshold plus that regime's adjustment. Each trade carries a fixed take-profit and a stop that trails
 * the close by a configured distance, moved only in the trade's favour.
 */

interface Track {
  indicators: InstrumentIndicators;
  /** The regime last reported in a REGIME note, so that a note is made on each change and on each entry. */
  noted: Regime | null;
}

/** Prices the strategy computes are kept to 12 decimal places, far finer than any tick the order manager rounds to. */
const PRICE_PLACES = 12;
const PRICE_SCALE = 10 ** PRICE_PLACES;
const UNITS_PER_PRICE_STEP = Decimal.ONE.units / 10n ** BigInt(PRICE_PLACES);

/** A computed price as a Decimal: through the integer units, about eight times faster than Decimal.fromNumber's string round trip. */
function toPrice(value: number): Decimal {
  return Decimal.fromUnits(BigInt(Math.round(value * PRICE_SCALE)) * UNITS_PER_PRICE_STEP);
}

/** Whether an entry on the instrument is already on its way: sent and unanswered, or resting as an order. */
function entering(state: BotStateView, instrumentId: InstrumentId): boolean {
  if (state.pendingEntries.has(instrumentId)) return true;
  for (const order of state.openOrders) if (order.instrumentId === instrumentId && order.role === 'ENTRY') return true;
  return false;
}

/** Instruments holding a position or an entry on its way: what the concurrency limit counts. */
function occupied(state: BotStateView): number {
  const busy = new Set<InstrumentId>(state.pendingEntries);
  for (const [instrumentId, position] of state.positions) if (!position.quantity.isZero()) busy.add(instrumentId);
  for (const order of state.openOrders) if (order.role === 'ENTRY') busy.add(order.instrumentId);
  return busy.size;
}

function trail(instrumentId: InstrumentId, state: BotStateView, indicators: InstrumentIndicators, quantity: Decimal, entry: Decimal, p: AggressiveParameters, reason: string): StrategyAction | null {
  // A halted bot's stop moves are denied anyway; asking would only add noise to its decision log.
  if (state.tradingState === 'HALTED') return null;
  const long = quantity.isPositive();
  // Right after a move the old stop may still be open, awaiting its cancel: the tightest stop is the live one.
  let stop: OrderView | null = null;
  let trigger = 0;
  for (const order of state.openOrders) {
    if (order.instrumentId !== instrumentId || order.role !== 'STOP' || order.triggerPrice === null) continue;
    const price = order.triggerPrice.toNumber();
    if (stop === null || (long ? price > trigger : price < trigger)) {
      stop = order;
      trigger = price;
    }
  }
  if (stop === null) return null;
  const target = trailingStop(long, indicators.close, entry.toNumber(), indicators.atr, trigger, p);
  if (target === null) return null;
  return { type: 'MOVE_STOP', clientOrderId: stop.clientOrderId, triggerPrice: toPrice(target), reason };
}

export default defineStrategy<AggressiveParameters>({
  interfaceVersion: 1,
  parameters,
  notes: { REGIME: REGIMES },
  create({ parameters: p, timeframes }) {
    const timeframe = timeframes[0];
    const tracks = new Map<InstrumentId, Track>();
    const trailReason = `trail ${p.trailingAtr} ATR behind the close`;
    // riskSize reads the drawdown through Decimal.toNumber (string round trips); the drawdown changes far less
    // often than the bot enters, so the size is worked out again only when it has.
    let sizedDrawdown: bigint | null = null;
    let sizedThreshold: bigint | null = null;
    let size: SizeRequest | null = null;
    const sizeFor = (state: BotStateView): SizeRequest | null => {
      if (state.drawdown.units !== sizedDrawdown || state.drawdownThreshold.units !== sizedThreshold) {
        size = riskSize(state, p.riskFraction, p.drawdownFloor);
        sizedDrawdown = state.drawdown.units;
        sizedThreshold = state.drawdownThreshold.units;
      }
      return size;
    };
    return {
      onCandle(candle: TimeframeCandle, state: BotStateView): StrategyAction[] {
        if (candle.timeframe !== timeframe) return [];
        const instrumentId = candle.instrumentId;
        let track = tracks.get(instrumentId);
        if (track === undefined) {
          track = { indicators: new InstrumentIndicators(p), noted: null };
          tracks.set(instrumentId, track);
        }
        const indicators = track.indicators;
        if (!indicators.update(candle.high.toNumber(), candle.low.toNumber(), candle.close.toNumber())) return [];

        const position = state.positions.get(instrumentId);
        const held = position !== undefined && !position.quantity.isZero();
        const move = held ? trail(instrumentId, state, indicators, position.quantity, position.averageEntryPrice, p, trailReason) : null;
        // Counted from the epoch, not from start-up, so a restarted bot scans the same candles as before.
        if (Math.floor(candle.openTime / candle.durationMs) % p.scanIntervalCandles !== 0) return move === null ? [] : [move];

        const regime = classifyRegime(indicators, p);
        let enter: StrategyAction | null = null;
        if (!held && state.tradingState === 'ACTIVE' && !state.pendingEntries.has(instrumentId)) {
          const long = longConfidence(indicators, p);
          const short = 1 - long;
          const needLong = longThreshold(regime, p);
          const needShort = shortThreshold(regime, p);
          const goLong = long >= needLong && (short < needShort || long >= short);
          const goShort = !goLong && short >= needShort;
          const size = (goLong || goShort) && !entering(state, instrumentId) && occupied(state) < p.maxConcurrentPositions ? sizeFor(state) : null;
          if (size !== null) {
            const { stopLoss, takeProfit } = bracketFor(goLong, indicators.close, indicators.atr, p);
            enter = {
              type: 'ENTER',
              instrumentId,
              side: goLong ? 'BUY' : 'SELL',
              size,
              orderType: 'MARKET',
              stopLoss: toPrice(stopLoss),
              takeProfit: toPrice(takeProfit),
              reason: goLong
                ? `${regime}: long confidence ${long.toFixed(3)} >= ${needLong.toFixed(3)}`
                : `${regime}: short confidence ${short.toFixed(3)} >= ${needShort.toFixed(3)}`,
            };
          }
        }
        const actions: StrategyAction[] = [];
        if (move !== null) actions.push(move);
        // Every entry carries its regime, on the same candle and instrument, so results can be split by regime.
        if (regime !== track.noted || enter !== null) {
          track.noted = regime;
          actions.push({ type: 'NOTE', name: 'REGIME', value: regime, instrumentId });
        }
        if (enter !== null) actions.push(enter);
        return actions;
      },
    };
  },
});
