import type { BotId, ClientOrderId, SubAccountId } from '../../core/ids.ts';
import { parseIntentId } from '../../core/ids.ts';
import type { SubmitOrder } from '../../core/order.ts';
import type { TradingState } from '../../core/trading-state.ts';
import type { Ledger, OrderRecord } from '../../ledger/types.ts';
import type { Scope, ScopeState, StateChangeReason } from '../store/supervisor-store.ts';

export interface KillReport {
  scope: Scope;
  /** Entry orders cancelled by ID. */
  canceled: ClientOrderId[];
  /** Reduce-only closes submitted (flatten only). */
  closing: ClientOrderId[];
  /** Protective orders cancelled because their positions were already flat (flatten only). */
  protectiveCanceled: ClientOrderId[];
}

/** What the kill switch needs of the order manager: its books, and its one way each to cancel, send and set state. */
export interface KillSwitchPort {
  botsIn(scope: Scope): BotId[];
  ledger(botId: BotId): Ledger;
  subAccount(botId: BotId): SubAccountId | undefined;
  /** Cancels by client order ID, as few requests as the venues allow: a kill must beat their rate limits. */
  cancelMany(orders: readonly OrderRecord[]): void;
  /** Records the order in the bot's ledger, counts it against the rate limit and sends it. */
  submit(botId: BotId, order: SubmitOrder): void;
  scopeState(scope: Scope): ScopeState;
  setState(scope: Scope, state: TradingState, reason: StateChangeReason, detail: string, flattenPending: boolean): void;
  now(): number;
}

/**
 * The kill switch: HALTED, every open entry cancelled by ID, protective stops kept. With flatten, every
 * position gets a reduce-only close and the scope stays latched until all are confirmed flat, when the
 * leftover protective orders are cancelled. Orders Flotilla did not make are never in a ledger, so never touched.
 */
export function pullKillSwitch(port: KillSwitchPort, scope: Scope, flatten: boolean): KillReport {
  port.setState(scope, 'HALTED', 'KILL_SWITCH', flatten ? 'kill switch with flatten' : 'kill switch', flatten);
  const report: KillReport = { scope, canceled: [], closing: [], protectiveCanceled: [] };
  const now = port.now();
  const entries = port.botsIn(scope).flatMap((botId) => port.ledger(botId).openOrders().filter((order) => order.role === 'ENTRY'));
  port.cancelMany(entries);
  report.canceled.push(...entries.map((order) => order.clientOrderId));
  for (const botId of port.botsIn(scope)) {
    const ledger = port.ledger(botId);
    const subAccountId = port.subAccount(botId);
    if (!flatten || subAccountId === undefined) continue;
    for (const position of ledger.openPositions()) {
      const alreadyClosing = ledger.openOrders().some((order) => order.role === 'CLOSE' && order.instrumentId === position.instrumentId);
      if (alreadyClosing) continue;
      const close: SubmitOrder = {
        clientOrderId: ledger.allocateClientOrderId('CLOSE'),
        botId,
        subAccountId,
        intentId: parseIntentId(`kill-${now}`),
        instrumentId: position.instrumentId,
        role: 'CLOSE',
        side: position.quantity.isPositive() ? 'SELL' : 'BUY',
        type: 'MARKET',
        quantity: position.quantity.abs(),
        limitPrice: null,
        triggerPrice: null,
        timeInForce: 'GTC',
        reduceOnly: true,
        parentClientOrderId: null,
        activatesOnParentFill: false,
      };
      port.submit(botId, close);
      report.closing.push(close.clientOrderId);
    }
  }
  if (flatten) report.protectiveCanceled.push(...continueFlatten(port, scope));
  return report;
}

/** Once every position in a flattening scope is flat, its leftover protective orders go and the latch clears. */
export function continueFlatten(port: KillSwitchPort, scope: Scope): ClientOrderId[] {
  const bots = port.botsIn(scope);
  if (bots.some((botId) => port.ledger(botId).openPositions().length > 0)) return [];
  const protective = bots.flatMap((botId) => port.ledger(botId).openOrders().filter((order) => order.role === 'STOP' || order.role === 'TAKE_PROFIT'));
  port.cancelMany(protective);
  const canceled: ClientOrderId[] = protective.map((order) => order.clientOrderId);
  const state = port.scopeState(scope);
  port.setState(scope, state.state, state.reason ?? 'KILL_SWITCH', `${state.detail}; flat, protective orders cancelled`, false);
  return canceled;
}
