import type { BotId, InstrumentId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { BotMessage, CommandResultWire, SupervisorMessage, WireBotState } from '../../core/protocol.ts';
import { candleToWire, commandFromWire } from '../../core/protocol.ts';
import type { BotChannel, BotChannelHandlers } from '../channel/bot-channel.ts';
import type { Clock } from '../../core/clock.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import type { MarketDataHub } from '../market-data/hub.ts';
import type { FleetMetrics } from '../metrics/metrics.ts';
import type { OrderManager } from '../order-manager/order-manager.ts';
import { botStateWire } from '../bot-state/bot-state.ts';
import { COUNTED_NOTES } from '../control/activity.ts';
import type { HourlyActivity } from '../store/hourly-activity.ts';

interface Session {
  connectedAt: number;
  lastHeardAt: number;
  rssBytes: number | null;
  statePushQueued: boolean;
}

/** What the sessions read of the fleet: nothing of its lifecycle, its roster or its control. */
export interface SessionsHost {
  readonly clock: Clock;
  readonly om: OrderManager;
  readonly hub: MarketDataHub;
  readonly metrics: FleetMetrics;
  readonly manifests: ReadonlyMap<BotId, BotManifest>;
  readonly strategyNotes: ReadonlyMap<BotId, Readonly<Record<string, readonly string[]>>>;
  readonly store: { readonly hourly: HourlyActivity };
  /** Whether an instrument's session is open now, as the order manager judges it; null when it trades around the clock. */
  sessionOpen(instrumentId: InstrumentId): boolean | null;
}

export interface BotSessionsOptions {
  fleet: SessionsHost;
  heartbeat: { intervalMs: number; timeoutMs: number };
  logger: Logger;
}

/**
 * One session per bot on the channel: its welcome (state and warm-up candles), its commands into the order
 * manager, its heartbeats, and pushes of fresh state after every change that concerns it.
 */
export class BotSessions implements BotChannelHandlers {
  readonly #options: BotSessionsOptions;
  readonly #sessions = new Map<BotId, Session>();
  /** Real time each bot was last heard from; null until it is. */
  readonly #lastHeard = new Map<BotId, number>();
  /** When silence started to count: the last time heard, or boot, so a bot gets the full timeout to connect. */
  readonly #silentSince = new Map<BotId, number>();
  readonly #botCodeErrors = new Map<BotId, number>();
  readonly #warmUpDropsLogged = new Set<BotId>();
  /** The latest value of each note a bot's strategy made, for status; a supervisor restart has them again from the bot's replay. */
  readonly #notes = new Map<BotId, Map<string, string>>();
  #channel: BotChannel | null = null;

  constructor(options: BotSessionsOptions) {
    this.#options = options;
    const now = Date.now();
    for (const botId of options.fleet.manifests.keys()) this.#silentSince.set(botId, now);
    options.fleet.om.onEvent((event) => {
      if (event.type === 'REPORT_APPLIED') {
        this.#send(event.botId, { t: 'report', report: event.report });
        this.#queueStatePush(event.botId);
      } else if (event.type === 'STATE_CHANGED') {
        const scope = event.state.scope;
        for (const botId of this.#sessions.keys()) if (scope === 'fleet' || scope === `bot:${botId}`) this.#queueStatePush(botId);
      }
    });
  }

  /** A bot adopted while the supervisor runs gets the full heartbeat timeout to connect, from now. */
  track(botId: BotId): void {
    if (!this.#silentSince.has(botId)) this.#silentSince.set(botId, Date.now());
  }

  /** A bot that left the fleet is no longer watched for heartbeats, and what was kept of it is dropped. */
  forget(botId: BotId): void {
    this.#silentSince.delete(botId);
    this.#lastHeard.delete(botId);
    this.#notes.delete(botId);
    this.#botCodeErrors.delete(botId);
  }

  attach(channel: BotChannel): void {
    this.#channel = channel;
  }

  #send(botId: BotId, message: SupervisorMessage): void {
    this.#channel?.send(botId, message);
  }

  /** Several reports in one tick make one state push. */
  #queueStatePush(botId: BotId): void {
    const session = this.#sessions.get(botId);
    if (session === undefined || session.statePushQueued) return;
    session.statePushQueued = true;
    queueMicrotask(() => {
      session.statePushQueued = false;
      if (this.#sessions.get(botId) === session) this.#send(botId, { t: 'state', now: this.#options.fleet.clock.now(), state: this.stateOf(botId) });
    });
  }

  stateOf(botId: BotId): WireBotState {
    return botStateWire(this.#options.fleet.om, botId);
  }

  connected(botId: BotId): SupervisorMessage {
    const { fleet } = this.#options;
    const manifest = fleet.manifests.get(botId);
    const now = Date.now();
    this.#sessions.set(botId, { connectedAt: now, lastHeardAt: now, rssBytes: null, statePushQueued: false });
    this.#heard(botId, now);
    const subscriber = `bot:${botId}`;
    fleet.hub.unsubscribe(subscriber);
    const streams = (manifest?.instruments ?? []).flatMap((instrumentId) => (manifest?.timeframes ?? []).map((timeframe) => ({ instrumentId, timeframe })));
    const backfill = streams.length === 0 ? [] : fleet.hub.subscribe(subscriber, streams, (candle) => {
      const sessionOpen = fleet.sessionOpen(candle.instrumentId);
      this.#send(botId, { t: 'candle', candle: candleToWire(candle), ...(sessionOpen === null ? {} : { sessionOpen }) });
      fleet.metrics.recordCandlesDelivered(botId, candle.instrumentId, candle.timeframe);
    });
    this.#options.logger.info({ botId, backfill: backfill.length }, 'bot connected');
    return { t: 'welcome', now: fleet.clock.now(), heartbeatIntervalMs: this.#options.heartbeat.intervalMs, state: this.stateOf(botId), backfill: backfill.map(candleToWire) };
  }

  message(botId: BotId, message: Exclude<BotMessage, { t: 'hello' }>): void {
    const { fleet } = this.#options;
    this.#heard(botId, Date.now());
    switch (message.t) {
      case 'heartbeat': {
        const session = this.#sessions.get(botId);
        if (session !== undefined) session.rssBytes = message.rssBytes;
        return;
      }
      case 'note': {
        const allowed = fleet.strategyNotes.get(botId)?.[message.name];
        const instrumentId = message.instrumentId as InstrumentId | null;
        if (allowed === undefined || !allowed.includes(message.value) || (instrumentId !== null && fleet.manifests.get(botId)?.instruments.includes(instrumentId) !== true)) {
          this.#options.logger.warn({ botId, note: message.name, value: message.value, instrumentId }, 'bot sent a note its strategy does not declare, or on an instrument outside its manifest; ignored');
          return;
        }
        let notes = this.#notes.get(botId);
        if (notes === undefined) {
          notes = new Map();
          this.#notes.set(botId, notes);
        }
        // A note about one instrument (a regime, a trend) is kept per instrument, so instruments do not overwrite each other.
        notes.set(instrumentId === null ? message.name : `${message.name}/${instrumentId}`, message.value);
        fleet.metrics.recordStrategyNote(botId, message.name, message.value, { replayed: message.replayed, instrumentId });
        // Counted per hour for `supervisor status <bot>`; a replay was counted when it was made.
        if (!message.replayed && COUNTED_NOTES.includes(message.name)) fleet.store.hourly.countNote(botId, fleet.clock.now(), message.name, message.value);
        return;
      }
      case 'warmup-dropped': {
        fleet.metrics.recordWarmUpActionsDropped(botId, message.count);
        // Once per bot per supervisor run: the counter says how often, the log says why.
        if (!this.#warmUpDropsLogged.has(botId)) {
          this.#warmUpDropsLogged.add(botId);
          this.#options.logger.warn({ botId, count: message.count, firstReason: message.firstReason }, 'the bot returned actions on warm-up candles; they were dropped, never sent');
        }
        return;
      }
      case 'bot-error':
        this.#botCodeErrors.set(botId, (this.#botCodeErrors.get(botId) ?? 0) + 1);
        fleet.metrics.recordBotCodeError(botId);
        this.#options.logger.warn({ botId, error: message.message }, 'bot code error');
        return;
      case 'command': {
        let result: CommandResultWire;
        let command: ReturnType<typeof commandFromWire>;
        try {
          command = commandFromWire(message.command, botId);
        } catch (error) {
          // A command that cannot even be read is refused; nothing was decided, so nothing is sent.
          this.#send(botId, { t: 'result', seq: message.seq, result: { kind: 'command', outcome: 'DENIED', reason: 'INVALID_INTENT', detail: (error as Error).message, replacement: null } });
          return;
        }
        {
          // Anything the order manager throws is a broken invariant, not bad input: it propagates and the
          // supervisor restarts through recovery.
          const outcome = fleet.om.execute(command);
          result = 'intentId' in outcome
            ? { kind: 'decision', decision: outcome }
            : outcome.outcome === 'ACCEPTED'
              ? { kind: 'command', outcome: 'ACCEPTED', reason: null, detail: '', replacement: outcome.replacement }
              : { kind: 'command', outcome: 'DENIED', reason: outcome.reason, detail: outcome.detail, replacement: null };
          // An approval is durable already (it commits with its orders); a denial is answered once the store's
          // commit at the end of this tick has it, so no bot ever acts on a decision a crash could take back.
          if ('intentId' in outcome && outcome.outcome === 'DENIED') {
            const seq = message.seq;
            void fleet.om.decisionsDurable().then(() => this.#send(botId, { t: 'result', seq, result }));
            return;
          }
        }
        this.#send(botId, { t: 'result', seq: message.seq, result });
        return;
      }
    }
  }

  disconnected(botId: BotId): void {
    this.#sessions.delete(botId);
    this.#options.fleet.hub.unsubscribe(`bot:${botId}`);
    this.#options.logger.warn({ botId }, 'bot disconnected');
  }

  #heard(botId: BotId, now: number): void {
    this.#lastHeard.set(botId, now);
    this.#silentSince.set(botId, now);
    this.#options.fleet.om.heartbeatRestored(botId);
  }

  /** Sets every bot silent past the timeout to REDUCING; called on a real-time timer. */
  checkHeartbeats(now = Date.now()): void {
    for (const [botId, heard] of this.#silentSince) {
      const silentMs = now - heard;
      if (silentMs > this.#options.heartbeat.timeoutMs) this.#options.fleet.om.heartbeatLost(botId, `no heartbeat for ${Math.round(silentMs / 1000)} s`);
    }
  }

  lastHeardAt(botId: BotId): number | null {
    return this.#lastHeard.get(botId) ?? null;
  }

  isConnected(botId: BotId): boolean {
    return this.#sessions.has(botId);
  }

  rssBytes(botId: BotId): number | null {
    return this.#sessions.get(botId)?.rssBytes ?? null;
  }

  notes(botId: BotId): Record<string, string> {
    return Object.fromEntries(this.#notes.get(botId) ?? []);
  }

  botCodeErrors(botId: BotId): number {
    return this.#botCodeErrors.get(botId) ?? 0;
  }
}
