import { readFileSync } from 'node:fs';
import { flushCompileCache } from 'node:module';
import { join, resolve } from 'node:path';
import { Decimal } from '../core/decimal.ts';
import type { BotCodeError } from '../core/errors.ts';
import type { InstrumentId } from '../core/ids.ts';
import { createLogger } from '../core/logger.ts';
import type { SupervisorMessage, WireBotState, WireCommand } from '../core/protocol.ts';
import { candleFromWire, ordersFromWire, positionsFromWire } from '../core/protocol.ts';
import type { BotStateView } from '../core/strategy.ts';
import { MANIFEST_FILE, parseManifest } from '../supervisor/discovery/manifest.ts';
import { ChannelClient } from './channel-client.ts';
import { confineProcess } from './confine-process.ts';
import { loadStrategy } from './strategy-loader.ts';
import { StrategyHost } from './strategy-host.ts';

/**
 * One bot process: its strategy in a guard, connected to the supervisor. It holds no venue key and no venue
 * client; everything it wants goes out as a command, and everything it knows came in over the channel. It runs
 * under Node's permission model (see supervisor/pm2/bot-launch.ts) and knows only its folder, the socket, and the
 * file holding its own token: nothing of FLOTILLA_HOME or of other bots.
 */
process.umask(0o077);
confineProcess();
function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set; a bot process is started by the supervisor`);
  return value;
}
const botDir = resolve(required('FLOTILLA_BOT_DIR'));
const socketPath = required('FLOTILLA_BOT_SOCKET');
const token = readFileSync(required('FLOTILLA_BOT_TOKEN_FILE'), 'utf8').trim();
const manifest = parseManifest(JSON.parse(readFileSync(join(botDir, MANIFEST_FILE), 'utf8')));
const logger = createLogger({ name: `bot:${manifest.id}`, level: process.env.FLOTILLA_LOG_LEVEL ?? 'info' });
const { module, parameters } = await loadStrategy({ path: botDir, manifest });
// Everything this process needs is compiled now; a restart by pm2 then starts from the cache.
flushCompileCache();

let client: ChannelClient | null = null;
const reportBotCodeError = (error: BotCodeError): void => {
  logger.error({ error: error.message }, 'strategy code failed; no order from this call');
  client?.reportBotError(error.message);
};
const host = new StrategyHost({
  botId: manifest.id,
  module,
  parameters,
  instruments: manifest.instruments,
  timeframes: manifest.timeframes,
  onBotCodeError: reportBotCodeError,
  onNote: (note) => client?.note(note.name, note.value, note.instrumentId),
  onWarmUpActionsDropped: ({ count, firstReason }) => {
    logger.warn({ count, firstReason }, 'the strategy returned actions on warm-up candles; they were dropped (check state.warmingUp)');
    client?.reportWarmUpDropped(count, firstReason);
  },
});

let state: WireBotState = { equity: '0', drawdown: '0', drawdownThreshold: '1', tradingState: 'ACTIVE', positions: [], openOrders: [] };
let now = Date.now();
/** Instruments with an entry sent and not answered yet: the strategy must not enter them again meanwhile. */
const pendingEntries = new Map<number, InstrumentId>();
let heartbeat: NodeJS.Timeout | null = null;
/** The newest candle the strategy has seen per stream (instrument/timeframe). */
const lastSeen = new Map<string, number>();

function view(): BotStateView {
  return {
    botId: manifest.id,
    now,
    equity: Decimal.parse(state.equity),
    tradingState: state.tradingState,
    positions: positionsFromWire(state),
    openOrders: ordersFromWire(state),
    pendingEntries: new Set(pendingEntries.values()),
    drawdown: Decimal.parse(state.drawdown),
    drawdownThreshold: Decimal.parse(state.drawdownThreshold),
  };
}

function onMessage(message: SupervisorMessage): void {
  switch (message.t) {
    case 'welcome': {
      state = message.state;
      now = message.now;
      // After a reconnect only candles newer than the last one seen go in, so no candle is seen twice.
      const fresh = message.backfill.map(candleFromWire).filter((candle) => candle.openTime > (lastSeen.get(`${candle.instrumentId}/${candle.timeframe}`) ?? Number.NEGATIVE_INFINITY));
      host.warmUp(fresh, view());
      for (const candle of fresh) lastSeen.set(`${candle.instrumentId}/${candle.timeframe}`, candle.openTime);
      if (heartbeat !== null) clearInterval(heartbeat);
      heartbeat = setInterval(() => client?.heartbeat(process.memoryUsage().rss), message.heartbeatIntervalMs);
      client?.heartbeat(process.memoryUsage().rss);
      logger.info({ backfill: message.backfill.length }, 'connected to the supervisor');
      return;
    }
    case 'state':
      state = message.state;
      now = message.now;
      return;
    case 'result': {
      const entry = pendingEntries.get(message.seq);
      pendingEntries.delete(message.seq);
      if (message.result.kind === 'decision' && message.result.decision.outcome === 'DENIED') {
        const decision = message.result.decision;
        logger.debug({ reason: decision.reason, detail: decision.detail }, 'intent denied');
        if (entry !== undefined && decision.reason !== null) host.entryDenied({ instrumentId: entry, reason: decision.reason, decidedAt: decision.decidedAt });
      }
      return;
    }
    case 'candle': {
      const candle = candleFromWire(message.candle);
      const stream = `${candle.instrumentId}/${candle.timeframe}`;
      if (candle.openTime <= (lastSeen.get(stream) ?? Number.NEGATIVE_INFINITY)) return;
      lastSeen.set(stream, candle.openTime);
      now = Math.max(now, candle.openTime + candle.durationMs);
      const shown = message.sessionOpen === undefined ? view() : { ...view(), sessionOpen: message.sessionOpen };
      for (const command of host.onCandle(candle, shown)) {
        const seq = client?.send(JSON.parse(JSON.stringify(command)) as WireCommand);
        if (seq !== undefined && command.type === 'SUBMIT_ORDER' && !command.intent.reduceOnly) pendingEntries.set(seq, command.intent.instrumentId);
      }
      return;
    }
    case 'report':
    case 'refused':
      return;
  }
}

client = new ChannelClient({
  socketPath,
  botId: manifest.id,
  token,
  logger,
  onMessage,
  onRefused: (code, message) => {
    logger.error({ code }, `the supervisor refused this bot: ${message}`);
    process.exitCode = 1;
    if (heartbeat !== null) clearInterval(heartbeat);
  },
});
client.start();

const shutdown = (): void => {
  if (heartbeat !== null) clearInterval(heartbeat);
  client?.close();
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
