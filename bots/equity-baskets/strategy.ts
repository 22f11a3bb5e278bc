import { defineStrategy, riskSize, US_EQUITY_CALENDAR } from 'flotilla/strategy';
import type { BotStateView, EntryDenial, InstrumentId, Strategy, StrategyAction, StrategyContext, TimeframeCandle } from 'flotilla/strategy';
import { BASKET_STATES, judgeBasket, Persistence, readBasket, SUPPRESS_REASONS } from './baskets.ts';
import type { BasketState, SuppressReason } from './baskets.ts';
import { parameters } from './parameters.ts';
import type { BasketParameters, BasketSettings } from './parameters.ts';
import { addsHeld, blockOf, BLOCKS, entering, heldLong, longBracket, openRiskShare, price, ROUTES } from './routing.ts';
import type { Block, Route } from './routing.ts';
import { Scorer, signalOf } from './scoring.ts';

/**
 * Equity baskets, on 1-minute candles. Each instrument is scored in [-1, +1] from its own price and volume
 * (scoring.ts); |score| above signalThreshold is a signal. A positive stock signal may buy the stock (long only). A
 * negative one never buys anything by itself: it counts towards its basket, and a basket buys its inverse ETF once,
 * only when breadth, a weak enough mean score, persistence over consecutive evaluations and a falling basket trend
 * all hold (baskets.ts), with at most maxAdds adds on a further decline while risk room is left. A signal on an ETF
 * itself is traded as that ETF and never routed anywhere. The order manager has the last word on every entry (the
 * in-flight lock on the ETF's exposure key, hedging and stacking across the fleet, risk caps); its denials come back
 * through onEntryDenied and are noted.
 *
 * Every basket evaluation leaves notes: `basket_state` per basket ETF, and either a `route` or the first `suppress`
 * reason that failed; a direct signal leaves its `route` or `suppress`; `block` names each denial learnt of, and
 * `flip_flop` each change of a stock's signal from long to short or back.
 */

export const NOTES = {
  route: ROUTES,
  suppress: SUPPRESS_REASONS,
  block: BLOCKS,
  basket_state: BASKET_STATES,
  flip_flop: ['SIGN_CHANGED'],
} as const;

const MINUTE = 60_000;

interface Basket {
  settings: BasketSettings;
  stocks: InstrumentId[];
  etf: InstrumentId;
  persistence: Persistence;
  /** The minute (open time) being gathered, the stocks seen in it, and whether it has been evaluated. */
  minute: number;
  seen: Set<InstrumentId>;
  evaluated: boolean;
}

export function createBasketsStrategy(context: StrategyContext<BasketParameters>): Strategy {
  const p = context.parameters;
  const timeframe = context.timeframes[0];
  const instruments = new Set(context.instruments);
  const known = (text: string, what: string): InstrumentId => {
    const id = text as InstrumentId;
    if (!instruments.has(id)) throw new Error(`parameters.baskets: ${what} ${text} is not among the manifest's instruments`);
    return id;
  };
  const baskets: Basket[] = p.baskets.map((settings) => ({
    settings,
    stocks: settings.stocks.map((stock) => known(stock, `stock`)),
    etf: known(settings.inverseEtf, 'inverse ETF'),
    persistence: new Persistence(),
    minute: Number.NEGATIVE_INFINITY,
    seen: new Set(),
    evaluated: true,
  }));
  const basketOf = new Map<InstrumentId, Basket>();
  for (const basket of baskets) for (const stock of basket.stocks) basketOf.set(stock, basket);
  const scorers = new Map<InstrumentId, Scorer>();
  const scorer = (instrumentId: InstrumentId): Scorer => {
    let found = scorers.get(instrumentId);
    if (found === undefined) {
      found = new Scorer(p, p.trendMinutes);
      scorers.set(instrumentId, found);
    }
    return found;
  };
  /** Each stock's last signal, for flip-flops: evaluations without a signal in between do not reset it. */
  const lastSign = new Map<InstrumentId, 1 | -1>();
  /** Denials learnt of since the last candle, noted on the next one. */
  let blocks: Array<{ instrumentId: InstrumentId; block: Block }> = [];
  /** After a hedge or stack denial on an instrument, no entry is asked for on it before this time. */
  const conflictUntil = new Map<InstrumentId, number>();
  /** After an in-flight lock denial, the key is left alone for a minute: asking again within it would only be denied. */
  const lockedUntil = new Map<InstrumentId, number>();

  /** The first reason an entry on `instrumentId` cannot be asked for now, or null. */
  function orderProblem(instrumentId: InstrumentId, state: BotStateView, now: number, entered: ReadonlySet<InstrumentId>): SuppressReason | null {
    if (state.tradingState !== 'ACTIVE') return 'NOT_ACTIVE';
    if (entered.has(instrumentId) || entering(state, instrumentId) || (lockedUntil.get(instrumentId) ?? Number.NEGATIVE_INFINITY) > now) return 'LOCKED';
    if ((conflictUntil.get(instrumentId) ?? Number.NEGATIVE_INFINITY) > now) return 'CONFLICT';
    return null;
  }

  /** An ENTER on a long at the instrument's last close, or the reason it cannot be sized. */
  function enter(instrumentId: InstrumentId, state: BotStateView, route: Route): StrategyAction | SuppressReason {
    const reading = scorer(instrumentId);
    if (!(reading.close > 0 && reading.atr > 0)) return 'NOT_READY';
    if (openRiskShare(state, p.riskFraction) > p.openRiskBudget - p.riskFraction + 1e-12) return 'RISK_FULL';
    const size = riskSize(state, p.riskFraction, p.drawdownFloor);
    if (size === null) return 'RISK_FULL';
    const bracket = longBracket(reading.close, reading.atr, p);
    return {
      type: 'ENTER',
      instrumentId,
      side: 'BUY',
      size,
      orderType: 'MARKET',
      stopLoss: price(bracket.stopLoss),
      takeProfit: price(bracket.takeProfit),
      reason: `${route} ${instrumentId} score ${(reading.score ?? 0).toFixed(3)}`,
    };
  }

  function evaluateBasket(basket: Basket, state: BotStateView, now: number, open: boolean, entered: Set<InstrumentId>, actions: StrategyAction[]): void {
    basket.evaluated = true;
    const etf = basket.etf;
    const held = heldLong(state, etf);
    const adds = held === null ? 0 : addsHeld(state, etf);
    const note = (basketState: BasketState, outcome: { route: Route } | { suppress: SuppressReason }): void => {
      actions.push({ type: 'NOTE', name: 'basket_state', value: held === null ? basketState : adds > 0 ? 'ADDED' : 'HOLDING', instrumentId: etf });
      if ('route' in outcome) actions.push({ type: 'NOTE', name: 'route', value: outcome.route, instrumentId: etf });
      else actions.push({ type: 'NOTE', name: 'suppress', value: outcome.suppress, instrumentId: etf });
    };
    if (!open) {
      basket.persistence.reset();
      note('IDLE', { suppress: 'MARKET_CLOSED' });
      return;
    }
    const reading = readBasket(
      basket.stocks.map((stock) => scorer(stock).score),
      basket.stocks.map((stock) => scorer(stock).returnOver(p.trendMinutes)),
      p.signalThreshold,
    );
    const verdict = judgeBasket(basket.minute, reading, basket.settings, basket.persistence, p);
    if (verdict.problem !== null) {
      note(verdict.persisted >= 1 ? 'WATCHING' : 'IDLE', { suppress: verdict.problem });
      return;
    }
    const route: Route = held === null ? 'ENTRY' : 'ADD';
    let problem = orderProblem(etf, state, now, entered);
    if (problem === null && held !== null) {
      if (adds >= p.maxAdds) problem = 'ADD_USED';
      else if (scorer(etf).close < held.averageEntry * (1 + p.addMinMove)) problem = 'NO_FURTHER_DECLINE';
    }
    const action = problem === null ? enter(etf, state, route) : problem;
    if (typeof action === 'string') {
      note('ACTIONABLE', { suppress: action });
      return;
    }
    entered.add(etf);
    note('ACTIONABLE', { route });
    actions.push(action);
  }

  /** A positive signal on an instrument outside the baskets' routing: a stock bought as a stock, an ETF as itself. */
  function direct(instrumentId: InstrumentId, route: Route, state: BotStateView, now: number, open: boolean, entered: Set<InstrumentId>, actions: StrategyAction[]): void {
    // A position already held is the signal's answer: there is nothing to suppress.
    if (heldLong(state, instrumentId) !== null) return;
    const problem = open ? orderProblem(instrumentId, state, now, entered) : 'MARKET_CLOSED';
    const action = problem === null ? enter(instrumentId, state, route) : problem;
    if (typeof action === 'string') {
      actions.push({ type: 'NOTE', name: 'suppress', value: action, instrumentId });
      return;
    }
    entered.add(instrumentId);
    actions.push({ type: 'NOTE', name: 'route', value: route, instrumentId });
    actions.push(action);
  }

  return {
    onEntryDenied(denial: EntryDenial): void {
      blocks.push({ instrumentId: denial.instrumentId, block: blockOf(denial.reason) });
      if (denial.reason === 'WOULD_HEDGE' || denial.reason === 'WOULD_STACK') conflictUntil.set(denial.instrumentId, denial.decidedAt + p.conflictBackoffMinutes * MINUTE);
      if (denial.reason === 'IN_FLIGHT_LOCK') lockedUntil.set(denial.instrumentId, denial.decidedAt + MINUTE);
    },

    onCandle(candle: TimeframeCandle, state: BotStateView): StrategyAction[] {
      if (candle.timeframe !== timeframe) return [];
      const instrumentId = candle.instrumentId;
      const reading = scorer(instrumentId);
      const score = reading.update(candle.openTime, candle.high.toNumber(), candle.low.toNumber(), candle.close.toNumber(), candle.volume.toNumber());
      // History only fills the indicators: persistence and flip-flops count live evaluations.
      if (state.warmingUp === true) return [];

      const actions: StrategyAction[] = [];
      for (const { instrumentId: denied, block } of blocks) actions.push({ type: 'NOTE', name: 'block', value: block, instrumentId: denied });
      blocks = [];
      const close = candle.openTime + candle.durationMs;
      const now = Math.max(state.now, close);
      // Live, the venue's session as the supervisor saw it (its clock, not this machine's), and never a candle that
      // closes at or after the session's close; in a backtest, the calendar at the later of the bot's clock and the close.
      const open = state.sessionOpen === undefined ? US_EQUITY_CALENDAR.isOpen(now) : state.sessionOpen && US_EQUITY_CALENDAR.isOpen(close);
      const entered = new Set<InstrumentId>();
      const basket = basketOf.get(instrumentId);
      const signal = signalOf(score, p.signalThreshold);

      if (basket !== undefined && signal !== 0) {
        const before = lastSign.get(instrumentId);
        if (before !== undefined && before !== signal) actions.push({ type: 'NOTE', name: 'flip_flop', value: 'SIGN_CHANGED', instrumentId });
        lastSign.set(instrumentId, signal);
      }
      if (signal === 1) {
        if (basket === undefined) direct(instrumentId, 'ETF_DIRECT', state, now, open, entered, actions);
        else if (p.buyStockSignals) direct(instrumentId, 'STOCK_LONG', state, now, open, entered, actions);
      }

      if (basket !== undefined) {
        // A basket is evaluated once a minute: when its last stock's candle of the minute is in, or, if one never comes,
        // on the first candle of a later minute.
        if (candle.openTime > basket.minute) {
          if (!basket.evaluated && basket.seen.size > 0) evaluateBasket(basket, state, now, open, entered, actions);
          basket.minute = candle.openTime;
          basket.seen.clear();
          basket.evaluated = false;
        }
        if (candle.openTime === basket.minute && !basket.evaluated) {
          basket.seen.add(instrumentId);
          if (basket.seen.size === basket.stocks.length) evaluateBasket(basket, state, now, open, entered, actions);
        }
      }
      return actions;
    },
  };
}

export default defineStrategy<BasketParameters>({
  interfaceVersion: 1,
  parameters,
  notes: NOTES,
  create: (context) => createBasketsStrategy(context),
});
