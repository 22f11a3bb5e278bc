import type { Clock } from '../../core/clock.ts';
import type { BotId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import { stricterState } from '../../core/trading-state.ts';
import type { TradingState } from '../../core/trading-state.ts';
import type { Scope, ScopeState, StateChangeReason, SupervisorStore } from '../store/supervisor-store.ts';
import { botScope } from '../store/supervisor-store.ts';

export interface TradingStatesDependencies {
  store: SupervisorStore;
  clock: Clock;
  logger: Logger;
  /** Told of every change, after it is persisted. */
  changed(state: ScopeState): void;
}

const activeState = (scope: Scope): ScopeState => ({ scope, state: 'ACTIVE', reason: null, detail: '', changedAt: 0, flattenPending: false });

/**
 * The trading state of the fleet and of each bot, persisted on every change so a halt survives a crash, and the
 * rules for the one change the supervisor makes on its own: a bot gone silent is set REDUCING, and set free again
 * only if nothing stricter happened meanwhile.
 */
export class TradingStates {
  readonly #states = new Map<Scope, ScopeState>();
  readonly #dependencies: TradingStatesDependencies;

  constructor(dependencies: TradingStatesDependencies) {
    this.#dependencies = dependencies;
  }

  /** Reloads every persisted state: part of every start. */
  recover(): void {
    for (const state of this.#dependencies.store.loadStates()) this.#states.set(state.scope, state);
  }

  get(scope: Scope): ScopeState {
    return this.#states.get(scope) ?? activeState(scope);
  }

  /** The state a bot trades under: the stricter of its own and the fleet's. */
  effective(botId: BotId): TradingState {
    return stricterState(this.get('fleet').state, this.get(botScope(botId)).state);
  }

  set(scope: Scope, state: TradingState, reason: StateChangeReason, detail: string, flattenPending: boolean): ScopeState {
    const next: ScopeState = { scope, state, reason, detail, changedAt: this.#dependencies.clock.now(), flattenPending };
    this.#dependencies.store.saveState(next);
    this.#states.set(scope, next);
    this.#dependencies.logger.warn({ scope, state, reason, detail }, 'trading state changed');
    this.#dependencies.changed(next);
    return next;
  }

  /** A bot gone silent may not open anything new; an operator's or drawdown's stricter state is never loosened. */
  heartbeatLost(botId: BotId, detail: string): void {
    const scope = botScope(botId);
    const current = this.get(scope);
    if (current.state !== 'ACTIVE') return;
    this.set(scope, 'REDUCING', 'HEARTBEAT_LOST', detail, current.flattenPending);
  }

  /** Lifts only a REDUCING that a lost heartbeat set; any other halt stays until an operator resumes it. */
  heartbeatRestored(botId: BotId): void {
    const scope = botScope(botId);
    const current = this.get(scope);
    if (current.reason !== 'HEARTBEAT_LOST' || current.state !== 'REDUCING') return;
    this.set(scope, 'ACTIVE', 'HEARTBEAT_RESTORED', 'heartbeat heard again', current.flattenPending);
  }
}
