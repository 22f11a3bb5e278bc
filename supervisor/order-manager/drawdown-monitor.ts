import { Decimal } from '../../core/decimal.ts';
import { InvariantViolation } from '../../core/errors.ts';
import type { BotId } from '../../core/ids.ts';
import type { Scope, SupervisorStore } from '../store/supervisor-store.ts';
import type { DrawdownPolicy, DrawdownWindow, OrderManagerConfig } from './config.ts';
import type { DrawdownReading } from './drawdown.ts';
import { DrawdownTracker } from './drawdown.ts';

/** A window of a scope's policy and its latest reading (null before the scope's first equity). */
export interface WindowReading {
  window: DrawdownWindow;
  reading: DrawdownReading | null;
}

/** The window that a scope's drawdown is reported by, with its reading. */
export type BindingReading = DrawdownReading & { window: DrawdownWindow };

/** A threshold an operator set before policies had several windows; it applies to the scope's first window. */
export const LEGACY_WINDOW_MS = 0;

const actionRank = (window: DrawdownWindow): number => (window.action === 'HALTED' ? 2 : 1);

/**
 * The window that binds: a breached window if any (the strictest action first, then the one furthest past its
 * threshold), otherwise the one with the most of its threshold used (drawdown / threshold). Ties go to the
 * earlier window in the policy.
 */
function binding(readings: ReadonlyArray<{ window: DrawdownWindow; reading: DrawdownReading }>): { window: DrawdownWindow; reading: DrawdownReading } | null {
  let best: { window: DrawdownWindow; reading: DrawdownReading; breached: boolean } | null = null;
  for (const candidate of readings) {
    const breached = candidate.reading.drawdown.gte(candidate.window.threshold);
    if (best === null) {
      best = { ...candidate, breached };
      continue;
    }
    if (breached !== best.breached) {
      if (breached) best = { ...candidate, breached };
      continue;
    }
    if (breached && actionRank(candidate.window) !== actionRank(best.window)) {
      if (actionRank(candidate.window) > actionRank(best.window)) best = { ...candidate, breached };
      continue;
    }
    // drawdown / threshold compared without dividing: a.d × b.t against b.d × a.t.
    if (candidate.reading.drawdown.mul(best.window.threshold).gt(best.reading.drawdown.mul(candidate.window.threshold))) best = { ...candidate, breached };
  }
  return best;
}

/**
 * Drawdown per scope (each bot and the fleet): the configured windows with any threshold an operator set at run
 * time, the peak-to-trough tracker per window, and the equity samples that let a restart measure from the same
 * peaks.
 */
export class DrawdownMonitor {
  readonly #config: OrderManagerConfig;
  readonly #store: SupervisorStore;
  readonly #tracker = new DrawdownTracker();
  readonly #lastSampleAt = new Map<Scope, number>();
  readonly #persistedPeak = new Map<Scope, Decimal>();
  /** Thresholds an operator set at run time, over the configured ones, by scope and window length. */
  readonly #thresholds = new Map<Scope, Map<number, Decimal>>();

  constructor(config: OrderManagerConfig, store: SupervisorStore) {
    this.#config = config;
    this.#store = store;
  }

  /** Reloads thresholds and the samples still inside each window: part of every start. */
  recover(now: number): void {
    for (const { scope, windowMs, threshold } of this.#store.loadThresholds()) {
      const windows = this.#configured(scope);
      if (windowMs === LEGACY_WINDOW_MS) {
        // Rewritten under the first window's length, unless that window has an override of its own already.
        const first = windows[0] as DrawdownWindow;
        if (this.#thresholds.get(scope)?.has(first.windowMs) !== true) this.setThreshold(scope, first.windowMs, threshold);
        this.#store.deleteThreshold(scope, LEGACY_WINDOW_MS);
        continue;
      }
      // An override for a window no longer configured is kept on disk (the window may come back) but not applied.
      if (windows.some((window) => window.windowMs === windowMs)) this.#override(scope, windowMs, threshold);
    }
    const scopes: Scope[] = ['fleet', ...[...this.#config.bots.keys()].map((botId): Scope => `bot:${botId}`)];
    const longest = Math.max(...scopes.map((scope) => this.#longestWindowMs(scope)));
    for (const sample of this.#store.equitySamplesSince(now - longest)) {
      for (const window of this.policy(sample.scope)) this.#tracker.observe(sample.scope, sample.equity, sample.at, window.windowMs);
      if (sample.equity.gt(this.#persistedPeak.get(sample.scope) ?? Decimal.ZERO)) this.#persistedPeak.set(sample.scope, sample.equity);
    }
  }

  #configured(scope: Scope): DrawdownPolicy {
    return scope === 'fleet' ? this.#config.fleetDrawdown : (this.#config.bots.get(scope.slice(4) as BotId)?.drawdown ?? this.#config.fleetDrawdown);
  }

  #override(scope: Scope, windowMs: number, threshold: Decimal): void {
    let windows = this.#thresholds.get(scope);
    if (windows === undefined) {
      windows = new Map();
      this.#thresholds.set(scope, windows);
    }
    windows.set(windowMs, threshold);
  }

  #longestWindowMs(scope: Scope): number {
    return Math.max(...this.#configured(scope).map((window) => window.windowMs));
  }

  /** The scope's windows in configured order, each with the operator's threshold where one was set. */
  policy(scope: Scope): DrawdownPolicy {
    const overrides = this.#thresholds.get(scope);
    const configured = this.#configured(scope);
    if (overrides === undefined) return configured;
    return configured.map((window) => {
      const threshold = overrides.get(window.windowMs);
      return threshold === undefined ? window : { ...window, threshold };
    });
  }

  /** Persisted per (scope, window), so it outlives a restart; the window is named by its length. */
  setThreshold(scope: Scope, windowMs: number, threshold: Decimal): DrawdownPolicy {
    if (!this.#configured(scope).some((window) => window.windowMs === windowMs)) {
      throw new InvariantViolation(`${scope} has no drawdown window of ${windowMs} ms; its windows are ${this.#configured(scope).map((window) => window.windowMs).join(', ')} ms`);
    }
    this.#store.saveThreshold(scope, windowMs, threshold);
    this.#override(scope, windowMs, threshold);
    return this.policy(scope);
  }

  /** Every window of the scope with its latest reading. */
  windows(scope: Scope): WindowReading[] {
    return this.policy(scope).map((window) => ({ window, reading: this.#tracker.reading(scope, window.windowMs) }));
  }

  /** The binding window's reading (see binding()): what status, metrics without a window and the strategy's view show. */
  reading(scope: Scope): BindingReading | null {
    const read = this.windows(scope).flatMap(({ window, reading }) => (reading === null ? [] : [{ window, reading }]));
    const chosen = binding(read);
    return chosen === null ? null : { ...chosen.reading, window: chosen.window };
  }

  /**
   * Takes a new equity for a scope and returns the binding window as `policy`, with its reading: a breached one
   * when there is one, so the caller acts on it. `sampled` says whether the equity was persisted this time: a new
   * peak always is, so a restart measures from the true peak; other samples are thinned to one per configured
   * interval.
   */
  observe(scope: Scope, equity: Decimal, now: number): { reading: BindingReading; policy: DrawdownWindow; sampled: boolean } {
    const read = this.policy(scope).map((window) => ({ window, reading: this.#tracker.observe(scope, equity, now, window.windowMs) }));
    const chosen = binding(read) as { window: DrawdownWindow; reading: DrawdownReading };
    const last = this.#lastSampleAt.get(scope);
    const atNewPeak = equity.gt(this.#persistedPeak.get(scope) ?? Decimal.ZERO) && read.every(({ reading }) => reading.drawdown.isZero());
    const sampled = last === undefined || atNewPeak || now - last >= this.#config.equitySampleIntervalMs;
    if (sampled) {
      this.#lastSampleAt.set(scope, now);
      if (atNewPeak) this.#persistedPeak.set(scope, equity);
      this.#store.recordEquitySample({ scope, at: now, equity }, this.#longestWindowMs(scope));
    }
    return { reading: { ...chosen.reading, window: chosen.window }, policy: chosen.window, sampled };
  }

  /** After a resume the old peak no longer applies, in memory or on disk. */
  reset(scope: Scope): void {
    this.#tracker.reset(scope);
    this.#persistedPeak.delete(scope);
    this.#lastSampleAt.delete(scope);
    this.#store.clearEquitySamples(scope);
  }
}

/**
 * What a strategy is shown (BotStateView.drawdown and drawdownThreshold): the binding window's drawdown and that
 * window's threshold, so that drawdown / threshold, which bots size by, is the largest share of any window's
 * threshold in use (or a breached window's). Before the first reading: no drawdown against the first window.
 */
export function strategyDrawdown(reading: BindingReading | null, policy: DrawdownPolicy): { drawdown: Decimal; threshold: Decimal } {
  if (reading !== null) return { drawdown: reading.drawdown, threshold: reading.window.threshold };
  return { drawdown: Decimal.ZERO, threshold: (policy[0] as DrawdownWindow).threshold };
}
