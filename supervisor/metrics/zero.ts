import type { BotId } from '../../core/ids.ts';
import { ORDER_ROLES } from '../../core/ids.ts';
import { ORDER_STATUSES, REJECTION_REASONS } from '../../core/order.ts';
import { PROTECTION_REPAIRS } from '../order-manager/protection.ts';
import { METRIC_NAMES } from './definitions.ts';
import type { FlotillaMetricSet } from './definitions.ts';
import { LIQUIDITIES, VENUE_ERROR_KINDS, VENUE_REQUEST_KINDS, decisionCombinations, stateChangeCombinations } from './labels.ts';
import type { LabelGuard, MetricsBot } from './labels.ts';

/**
 * Every series a counter can have for the configured bots, at zero before its first event: `increase()` needs a
 * sample before the event to see it, so a series born on its first event would hide that event from every panel
 * and alert. Series for values outside the closed sets ("other") are left to be born: they only ever mean a bug,
 * and flotilla_metrics_refused_labels_total (started at zero here) is what shows it.
 */
export function startAtZero(metrics: FlotillaMetricSet, guard: LabelGuard, bots: ReadonlyMap<BotId, MetricsBot | null>, notes: ReadonlyMap<BotId, Readonly<Record<string, readonly string[]>>>): void {
  for (const bot of guard.configured('bot')) startBotAtZero(metrics, guard, bot as BotId, bots.get(bot as BotId) ?? null, notes);
  const m = metrics;
  for (const { state, reason } of stateChangeCombinations('fleet')) m.stateChanges.inc({ scope: 'fleet', state, reason }, 0);
  for (const venue of guard.configured('venue')) {
    m.venueConnected.set({ venue }, 0);
    for (const request of VENUE_REQUEST_KINDS) {
      m.venueLatency.zero({ venue, request });
      for (const error of VENUE_ERROR_KINDS) m.venueErrors.inc({ venue, request, error }, 0);
    }
  }
  startRefusalsAtZero(metrics);
}

/** One bot's series at zero: at start for every configured bot, and for a bot adopted while the supervisor runs. */
export function startBotAtZero(metrics: FlotillaMetricSet, guard: LabelGuard, bot: BotId, traded: MetricsBot | null, notes: ReadonlyMap<BotId, Readonly<Record<string, readonly string[]>>>): void {
  const m = metrics;
  const labels = { bot };
  m.botCodeErrors.inc(labels, 0);
  m.botRestarts.inc(labels, 0);
  m.warmUpActionsDropped.inc(labels, 0);
  m.stopMoveFailures.inc(labels, 0);
  m.entryOrdersFilled.inc(labels, 0);
  for (const exit of ORDER_ROLES) m.roundTripsClosed.inc({ bot, exit }, 0);
  m.unprotectedPositions.set(labels, 0);
  m.reconciliationMismatches.set(labels, 0);
  m.reconciliationLastSuccess.set(labels, 0);
  for (const repair of PROTECTION_REPAIRS) m.protectionRepairs.inc({ bot, repair }, 0);
  for (const { outcome, reason } of decisionCombinations()) m.intents.inc({ bot, outcome, reason }, 0);
  m.decisionLatency.zero(labels);
  for (const status of ORDER_STATUSES) m.orderTransitions.inc({ bot, status }, 0);
  for (const request of VENUE_REQUEST_KINDS) for (const reason of REJECTION_REASONS) m.venueRejections.inc({ bot, request, reason }, 0);
  for (const { state, reason } of stateChangeCombinations('bot')) m.stateChanges.inc({ scope: `bot:${bot}`, state, reason }, 0);
  for (const [note, values] of Object.entries(notes.get(bot as BotId) ?? {})) for (const value of values) m.strategyNotes.inc({ bot, note, value }, 0);
  // Per-instrument series only for what the bot trades; without its manifest they are born on their first event.
  if (traded === null) return;
  for (const instrumentId of traded.instruments) {
    const instrument = guard.known('instrument', instrumentId);
    if (instrument === null) continue;
    for (const liquidity of LIQUIDITIES) m.fills.inc({ bot, instrument, liquidity }, 0);
    m.filledNotional.inc({ bot, instrument }, 0);
    for (const timeframe of traded.timeframes) m.candlesDelivered.inc({ bot, instrument, timeframe }, 0);
  }
}

/** A refusal is counted by metric and label name: every label of every Flotilla metric is a combination it can have. */
function startRefusalsAtZero(metrics: FlotillaMetricSet): void {
  for (const metric of Object.values(metrics)) {
    // prom-client keeps each metric's name and label names on the instance; its typings do not declare them.
    const { name, labelNames } = metric as unknown as { name: string; labelNames: readonly string[] };
    if (name === METRIC_NAMES.refusedLabels) continue;
    for (const label of labelNames) metrics.refusedLabels.inc({ metric: name, label }, 0);
  }
}
