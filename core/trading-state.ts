/** After NautilusTrader's RiskEngine: HALTED denies everything but cancels; REDUCING allows only what shrinks exposure. */
export type TradingState = 'ACTIVE' | 'REDUCING' | 'HALTED';
export const TRADING_STATES: readonly TradingState[] = ['ACTIVE', 'REDUCING', 'HALTED'];

const SEVERITY: Record<TradingState, number> = { ACTIVE: 0, REDUCING: 1, HALTED: 2 };

/** The stricter of two states: a bot is as restricted as the tighter of its own state and the fleet's. */
export function stricterState(a: TradingState, b: TradingState): TradingState {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}
