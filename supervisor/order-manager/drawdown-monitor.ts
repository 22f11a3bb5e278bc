import { Decimal } from '../../core/decimal.ts';
import type { BotId } from '../../core/ids.ts';
import type { Scope, SupervisorStore } from '../store/supervisor-store.ts';
import type { DrawdownPolicy, OrderManagerConfig } from './config.ts';
import type { DrawdownReading } from './drawdown.ts';
import { DrawdownTracker } from './drawdown.ts';

/**
 * Drawdown per scope (each bot and the fleet): the configured policy with any threshold an operator set at run
 * time, the peak-to-trough tracker, and the equity samples that let a restart measure from the same peak.
 */
export class DrawdownMonitor {
  readonly #config: OrderManagerConfig;
  readonly #store: SupervisorStore;
  readonly #tracker = new DrawdownTracker();
  readonly #lastSampleAt = new Map<Scope, number>();
  readonly #persistedPeak = new Map<Scope, Decimal>();
  /** Thresholds an operator set at run time, over the configured ones. */
  readonly #thresholds = new Map<Scope, Decimal>();

  constructor(config: OrderManagerConfig, store: SupervisorStore) {
    this.#config = config;
    this.#store = store;
  }

  /** Reloads thresholds and the samples still inside each window: part of every start. */
  recover(now: number): void {
    for (const [scope, threshold] of this.#store.loadThresholds()) this.#thresholds.set(scope, threshold);
    const longestWindow = Math.max(this.#config.fleetDrawdown.windowMs, ...[...this.#config.bots.values()].map((bot) => bot.drawdown.windowMs));
    for (const sample of this.#store.equitySamplesSince(now - longestWindow)) {
      this.#tracker.observe(sample.scope, sample.equity, sample.at, this.policy(sample.scope).windowMs);
      if (sample.equity.gt(this.#persistedPeak.get(sample.scope) ?? Decimal.ZERO)) this.#persistedPeak.set(sample.scope, sample.equity);
    }
  }

  policy(scope: Scope): DrawdownPolicy {
    const configured = scope === 'fleet' ? this.#config.fleetDrawdown : (this.#config.bots.get(scope.slice(4) as BotId)?.drawdown ?? this.#config.fleetDrawdown);
    const override = this.#thresholds.get(scope);
    return override === undefined ? configured : { ...configured, threshold: override };
  }

  /** Persisted, so it outlives a restart. */
  setThreshold(scope: Scope, threshold: Decimal): DrawdownPolicy {
    this.#store.saveThreshold(scope, threshold);
    this.#thresholds.set(scope, threshold);
    return this.policy(scope);
  }

  reading(scope: Scope): DrawdownReading | null {
    return this.#tracker.reading(scope);
  }

  /**
   * Takes a new equity for a scope. `sampled` says whether it was persisted this time: a new peak always is, so
   * a restart measures from the true peak; other samples are thinned to one per configured interval.
   */
  observe(scope: Scope, equity: Decimal, now: number): { reading: DrawdownReading; policy: DrawdownPolicy; sampled: boolean } {
    const policy = this.policy(scope);
    const reading = this.#tracker.observe(scope, equity, now, policy.windowMs);
    const last = this.#lastSampleAt.get(scope);
    const atNewPeak = reading.drawdown.isZero() && equity.gt(this.#persistedPeak.get(scope) ?? Decimal.ZERO);
    const sampled = last === undefined || atNewPeak || now - last >= this.#config.equitySampleIntervalMs;
    if (sampled) {
      this.#lastSampleAt.set(scope, now);
      if (atNewPeak) this.#persistedPeak.set(scope, equity);
      this.#store.recordEquitySample({ scope, at: now, equity }, policy.windowMs);
    }
    return { reading, policy, sampled };
  }

  /** After a resume the old peak no longer applies, in memory or on disk. */
  reset(scope: Scope): void {
    this.#tracker.reset(scope);
    this.#persistedPeak.delete(scope);
    this.#lastSampleAt.delete(scope);
    this.#store.clearEquitySamples(scope);
  }
}
