import type { Counter } from 'prom-client';
import type { DecisionOutcome } from '../../core/decision.ts';
import type { BotId } from '../../core/ids.ts';
import { instrumentVenue, parseBotId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import { TIMEFRAMES } from '../../core/strategy.ts';
import type { Timeframe } from '../../core/strategy.ts';

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
export const VENUE_ERROR_KINDS = ['TEMPORARY', 'TIMEOUT', 'NETWORK', 'INVALID_REPLY', 'INVALID_REQUEST', 'UNEXPECTED'] as const;
export type VenueErrorKind = (typeof VENUE_ERROR_KINDS)[number];

export const FLEET_MODES = ['paper', 'live'] as const;

export type ConfiguredLabel = 'bot' | 'instrument' | 'key' | 'venue';

/** The ids configuration allows as label values. */
export interface ConfiguredIds {
  bots: readonly BotId[];
  instruments: readonly Instrument[];
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
    };
  }

  /** Lets a bot adopted while the supervisor runs be a label, like those configured at start. */
  allowBot(botId: string): void {
    (this.#allowed.bot as Set<string>).add(parseBotId(botId));
  }

  /** Configured values of one kind, sorted; for series that start at zero. */
  configured(label: ConfiguredLabel): string[] {
    return [...this.#allowed[label]].sort();
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
