import { Decimal } from '../../core/decimal.ts';
import type { DecisionOutcome, DecisionReason } from '../../core/decision.ts';
import type { BotId, ExposureKey } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import { checkMinimums, quantizePrice, quantizeQuantity } from '../../core/instrument.ts';
import type { Intent, Side } from '../../core/intent.ts';
import { sideSign } from '../../core/intent.ts';
import type { SessionOf } from '../../core/market-session.ts';
import type { TradingState } from '../../core/trading-state.ts';
import type { PositionRecord } from '../../ledger/types.ts';
import type { BotRiskConfig } from './config.ts';
import type { Portfolio } from './portfolio.ts';
export type { LastEntry } from './portfolio.ts';

/**
 * What a decision reads besides the portfolio: the bot's settings, the state it trades under, and whether its rate
 * budget has room; the order manager supplies it.
 */
export interface DecisionContext {
  now: number;
  bot: BotRiskConfig;
  state: TradingState;
  portfolio: Portfolio;
  /** Whether `requests` more venue requests fit the bot's sub-account budget now. */
  rateAllows(requests: number): boolean;
  /** The worst slippage a taker fill is expected to see, as a fraction of its price: risk is sized to it. */
  slippageAllowance: Decimal;
  /** The session an instrument trades in (null: around the clock); an entry outside it is denied MARKET_CLOSED. */
  sessionOf: SessionOf;
}

/** The orders an approved intent becomes, with prices already on the tick and quantity on the lot step. */
export interface OrderPlan {
  role: 'ENTRY' | 'CLOSE';
  side: Side;
  instrument: Instrument;
  quantity: Decimal;
  limitPrice: Decimal | null;
  triggerPrice: Decimal | null;
  /** The price exposure was valued at. */
  entryPrice: Decimal;
  stopLoss: Decimal | null;
  takeProfit: Decimal | null;
  /** The loss per unit if the entry fills at its worst expected price and the stop at its worst: what risk is sized by. */
  stopDistance: Decimal;
}

export interface PipelineResult {
  outcome: DecisionOutcome;
  reason: DecisionReason | null;
  detail: string;
  requestedQuantity: Decimal | null;
  plan: OrderPlan | null;
}

function deny(reason: DecisionReason, detail: string, requestedQuantity: Decimal | null = null): PipelineResult {
  return { outcome: 'DENIED', reason, detail, requestedQuantity, plan: null };
}

/** A bot's signed beta-weighted notional on a key, from positions and from its unfilled entries. */
export function exposureOnKey(context: DecisionContext, botId: BotId, key: ExposureKey): Decimal {
  let total = Decimal.ZERO;
  for (const instrument of context.portfolio.instrumentsOnKey(key)) {
    const position = context.portfolio.position(botId, instrument.id);
    if (position === null || position.quantity.isZero()) continue;
    const price = context.portfolio.mark(instrument.id) ?? position.averageEntryPrice;
    total = total.add(position.quantity.mul(price).mul(instrument.beta));
  }
  for (const entry of context.portfolio.book.entriesOnKey(key)) {
    if (entry.botId !== botId) continue;
    const beta = context.portfolio.instrument(entry.instrumentId)?.beta ?? Decimal.ONE;
    total = total.add(entry.remaining.mul(entry.price).mul(beta));
  }
  return total;
}

/** Entries that built the bot's exposure on a key, filled or still working: the count pyramiding limits. */
function entryOrdersOnKey(context: DecisionContext, botId: BotId, key: ExposureKey): number {
  let count = 0;
  for (const instrument of context.portfolio.instrumentsOnKey(key)) count += context.portfolio.position(botId, instrument.id)?.entryOrders ?? 0;
  for (const entry of context.portfolio.book.entriesOnKey(key)) {
    // A partly filled entry is already counted in its position's entryOrders.
    if (entry.botId === botId && !entry.partlyFilled) count++;
  }
  return count;
}

function checkIntentShape(intent: Intent): string | null {
  if (intent.orderType === 'LIMIT' && intent.limitPrice === undefined) return 'a LIMIT intent needs a limit price';
  if (intent.orderType === 'STOP_MARKET' && intent.triggerPrice === undefined) return 'a STOP_MARKET intent needs a trigger price';
  if (intent.orderType !== 'LIMIT' && intent.limitPrice !== undefined) return `a ${intent.orderType} intent must not carry a limit price`;
  if (intent.orderType !== 'STOP_MARKET' && intent.triggerPrice !== undefined) return `a ${intent.orderType} intent must not carry a trigger price`;
  if (intent.size.kind === 'QUANTITY' && !intent.size.quantity.isPositive()) return `quantity must be positive, got ${intent.size.quantity.toString()}`;
  if (intent.size.kind === 'RISK' && !(intent.size.riskFraction.isPositive() && intent.size.riskFraction.lt(Decimal.ONE))) {
    return `risk fraction must be between 0 and 1, got ${intent.size.riskFraction.toString()}`;
  }
  if (intent.size.scale !== undefined && !(intent.size.scale.isPositive() && intent.size.scale.lte(Decimal.ONE))) {
    return `size scale must be above 0 and at most 1, got ${intent.size.scale.toString()}`;
  }
  for (const price of [intent.limitPrice, intent.triggerPrice, intent.bracket?.stopLoss, intent.bracket?.takeProfit]) {
    if (price !== undefined && !price.isPositive()) return `prices must be positive, got ${price.toString()}`;
  }
  return null;
}

/** Prices for the order itself, rounded so that rounding never pays more or triggers earlier than asked. */
function orderPrices(intent: Intent, instrument: Instrument): { limitPrice: Decimal | null; triggerPrice: Decimal | null } {
  const buying = intent.side === 'BUY';
  return {
    limitPrice: intent.limitPrice === undefined ? null : quantizePrice(instrument, intent.limitPrice, buying ? 'down' : 'up'),
    triggerPrice: intent.triggerPrice === undefined ? null : quantizePrice(instrument, intent.triggerPrice, buying ? 'up' : 'down'),
  };
}

function decideReduction(intent: Intent, context: DecisionContext, instrument: Instrument, position: PositionRecord): PipelineResult {
  if (intent.size.kind !== 'QUANTITY') return deny('INVALID_INTENT', 'a reduction must name its quantity, not a risk fraction');
  if (intent.bracket !== undefined) return deny('INVALID_INTENT', 'a reduction carries no bracket');
  const requested = quantizeQuantity(instrument, intent.size.quantity);
  const held = position.quantity.abs();
  const quantity = Decimal.min(requested, held);
  if (quantity.isZero()) return deny('BELOW_MIN_QUANTITY', `quantity ${intent.size.quantity.toString()} rounds to zero at lot step ${instrument.lotStep.toString()}`, requested);
  if (!context.rateAllows(1)) return deny('RATE_LIMIT_EXCEEDED', `sub-account ${context.bot.subAccountId} has used its ${context.bot.orderRateLimit.maxRequests} requests per ${context.bot.orderRateLimit.windowMs} ms`, requested);
  const { limitPrice, triggerPrice } = orderPrices(intent, instrument);
  const entryPrice = limitPrice ?? triggerPrice ?? context.portfolio.mark(instrument.id) ?? position.averageEntryPrice;
  const capped = quantity.lt(requested);
  return {
    outcome: capped ? 'RESIZED' : 'APPROVED',
    reason: capped ? 'EXCEEDS_POSITION' : null,
    detail: capped ? `reduced to the open position of ${held.toString()}` : `reduces the position of ${position.quantity.toString()}`,
    requestedQuantity: requested,
    plan: { role: 'CLOSE', side: intent.side, instrument, quantity, limitPrice, triggerPrice, entryPrice, stopLoss: null, takeProfit: null, stopDistance: Decimal.ZERO },
  };
}

/**
 * An add needs new information, not a repeated signal: not within the bot's cooldown of its last entry on the key,
 * and only once the price has moved its minimum distance from that entry in the position's favour.
 */
function checkAdd(intent: Intent, context: DecisionContext, instrument: Instrument, entryPrice: Decimal): PipelineResult | null {
  const last = context.portfolio.lastEntry(intent.botId, instrument.exposureKey);
  if (last === null) return null;
  const key = instrument.exposureKey;
  const elapsed = context.now - last.at;
  if (elapsed < context.bot.entryCooldownMs) {
    return deny('ENTRY_COOLDOWN', `bot ${intent.botId} entered ${key} ${Math.max(0, Math.round(elapsed / 1000))} s ago; it may add after ${Math.round(context.bot.entryCooldownMs / 1000)} s`);
  }
  // Measured on the instrument of the last entry, so QQQ then TQQQ on one key compare like with like.
  const now = last.instrumentId === instrument.id ? entryPrice : context.portfolio.mark(last.instrumentId);
  if (now === undefined || !last.price.isPositive()) return null;
  const favour = now.sub(last.price).div(last.price).mul(Decimal.fromInteger(last.side === 'BUY' ? 1 : -1));
  if (favour.lt(context.bot.minAddDistance)) {
    const percent = (value: Decimal): string => value.mul(Decimal.fromInteger(100)).toFixed(3);
    return deny('ADD_TOO_CLOSE', `an add to ${key} needs the price ${percent(context.bot.minAddDistance)}% beyond the last entry at ${last.price.toString()} in its favour; it has moved ${percent(favour)}%`);
  }
  return null;
}

/**
 * The loss per unit between the worst expected entry fill and the worst expected stop fill, both on the tick: a
 * market or stop entry pays the slippage allowance, a limit fills at its limit or better, and a stop fills as a taker.
 */
function worstCaseDistance(orderType: Intent['orderType'], long: boolean, entryPrice: Decimal, stopLoss: Decimal, instrument: Instrument, allowance: Decimal): Decimal {
  // Never below one tick: a stop that low is its own problem, found by the checks before this.
  const against = (price: Decimal, up: boolean): Decimal =>
    Decimal.max(instrument.tickSize, price.mul(up ? Decimal.ONE.add(allowance) : Decimal.ONE.sub(allowance)).quantize(instrument.tickSize, up ? 'ceil' : 'floor'));
  const entry = orderType === 'LIMIT' ? entryPrice : against(entryPrice, long);
  const stop = against(stopLoss, !long);
  return entry.sub(stop).abs();
}

interface Cap {
  quantity: Decimal;
  reason: DecisionReason;
  /** Written only for the cap that binds: most entries bind none, and each text costs several Decimal conversions. */
  detail: () => string;
}

/**
 * The order manager's rules, in order: trading state, reductions, the market session, hedging, stacking, in-flight locks,
 * pyramiding, then sizing against risk, notional and stacking caps, and the rate limit. Pure: it reads the
 * context and changes nothing, so a denial leaves no trace but its record.
 */
export function runPipeline(intent: Intent, context: DecisionContext): PipelineResult {
  const shapeProblem = checkIntentShape(intent);
  if (shapeProblem !== null) return deny('INVALID_INTENT', shapeProblem);
  const instrument = context.portfolio.instrument(intent.instrumentId);
  if (instrument === undefined) return deny('UNKNOWN_INSTRUMENT', `${intent.instrumentId} is not in the instrument configuration`);
  if (context.bot.instruments !== null && !context.bot.instruments.has(instrument.id)) {
    return deny('INSTRUMENT_NOT_ALLOWED', `${instrument.id} is not among bot ${intent.botId}'s instruments`);
  }
  if (context.state === 'HALTED') return deny('TRADING_HALTED', `bot ${intent.botId} is halted; only cancels and the flatten path run`);

  const position = context.portfolio.position(intent.botId, instrument.id);
  const signedHeld = position?.quantity ?? Decimal.ZERO;
  const reduces = !signedHeld.isZero() && sideSign(intent.side) !== signedHeld.sign();

  if (intent.reduceOnly) {
    if (!reduces || position === null) return deny('NOTHING_TO_REDUCE', `bot ${intent.botId} holds ${signedHeld.toString()} ${instrument.id}; a ${intent.side} would not reduce it`);
    return decideReduction(intent, context, instrument, position);
  }
  if (reduces && position !== null) {
    if (intent.size.kind === 'QUANTITY' && quantizeQuantity(instrument, intent.size.quantity).lte(signedHeld.abs()) && intent.bracket === undefined) {
      return decideReduction(intent, context, instrument, position);
    }
    return deny('INVALID_INTENT', `a ${intent.side} larger than the open position of ${signedHeld.toString()} would flip it; close with a reduce-only intent first`);
  }
  if (context.state === 'REDUCING') return deny('REDUCE_ONLY_STATE', `bot ${intent.botId} is reducing; only orders that shrink its exposure are allowed`);
  // Only entries wait for the session: closes and protective orders rest at the venue as it allows.
  const session = context.sessionOf(instrument);
  if (session !== null && !session.isOpen(context.now)) {
    const opens = session.nextOpen(context.now);
    return deny('MARKET_CLOSED', `${instrument.id} trades in the ${session.name}, which is closed${opens === null ? '' : `; it opens at ${new Date(opens).toISOString()}`}`);
  }
  if (intent.side === 'SELL' && instrument.kind === 'SPOT') return deny('INVALID_INTENT', `${instrument.id} is spot: there is nothing to borrow, so it cannot be sold short`);

  // An entry from here on: it must say where it is wrong, or its risk cannot be measured.
  const stopInput = intent.bracket?.stopLoss;
  if (stopInput === undefined) return deny('INVALID_INTENT', 'an entry needs a bracket stop-loss; without one its risk cannot be measured');
  const { limitPrice, triggerPrice } = orderPrices(intent, instrument);
  const entryPrice = limitPrice ?? triggerPrice ?? context.portfolio.mark(instrument.id);
  if (entryPrice === undefined) return deny('NO_MARK_PRICE', `no market price for ${instrument.id} yet; a market entry cannot be sized`);
  const long = intent.side === 'BUY';
  // Stops round toward the entry (never looser than asked); take-profits round toward the entry too (never greedier).
  const stopLoss = quantizePrice(instrument, stopInput, long ? 'up' : 'down');
  const takeProfit = intent.bracket?.takeProfit === undefined ? null : quantizePrice(instrument, intent.bracket.takeProfit, long ? 'down' : 'up');
  if (long ? stopLoss.gte(entryPrice) : stopLoss.lte(entryPrice)) {
    return deny('INVALID_INTENT', `stop-loss ${stopLoss.toString()} is not on the losing side of the entry at ${entryPrice.toString()}`);
  }
  if (takeProfit !== null && (long ? takeProfit.lte(entryPrice) : takeProfit.gte(entryPrice))) {
    return deny('INVALID_INTENT', `take-profit ${takeProfit.toString()} is not on the winning side of the entry at ${entryPrice.toString()}`);
  }

  const key = instrument.exposureKey;
  const direction = sideSign(intent.side) * instrument.beta.sign();
  const policy = context.portfolio.keyPolicy(key);
  let sameDirectionNotional = Decimal.ZERO;
  let ownSameDirection = false;
  for (const botId of context.portfolio.botIds()) {
    const exposure = exposureOnKey(context, botId, key);
    if (exposure.isZero()) continue;
    const own = botId === intent.botId;
    if (exposure.sign() !== direction) {
      return deny('WOULD_HEDGE', own
        ? `bot ${botId} already holds the opposite side of ${key}; entering ${instrument.id} would hedge itself`
        : `bot ${botId} holds the opposite side of ${key}; ${intent.side} ${instrument.id} would hedge it`);
    }
    sameDirectionNotional = sameDirectionNotional.add(exposure.abs());
    if (own) ownSameDirection = true;
    else if (policy.policy === 'exclusive') return deny('WOULD_STACK', `bot ${botId} already holds ${key} in this direction and ${key} is exclusive`);
  }

  const lock = context.portfolio.book.isLocked(key, context.now);
  if (lock !== null) {
    return deny(
      'IN_FLIGHT_LOCK',
      'clientOrderId' in lock
        ? `entry ${lock.clientOrderId} on ${key} holds the key until it fills or ends (an entry the venue has not answered holds it until the venue is asked)`
        : `bot ${lock.botId}'s entry on ${key} ${Math.max(0, Math.round((context.now - lock.since) / 1000))} s ago holds the key until ${new Date(lock.until).toISOString()} (its entryLockMs of ${Math.round((lock.until - lock.since) / 1000)} s)`,
    );
  }

  if (ownSameDirection) {
    const adds = Math.max(0, entryOrdersOnKey(context, intent.botId, key) - 1);
    if (adds >= context.bot.maxAdds) return deny('PYRAMID_LIMIT', `bot ${intent.botId} has added ${adds} time(s) to ${key}; the limit is ${context.bot.maxAdds}`);
    const addProblem = checkAdd(intent, context, instrument, entryPrice);
    if (addProblem !== null) return addProblem;
  }

  const equity = context.portfolio.equity(intent.botId);
  const stopDistance = worstCaseDistance(intent.orderType, long, entryPrice, stopLoss, instrument, context.slippageAllowance);
  const requested = quantizeQuantity(
    instrument,
    intent.size.kind === 'QUANTITY' ? intent.size.quantity : Decimal.max(equity, Decimal.ZERO).mul(intent.size.riskFraction).div(stopDistance, 'floor'),
  );

  const caps: Cap[] = [];
  const riskBudget = equity.mul(context.bot.riskPerTrade);
  caps.push({ quantity: riskBudget.div(stopDistance, 'floor'), reason: 'RISK_PER_TRADE_EXCEEDED', detail: () => `risk per trade is capped at ${riskBudget.toString()} (${context.bot.riskPerTrade.toString()} of equity ${equity.toString()})` });
  const openRoom = equity.mul(context.bot.maxOpenRisk).sub(context.portfolio.openRisk(intent.botId));
  caps.push({ quantity: openRoom.isPositive() ? openRoom.div(stopDistance, 'floor') : Decimal.ZERO, reason: 'CONCURRENT_RISK_EXCEEDED', detail: () => `open risk room is ${Decimal.max(openRoom, Decimal.ZERO).toString()} of ${equity.mul(context.bot.maxOpenRisk).toString()}` });
  caps.push({ quantity: context.bot.maxNotionalPerOrder.div(entryPrice, 'floor'), reason: 'NOTIONAL_EXCEEDS_MAX', detail: () => `notional per order is capped at ${context.bot.maxNotionalPerOrder.toString()}` });
  if (policy.policy === 'capped') {
    const room = policy.maxNotional.sub(sameDirectionNotional);
    caps.push({ quantity: room.isPositive() ? room.div(entryPrice.mul(instrument.beta.abs()), 'floor') : Decimal.ZERO, reason: 'WOULD_STACK', detail: () => `${key} is capped at ${policy.maxNotional.toString()} beta-weighted notional and ${sameDirectionNotional.toString()} is taken` });
  }

  let quantity = requested;
  let binding: Cap | null = null;
  for (const cap of caps) {
    if (cap.quantity.lt(quantity)) {
      quantity = cap.quantity;
      binding = cap;
    }
  }
  // The bot's scale (its drawdown sizing) applies after the caps: it is part of what the bot asks, not a resize.
  const scale = intent.size.scale ?? Decimal.ONE;
  const scaling = scale.lt(Decimal.ONE);
  const capped = quantizeQuantity(instrument, Decimal.max(quantity, Decimal.ZERO));
  const asked = scaling ? quantizeQuantity(instrument, requested.mul(scale)) : requested;
  quantity = scaling ? quantizeQuantity(instrument, capped.mul(scale)) : capped;
  const scaleText = (base: Decimal): string => (scaling ? ` (${base.toString()} × the bot's drawdown scale of ${scale.toString()})` : '');
  const minimums = checkMinimums(instrument, quantity, entryPrice);
  if (!minimums.ok) {
    if (binding !== null && !checkMinimums(instrument, capped, entryPrice).ok) {
      return deny(binding.reason, `${binding.detail()}; what is left, ${capped.toString()}, is too small: ${minimums.problem}`, asked);
    }
    // The caps left enough; the bot's own scale is what makes the entry too small.
    return deny('BELOW_MIN_QUANTITY', `${quantity.toString()}${scaleText(binding === null ? requested : capped)} is too small: ${minimums.problem}`, asked);
  }
  const resized = binding !== null && quantity.lt(asked);

  const requests = 2 + (takeProfit === null ? 0 : 1);
  if (!context.rateAllows(requests)) {
    return deny('RATE_LIMIT_EXCEEDED', `sub-account ${context.bot.subAccountId} has no room for ${requests} more requests within ${context.bot.orderRateLimit.windowMs} ms`, requested);
  }
  return {
    outcome: resized ? 'RESIZED' : 'APPROVED',
    reason: resized ? (binding?.reason ?? null) : null,
    detail: resized
      ? `resized from ${asked.toString()} to ${quantity.toString()}${scaleText(capped)}: ${binding?.detail() ?? ''}`
      : `entry of ${quantity.toString()}${scaleText(requested)} risking ${quantity.mul(stopDistance).toString()}`,
    requestedQuantity: asked,
    plan: { role: 'ENTRY', side: intent.side, instrument, quantity, limitPrice, triggerPrice, entryPrice, stopLoss, takeProfit, stopDistance },
  };
}
