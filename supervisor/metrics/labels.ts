import type { Counter } from 'prom-client';
import { DECISION_REASONS } from '../../core/decision.ts';
import type { DecisionOutcome, DecisionReason } from '../../core/decision.ts';
import type { BotId, InstrumentId, SubAccountId } from '../../core/ids.ts';
import { instrumentVenue, parseBotId, parseSubAccountId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import { TIMEFRAMES } from '../../core/strategy.ts';
import type { Timeframe } from '../../core/strategy.ts';
import { TRADING_STATES } from '../../core/trading-state.ts';
import type { TradingState } from '../../core/trading-state.ts';
import { STATE_CHANGE_REASONS } from '../store/supervisor-store.ts';
import type { StateChangeReason } from '../store/supervisor-store.ts';

// Every exported label value comes from a closed set below or from configuration, so no caller can turn free
// text (or a secret) into a series.

/** The label value for "no reason": a plain approval, or a state change without one. */
export const NO_REASON = 'none';
/** The label value a counter gets when a caller passed something outside the label's closed set. */
export const OTHER = 'other';

export const DECISION_OUTCOMES: readonly DecisionOutcome[] = ['APPROVED', 'RESIZED', 'DENIED'];
export const LIQUIDITIES = ['MAKER', 'TAKER'] as const;
export const VENUE_REQUEST_KINDS = ['SUBMIT', 'CANCEL', 'AMEND'] as const;
export type VenueRequestKind = (typeof VENUE_REQUEST_KINDS)[number];

/** How a venue request failed, named by what the operator should look at. */
export const VENUE_ERROR_KINDS = ['RATE_LIMITED', 'TEMPORARY', 'TIMEOUT', 'NETWORK', 'INVALID_REPLY', 'INVALID_REQUEST', 'UNEXPECTED'] as const;
export type VenueErrorKind = (typeof VENUE_ERROR_KINDS)[number];

export const FLEET_MODES = ['paper', 'live'] as const;

/** The reasons a resize can carry: the caps of the entry pipeline and a reduction larger than the position. */
export const RESIZE_REASONS: readonly DecisionReason[] = ['RISK_PER_TRADE_EXCEEDED', 'CONCURRENT_RISK_EXCEEDED', 'NOTIONAL_EXCEEDS_MAX', 'WOULD_STACK', 'EXCEEDS_POSITION'];

/** Every (outcome, reason) a decision can have: an approval has none, a resize a cap, a denial any reason. */
export function decisionCombinations(): Array<{ outcome: DecisionOutcome; reason: string }> {
  return [
    { outcome: 'APPROVED', reason: NO_REASON },
    ...RESIZE_REASONS.map((reason) => ({ outcome: 'RESIZED' as const, reason })),
    ...DECISION_REASONS.map((reason) => ({ outcome: 'DENIED' as const, reason })),
  ];
}

/**
 * The states each reason sets: a kill switch and an operator's halt set HALTED, a drawdown window its action, a lost
 * heartbeat REDUCING, a resume or a restored heartbeat ACTIVE. A reason missing here may set any state.
 */
const STATES_BY_REASON: Partial<Record<StateChangeReason, readonly TradingState[]>> = {
  KILL_SWITCH: ['HALTED'],
  DRAWDOWN_HALT: ['REDUCING', 'HALTED'],
  OPERATOR_HALT: ['HALTED'],
  OPERATOR_RESUME: ['ACTIVE'],
  HEARTBEAT_LOST: ['REDUCING'],
  HEARTBEAT_RESTORED: ['ACTIVE'],
  BOT_RETIRED: ['HALTED'],
  RECONCILIATION_MISMATCH: ['REDUCING', 'HALTED'],
};

/** Heartbeats are a bot's; the fleet's state never changes for one. */
const BOT_ONLY_REASONS: ReadonlySet<StateChangeReason> = new Set(['HEARTBEAT_LOST', 'HEARTBEAT_RESTORED', 'BOT_RETIRED', 'RECONCILIATION_MISMATCH']);

/** Every (state, reason) a scope's trading state change can have. */
export function stateChangeCombinations(scope: 'fleet' | 'bot'): Array<{ state: TradingState; reason: StateChangeReason }> {
  return STATE_CHANGE_REASONS.filter((reason) => scope === 'bot' || !BOT_ONLY_REASONS.has(reason)).flatMap((reason) =>
    (STATES_BY_REASON[reason] ?? TRADING_STATES).map((state) => ({ state, reason })),
  );
}

export type ConfiguredLabel = 'bot' | 'instrument' | 'key' | 'venue' | 'sub_account';

/** What a configured bot trades, for the series that start at zero before its first event. */
export interface MetricsBot {
  id: BotId;
  venue: string;
  subAccount: SubAccountId;
  instruments: readonly InstrumentId[];
  timeframes: readonly Timeframe[];
}

/** The ids configuration allows as label values. */
export interface ConfiguredIds {
  bots: readonly BotId[];
  instruments: readonly Instrument[];
  /** Sub-accounts of the configured bots. */
  subAccounts?: readonly SubAccountId[];
}

/**
 * Admits label values: an unconfigured id or timeframe drops the observation, a value outside a closed set
 * becomes "other", and each refusal is counted by metric and label name, never by the refused value.
 */
export class LabelGuard {
  readonly #refused: Counter<'metric' | 'label'>;
  readonly #allowed: Record<ConfiguredLabel, ReadonlySet<string>>;
  readonly #instruments: ReadonlyMap<string, Instrument>;

  constructor(refused: Counter<'metric' | 'label'>, ids: ConfiguredIds) {
    this.#refused = refused;
    // Parsing again here means a label can only ever hold a validated id, whatever the caller built.
    const bots = new Set<string>(ids.bots.map((bot) => parseBotId(bot)));
    const instruments = new Map<string, Instrument>(ids.instruments.map((instrument) => [instrument.id, instrument]));
    this.#instruments = instruments;
    this.#allowed = {
      bot: bots,
      instrument: new Set(instruments.keys()),
      key: new Set(ids.instruments.map((instrument) => instrument.exposureKey)),
      venue: new Set(ids.instruments.map((instrument) => instrumentVenue(instrument.id))),
      sub_account: new Set<string>((ids.subAccounts ?? []).map((subAccount) => parseSubAccountId(subAccount))),
    };
  }

  /** Lets a bot adopted while the supervisor runs be a label, like those configured at start. */
  allowBot(botId: string, subAccount?: string): void {
    (this.#allowed.bot as Set<string>).add(parseBotId(botId));
    if (subAccount !== undefined) (this.#allowed.sub_account as Set<string>).add(parseSubAccountId(subAccount));
  }

  /** Configured values of one kind, sorted; for series that start at zero. */
  configured(label: ConfiguredLabel): string[] {
    return [...this.#allowed[label]].sort();
  }

  /** The configured id, or null; nothing is counted (for series started ahead of any observation). */
  known(label: ConfiguredLabel, value: unknown): string | null {
    return typeof value === 'string' && this.#allowed[label].has(value) ? value : null;
  }

  /** The configured id, or null (observation dropped, refusal counted). */
  id(metric: string, label: ConfiguredLabel, value: unknown): string | null {
    if (typeof value === 'string' && this.#allowed[label].has(value)) return value;
    this.refuse(metric, label);
    return null;
  }

  instrument(metric: string, value: unknown): Instrument | null {
    const id = this.id(metric, 'instrument', value);
    return id === null ? null : (this.#instruments.get(id) ?? null);
  }

  timeframe(metric: string, value: unknown): Timeframe | null {
    const found = TIMEFRAMES.find((timeframe) => timeframe === value);
    if (found !== undefined) return found;
    this.refuse(metric, 'timeframe');
    return null;
  }

  /** The value if it is in the closed set, "none" for null when allowed, otherwise "other" (refusal counted). */
  closed<T extends string>(metric: string, label: string, set: readonly T[], value: unknown, allowNone = false): T | typeof OTHER | typeof NO_REASON {
    if (value === null && allowNone) return NO_REASON;
    const found = set.find((member) => member === value);
    if (found !== undefined) return found;
    this.refuse(metric, label);
    return OTHER;
  }

  refuse(metric: string, label: string): void {
    this.#refused.inc({ metric, label });
  }
}
