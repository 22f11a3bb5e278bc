import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** Decisions take microseconds; the buckets span 5 µs to 10 ms so both the usual case and a slow tick resolve. */
export const DECISION_LATENCY_BUCKETS_SECONDS = [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01];

/** Venue round trips over the internet: 5 ms to 30 s. */
export const VENUE_LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Prefix of prom-client's default process metrics for the supervisor's own Node process. */
export const SUPERVISOR_PROCESS_PREFIX = 'flotilla_supervisor_';

/** Every Flotilla metric's name in one place, so refusals, docs and dashboard tests name the same things. */
export const METRIC_NAMES = {
  intents: 'flotilla_intents_total',
  decisionLatency: 'flotilla_decision_latency_seconds',
  orderTransitions: 'flotilla_order_transitions_total',
  openOrders: 'flotilla_bot_open_orders',
  venueRejections: 'flotilla_venue_rejections_total',
  fills: 'flotilla_fills_total',
  entryOrdersFilled: 'flotilla_entry_orders_filled_total',
  roundTripsClosed: 'flotilla_round_trips_closed_total',
  filledNotional: 'flotilla_filled_notional_quote_total',
  lockedKeys: 'flotilla_in_flight_locked_keys',
  keyLocked: 'flotilla_in_flight_key_locked',
  botEquity: 'flotilla_bot_equity_quote',
  botDrawdown: 'flotilla_bot_drawdown_fraction',
  botDrawdownThreshold: 'flotilla_bot_drawdown_threshold_fraction',
  fleetEquity: 'flotilla_fleet_equity_quote',
  fleetDrawdown: 'flotilla_fleet_drawdown_fraction',
  fleetDrawdownThreshold: 'flotilla_fleet_drawdown_threshold_fraction',
  realizedPnl: 'flotilla_bot_realized_pnl_quote',
  unrealizedPnl: 'flotilla_bot_unrealized_pnl_quote',
  fees: 'flotilla_bot_fees_quote',
  position: 'flotilla_position_quantity',
  exposure: 'flotilla_exposure_notional_quote',
  openRisk: 'flotilla_bot_open_risk_fraction',
  openRiskTarget: 'flotilla_bot_open_risk_target_fraction',
  fleetMode: 'flotilla_fleet_mode',
  fleetState: 'flotilla_fleet_trading_state',
  botState: 'flotilla_bot_trading_state',
  botEffectiveState: 'flotilla_bot_effective_trading_state',
  fleetKillSwitch: 'flotilla_fleet_kill_switch_engaged',
  botKillSwitch: 'flotilla_bot_kill_switch_engaged',
  stateChanges: 'flotilla_trading_state_changes_total',
  botUp: 'flotilla_bot_up',
  botRestarts: 'flotilla_bot_restarts_total',
  botMemory: 'flotilla_bot_memory_bytes',
  botCpu: 'flotilla_bot_cpu_percent',
  botHeartbeatAge: 'flotilla_bot_heartbeat_age_seconds',
  botConnected: 'flotilla_bot_connected',
  botCodeErrors: 'flotilla_bot_code_errors_total',
  warmUpActionsDropped: 'flotilla_bot_warmup_actions_dropped_total',
  unprotectedPositions: 'flotilla_unprotected_positions',
  stopPrice: 'flotilla_position_stop_price',
  protectionRepairs: 'flotilla_protection_repairs_total',
  stopMoveFailures: 'flotilla_stop_move_failures_total',
  strategyNotes: 'flotilla_strategy_notes_total',
  noteState: 'flotilla_bot_note_state',
  marketDataLag: 'flotilla_market_data_lag_seconds',
  candlesDelivered: 'flotilla_candles_delivered_total',
  venueLatency: 'flotilla_venue_request_latency_seconds',
  venueErrors: 'flotilla_venue_request_errors_total',
  venueConnected: 'flotilla_venue_connected',
  rateLimitRemaining: 'flotilla_venue_rate_limit_remaining',
  rateLimitCapacity: 'flotilla_venue_rate_limit_capacity',
  reconciliationMismatches: 'flotilla_reconciliation_mismatches',
  reconciliationLastSuccess: 'flotilla_reconciliation_last_success_timestamp_seconds',
  refusedLabels: 'flotilla_metrics_refused_labels_total',
} as const;
export type MetricKey = keyof typeof METRIC_NAMES;

const N = METRIC_NAMES;

/** Creates every Flotilla metric on one registry; help texts and label names live only here. */
export function defineMetrics(registry: Registry) {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> => new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> => new Gauge<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]): Histogram<L> =>
    new Histogram<L>({ name, help, labelNames, buckets, registers });

  return {
    // Decisions and orders
    intents: counter(N.intents, 'Intents decided by the order manager, by outcome and reason.', ['bot', 'outcome', 'reason']),
    decisionLatency: histogram(N.decisionLatency, 'Time the order manager took to decide one intent.', ['bot'], DECISION_LATENCY_BUCKETS_SECONDS),
    orderTransitions: counter(N.orderTransitions, 'Orders entering each status, as recorded in the bots\' ledgers.', ['bot', 'status']),
    openOrders: gauge(N.openOrders, 'Orders of the bot still open (pending submit, accepted or partially filled).', ['bot']),
    venueRejections: counter(N.venueRejections, 'Submits and cancels refused by a venue, by reason.', ['bot', 'request', 'reason']),
    fills: counter(N.fills, 'Fills booked into the bots\' ledgers.', ['bot', 'instrument', 'liquidity']),
    entryOrdersFilled: counter(N.entryOrdersFilled, 'Entry orders that filled, counted at their first fill.', ['bot']),
    roundTripsClosed: counter(N.roundTripsClosed, 'Positions closed back to flat (or through it), by the role of the order whose fill closed them: STOP is a stop-out.', ['bot', 'exit']),
    filledNotional: counter(N.filledNotional, 'Filled quantity times fill price, in the quote currency.', ['bot', 'instrument']),
    lockedKeys: gauge(N.lockedKeys, 'Exposure keys held by an in-flight lock.', []),
    keyLocked: gauge(N.keyLocked, '1 while the exposure key is held by an in-flight lock, else 0.', ['key']),

    // Money, positions and exposure
    botEquity: gauge(N.botEquity, 'Bot equity (balance plus unrealized PnL) in the quote currency.', ['bot']),
    botDrawdown: gauge(N.botDrawdown, 'Bot drawdown from its peak within each window of its drawdown policy, as a fraction.', ['bot', 'window']),
    botDrawdownThreshold: gauge(N.botDrawdownThreshold, 'Bot drawdown at which the window\'s drawdown action is taken, as a fraction.', ['bot', 'window']),
    fleetEquity: gauge(N.fleetEquity, 'Fleet equity (sum over bots) in the quote currency.', []),
    fleetDrawdown: gauge(N.fleetDrawdown, 'Fleet drawdown from its peak within each window of the fleet drawdown policy, as a fraction.', ['window']),
    fleetDrawdownThreshold: gauge(N.fleetDrawdownThreshold, 'Fleet drawdown at which the window\'s fleet drawdown action is taken, as a fraction.', ['window']),
    realizedPnl: gauge(N.realizedPnl, 'Bot realized PnL over its ledger\'s life, before fees, in the quote currency.', ['bot']),
    unrealizedPnl: gauge(N.unrealizedPnl, 'Bot unrealized PnL at the latest marks, in the quote currency.', ['bot']),
    fees: gauge(N.fees, 'Fees the bot paid over its ledger\'s life (negative for net rebates), in the quote currency.', ['bot']),
    position: gauge(N.position, 'Signed position size in the instrument\'s units: positive long, negative short.', ['bot', 'instrument']),
    openRisk: gauge(N.openRisk, 'Bot open risk (the loss if every position hit its worst stop, plus its in-flight entries) as a fraction of its equity.', ['bot']),
    openRiskTarget: gauge(N.openRiskTarget, 'The most open risk the bot\'s risk settings allow (risk.maxOpenRisk), as a fraction of its equity.', ['bot']),
    exposure: gauge(N.exposure, 'Signed beta-weighted notional (quantity times mark times beta) on an exposure key, in the quote currency.', ['bot', 'key']),

    // Trading states and the kill switch
    fleetMode: gauge(N.fleetMode, '1 for the mode the fleet runs in (paper or live), else 0.', ['mode']),
    fleetState: gauge(N.fleetState, '1 for the fleet\'s current trading state, else 0.', ['state']),
    botState: gauge(N.botState, '1 for the bot\'s own current trading state, else 0.', ['bot', 'state']),
    botEffectiveState: gauge(N.botEffectiveState, '1 for the state the bot trades under (the stricter of its own and the fleet\'s), else 0.', ['bot', 'state']),
    fleetKillSwitch: gauge(N.fleetKillSwitch, '1 while the fleet kill switch is engaged, else 0.', []),
    botKillSwitch: gauge(N.botKillSwitch, '1 while the bot\'s own kill switch is engaged, else 0.', ['bot']),
    stateChanges: counter(N.stateChanges, 'Trading state changes, by scope ("fleet" or "bot:<id>"), new state and reason.', ['scope', 'state', 'reason']),

    // Bot processes
    botUp: gauge(N.botUp, '1 while the bot\'s process is online under pm2, else 0.', ['bot']),
    botRestarts: counter(N.botRestarts, 'Bot process restarts seen since the supervisor started.', ['bot']),
    botMemory: gauge(N.botMemory, 'Resident memory of the bot\'s process.', ['bot']),
    botCpu: gauge(N.botCpu, 'CPU use of the bot\'s process, in percent of one core.', ['bot']),
    botHeartbeatAge: gauge(N.botHeartbeatAge, 'Real time since the bot\'s last heartbeat.', ['bot']),
    botConnected: gauge(N.botConnected, '1 while the bot\'s channel to the supervisor is connected, else 0.', ['bot']),
    botCodeErrors: counter(N.botCodeErrors, 'Strategy callbacks that threw.', ['bot']),
    warmUpActionsDropped: counter(N.warmUpActionsDropped, 'Actions a strategy returned on warm-up (history) candles, dropped and never sent.', ['bot']),

    // Protection: every open position has a working stop
    unprotectedPositions: gauge(N.unprotectedPositions, 'Open positions of the bot that no working stop fully covers, past the grace period for a stop in flight.', ['bot']),
    protectionRepairs: counter(N.protectionRepairs, 'Unprotected positions repaired by rule: a stop placed, or the uncovered part closed.', ['bot', 'repair']),
    stopPrice: gauge(N.stopPrice, 'Trigger price of the working stop that would close the bot\'s position first.', ['bot', 'instrument']),
    stopMoveFailures: counter(N.stopMoveFailures, 'Stop moves the venue did not carry out (a replacement not accepted, an amend refused or not in force); the old stop kept working.', ['bot']),
    strategyNotes: counter(N.strategyNotes, 'Notes strategies made: which filter blocked an entry, the regime seen, a model fallback.', ['bot', 'note', 'value']),
    noteState: gauge(N.noteState, '1 for the latest value of each note the bot\'s strategy made (per instrument, or instrument="" for the bot), 0 for the other values it declares.', ['bot', 'note', 'instrument', 'value']),

    // Market data
    marketDataLag: gauge(N.marketDataLag, 'Time from a candle\'s close to its delivery, per instrument and timeframe.', ['instrument', 'timeframe']),
    candlesDelivered: counter(N.candlesDelivered, 'Closed candles delivered to bots.', ['bot', 'instrument', 'timeframe']),

    // Venues
    venueLatency: histogram(N.venueLatency, 'Time a venue took to take a submit or cancel request.', ['venue', 'request'], VENUE_LATENCY_BUCKETS_SECONDS),
    venueErrors: counter(N.venueErrors, 'Venue requests that failed, by error kind.', ['venue', 'request', 'error']),
    venueConnected: gauge(N.venueConnected, '1 while the venue\'s private stream (execution reports) is connected, else 0.', ['venue']),
    rateLimitRemaining: gauge(N.rateLimitRemaining, 'Requests the venue says the sub-account may still send in its current rate-limit window.', ['venue', 'sub_account']),
    rateLimitCapacity: gauge(N.rateLimitCapacity, 'Requests the venue allows the sub-account in one rate-limit window.', ['venue', 'sub_account']),

    // Reconciliation of each bot's sub-account against its venue
    reconciliationMismatches: gauge(N.reconciliationMismatches, 'Positions that differed between the bot\'s ledger and its venue after the last reconciliation.', ['bot']),
    reconciliationLastSuccess: gauge(N.reconciliationLastSuccess, 'When a reconciliation of the bot\'s sub-account last completed, seconds since the epoch; 0 before the first.', ['bot']),

    // The metrics themselves
    refusedLabels: counter(N.refusedLabels, 'Observations whose label value was outside its closed set or configuration, by metric and label name.', ['metric', 'label']),
  };
}

export type FlotillaMetricSet = ReturnType<typeof defineMetrics>;
