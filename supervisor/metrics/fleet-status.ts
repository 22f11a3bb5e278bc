import type { Gauge } from 'prom-client';
import type { Clock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import type { ExposureKey } from '../../core/ids.ts';
import { TRADING_STATES } from '../../core/trading-state.ts';
import type { BotStatus, FleetStatus, OrderInfo, PnlInfo, PositionInfo } from '../control/fleet-control.ts';
import { formatWindowLength } from '../order-manager/drawdown-window.ts';
import type { FlotillaMetricSet } from './definitions.ts';
import { METRIC_NAMES as N } from './definitions.ts';
import { FLEET_MODES } from './labels.ts';
import type { LabelGuard } from './labels.ts';

/** What the status snapshot does not carry but its gauges need: the order manager's locks and each bot's PnL. */
export interface FleetExtras {
  /** OrderManager.lockedKeys(). */
  lockedKeys: readonly ExposureKey[];
  /** FleetControl.pnl({}) : one entry per bot. */
  pnl: readonly PnlInfo[];
  /** FleetControl.orders({ openOnly: true }): the working stops, for each position's stop price. */
  openOrders?: readonly OrderInfo[];
}

function decimal(text: string | null): Decimal | null {
  if (text === null) return null;
  try {
    return Decimal.parse(text);
  } catch {
    return null;
  }
}

/** A decimal string as a gauge value: the one place money becomes a float; a malformed one shows as NaN. */
export function gaugeValue(text: string | null): number {
  return decimal(text)?.toNumber() ?? Number.NaN;
}

/** The enum-as-gauge pattern: 1 on the series of the current value, 0 on every other value of the set. */
export function setEnum<L extends string>(gauge: Gauge<L>, labels: Partial<Record<L, string>>, label: L, values: readonly string[], current: string): void {
  for (const value of values) gauge.set({ ...labels, [label]: value }, value === current ? 1 : 0);
}

/** Turns the fleet's status snapshot into gauges; flat positions read 0 rather than vanish, so a graph shows them closing. */
export class FleetStatusObserver {
  readonly #metrics: FlotillaMetricSet;
  readonly #guard: LabelGuard;
  readonly #clock: Clock;
  readonly #restarts = new Map<string, number>();
  readonly #heartbeats = new Map<string, number | null>();
  readonly #positionSeries = new Map<string, Set<string>>();
  readonly #exposureSeries = new Map<string, Set<string>>();
  readonly #stopSeries = new Map<string, Set<string>>();

  constructor(metrics: FlotillaMetricSet, guard: LabelGuard, clock: Clock) {
    this.#metrics = metrics;
    this.#guard = guard;
    this.#clock = clock;
    this.observeLocks([]);
  }

  observe(status: FleetStatus, extras: FleetExtras): void {
    const m = this.#metrics;
    const mode = this.#guard.closed(N.fleetMode, 'mode', FLEET_MODES, status.mode);
    setEnum(m.fleetMode, {}, 'mode', FLEET_MODES, mode);
    const fleetState = this.#guard.closed(N.fleetState, 'state', TRADING_STATES, status.state.state);
    setEnum(m.fleetState, {}, 'state', TRADING_STATES, fleetState);
    m.fleetKillSwitch.set(status.killSwitchEngaged ? 1 : 0);
    m.fleetEquity.set(gaugeValue(status.equity));
    for (const window of status.drawdown.windows) {
      // The label is made here from the configured length, never taken as text from the status.
      const labels = { window: formatWindowLength(window.windowMs) };
      m.fleetDrawdown.set(labels, gaugeValue(window.current));
      m.fleetDrawdownThreshold.set(labels, gaugeValue(window.threshold));
    }
    for (const bot of status.bots) this.#observeBot(bot);
    if (extras.openOrders !== undefined) for (const bot of status.bots) this.#observeStops(bot, extras.openOrders);
    for (const pnl of extras.pnl) this.#observePnl(pnl);
    this.observeLocks(extras.lockedKeys);
  }

  /** Every configured key gets a series, so an unlocked key reads 0 rather than missing. */
  observeLocks(lockedKeys: readonly ExposureKey[]): void {
    const locked = new Set<string>();
    for (const key of lockedKeys) {
      const admitted = this.#guard.id(N.keyLocked, 'key', key);
      if (admitted !== null) locked.add(admitted);
    }
    for (const key of this.#guard.configured('key')) this.#metrics.keyLocked.set({ key }, locked.has(key) ? 1 : 0);
    this.#metrics.lockedKeys.set(locked.size);
  }

  #observeBot(status: BotStatus): void {
    const m = this.#metrics;
    const bot = this.#guard.id(N.botUp, 'bot', status.botId);
    if (bot === null) return;
    const labels = { bot };
    m.botUp.set(labels, status.process.status === 'online' ? 1 : 0);
    m.botConnected.set(labels, status.connected ? 1 : 0);
    this.#observeRestarts(bot, status.process.restarts);
    setOrRemove(m.botMemory, labels, status.process.memoryBytes);
    setOrRemove(m.botCpu, labels, status.process.cpuPercent);
    this.#heartbeats.set(bot, status.lastHeartbeatAt);
    this.refreshHeartbeatAges();

    const own = this.#guard.closed(N.botState, 'state', TRADING_STATES, status.state.state);
    setEnum(m.botState, labels, 'state', TRADING_STATES, own);
    const effective = this.#guard.closed(N.botEffectiveState, 'state', TRADING_STATES, status.effectiveState);
    setEnum(m.botEffectiveState, labels, 'state', TRADING_STATES, effective);
    m.botKillSwitch.set(labels, status.state.state === 'HALTED' && status.state.reason === 'KILL_SWITCH' ? 1 : 0);

    m.botEquity.set(labels, gaugeValue(status.equity));
    for (const window of status.drawdown.windows) {
      const windowLabels = { bot, window: formatWindowLength(window.windowMs) };
      m.botDrawdown.set(windowLabels, gaugeValue(window.current));
      m.botDrawdownThreshold.set(windowLabels, gaugeValue(window.threshold));
    }
    m.openOrders.set(labels, status.openOrders);
    m.openRisk.set(labels, gaugeValue(status.riskInUse.fraction));
    m.openRiskTarget.set(labels, gaugeValue(status.riskInUse.target));
    this.#observePositions(bot, status.openPositions);
  }

  /** Ages grow between status polls, so they are recomputed from the last heartbeat times at every scrape. */
  refreshHeartbeatAges(): void {
    const now = this.#clock.now();
    for (const [bot, at] of this.#heartbeats) setOrRemove(this.#metrics.botHeartbeatAge, { bot }, at === null ? null : Math.max(0, now - at) / 1000);
  }

  /** pm2 reports a running count; the counter grows by its increase, and a count that fell means pm2 started over. */
  #observeRestarts(bot: string, restarts: number): void {
    const last = this.#restarts.get(bot);
    this.#restarts.set(bot, restarts);
    const increase = last === undefined ? 0 : restarts >= last ? restarts - last : restarts;
    this.#metrics.botRestarts.inc({ bot }, increase);
  }

  #observePositions(bot: string, positions: readonly PositionInfo[]): void {
    const quantities = new Map<string, number>();
    const exposures = new Map<string, Decimal | null>();
    for (const position of positions) {
      if (position.botId !== bot) continue;
      const instrument = this.#guard.instrument(N.position, position.instrumentId);
      if (instrument === null) continue;
      const quantity = decimal(position.quantity);
      quantities.set(instrument.id, quantity?.toNumber() ?? Number.NaN);
      const price = decimal(position.markPrice) ?? decimal(position.averageEntryPrice);
      const previous = exposures.get(instrument.exposureKey);
      // A malformed amount poisons its key (NaN) instead of silently understating the exposure.
      const notional = quantity === null || price === null || previous === null ? null : quantity.mul(price).mul(instrument.beta);
      exposures.set(instrument.exposureKey, notional === null ? null : notional.add(previous ?? Decimal.ZERO));
    }
    setSeries(this.#metrics.position, this.#positionSeries, bot, 'instrument', quantities);
    const exposureValues = new Map<string, number>();
    for (const [key, value] of exposures) exposureValues.set(key, value?.toNumber() ?? Number.NaN);
    setSeries(this.#metrics.exposure, this.#exposureSeries, bot, 'key', exposureValues);
  }

  /**
   * Each open position's stop: of its working stops, the one that triggers first (the highest under a long, the
   * lowest over a short). No series while flat or unprotected: a made-up 0 would draw a stop at price zero.
   */
  #observeStops(status: BotStatus, openOrders: readonly OrderInfo[]): void {
    const bot = this.#guard.known('bot', status.botId);
    if (bot === null) return;
    const current = new Map<string, number>();
    for (const position of status.openPositions) {
      const instrument = this.#guard.known('instrument', position.instrumentId);
      const quantity = decimal(position.quantity);
      if (instrument === null || quantity === null || quantity.isZero()) continue;
      const long = quantity.isPositive();
      let first: Decimal | null = null;
      for (const order of openOrders) {
        if (order.botId !== bot || order.instrumentId !== instrument || order.role !== 'STOP') continue;
        const trigger = decimal(order.triggerPrice);
        if (trigger !== null && (first === null || (long ? trigger.gt(first) : trigger.lt(first)))) first = trigger;
      }
      if (first !== null) current.set(instrument, first.toNumber());
    }
    const seen = this.#stopSeries.get(bot) ?? new Set<string>();
    this.#stopSeries.set(bot, seen);
    for (const instrument of seen) if (!current.has(instrument)) this.#metrics.stopPrice.remove({ bot, instrument });
    seen.clear();
    for (const [instrument, price] of current) {
      this.#metrics.stopPrice.set({ bot, instrument }, price);
      seen.add(instrument);
    }
  }

  #observePnl(pnl: PnlInfo): void {
    const bot = this.#guard.id(N.realizedPnl, 'bot', pnl.botId);
    if (bot === null) return;
    this.#metrics.realizedPnl.set({ bot }, gaugeValue(pnl.realizedPnl));
    this.#metrics.unrealizedPnl.set({ bot }, gaugeValue(pnl.unrealizedPnl));
    this.#metrics.fees.set({ bot }, gaugeValue(pnl.fees));
  }
}

function setOrRemove(gauge: Gauge<'bot'>, labels: { bot: string }, value: number | null): void {
  // An unknown reading is no series at all: a made-up 0 would read as "no memory use" or "heartbeat just now".
  if (value === null) gauge.remove(labels);
  else gauge.set(labels, value);
}

/** Sets a bot's series for the values present and 0 for those seen before but now absent. */
function setSeries<L extends 'instrument' | 'key'>(gauge: Gauge<'bot' | L>, seen: Map<string, Set<string>>, bot: string, label: L, values: ReadonlyMap<string, number>): void {
  const known = seen.get(bot) ?? new Set<string>();
  seen.set(bot, known);
  for (const value of values.keys()) known.add(value);
  for (const value of known) {
    const labels = { bot, [label]: value } as Record<'bot' | L, string>;
    gauge.set(labels, values.get(value) ?? 0);
  }
}
