import { z } from 'zod';
import type { Decision } from './decision.ts';
import { Decimal } from './decimal.ts';
import { InvalidInputError } from './errors.ts';
import type { BotId, ClientOrderId, InstrumentId } from './ids.ts';
import { parseBotId, parseClientOrderId, parseInstrumentId, parseIntentId } from './ids.ts';
import type { BotCommand, Intent, SizeRequest } from './intent.ts';
import type { ExecutionReport } from './order.ts';
import { TIMEFRAMES } from './strategy.ts';
import type { OrderView, PositionView, TimeframeCandle } from './strategy.ts';
import type { TradingState } from './trading-state.ts';

/**
 * The bot channel: newline-delimited JSON over a Unix socket under FLOTILLA_HOME. Decimals travel as strings
 * and are parsed back into Decimal on arrival, so no amount ever passes through a float on this wire either.
 */
/**
 * 2: notes say whether they are replayed, and sizes may carry a scale. 3: a bot reports the actions its strategy
 * returned during warm-up, which were dropped. A bot and a supervisor must agree.
 */
export const PROTOCOL_VERSION = 3;

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal string');
const sizeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('QUANTITY'), quantity: decimal, scale: decimal.optional() }),
  z.strictObject({ kind: z.literal('RISK'), riskFraction: decimal, scale: decimal.optional() }),
]);
const intentSchema = z.strictObject({
  intentId: z.string(),
  botId: z.string(),
  instrumentId: z.string(),
  side: z.enum(['BUY', 'SELL']),
  size: sizeSchema,
  orderType: z.enum(['MARKET', 'LIMIT', 'STOP_MARKET']),
  limitPrice: decimal.optional(),
  triggerPrice: decimal.optional(),
  reduceOnly: z.boolean(),
  bracket: z.strictObject({ stopLoss: decimal, takeProfit: decimal.optional() }).optional(),
  reason: z.string().max(200),
});
const commandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('SUBMIT_ORDER'), intent: intentSchema }),
  z.strictObject({ type: z.literal('CANCEL_ORDER'), botId: z.string(), clientOrderId: z.string() }),
  z.strictObject({ type: z.literal('MOVE_STOP'), botId: z.string(), intentId: z.string(), clientOrderId: z.string(), triggerPrice: decimal }),
]);

export const botMessageSchema = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('hello'), botId: z.string(), token: z.string(), protocol: z.number().int() }),
  z.strictObject({ t: z.literal('command'), seq: z.number().int().nonnegative(), command: commandSchema }),
  z.strictObject({ t: z.literal('heartbeat'), rssBytes: z.number().int().nonnegative() }),
  z.strictObject({ t: z.literal('bot-error'), message: z.string().max(2_000) }),
  z.strictObject({ t: z.literal('warmup-dropped'), count: z.number().int().positive(), firstReason: z.string().max(400) }),
  // `replayed`: the latest value of a note already sent, sent again after a reconnect so status survives it and
  // nothing counts it twice; a bot from before the field never replays, so its notes default to newly made.
  z.strictObject({ t: z.literal('note'), name: z.string().max(40), value: z.string().max(40), instrumentId: z.string().nullable(), replayed: z.boolean().default(false) }),
]);

export type WireCommand = z.input<typeof commandSchema>;
export type BotMessage = z.output<typeof botMessageSchema>;
export type WireNote = Extract<BotMessage, { t: 'note' }>;

export interface WireCandle {
  instrumentId: string;
  timeframe: string;
  openTime: number;
  durationMs: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}

export interface WireBotState {
  equity: string;
  drawdown: string;
  drawdownThreshold: string;
  tradingState: TradingState;
  positions: Array<{ instrumentId: string; quantity: string; averageEntryPrice: string; realizedPnl: string; unrealizedPnl: string }>;
  openOrders: Array<{ clientOrderId: string; instrumentId: string; role: string; side: string; type: string; quantity: string; filledQuantity: string; limitPrice: string | null; triggerPrice: string | null; status: string }>;
}

export type CommandResultWire =
  | { kind: 'decision'; decision: Decision }
  | { kind: 'command'; outcome: 'ACCEPTED' | 'DENIED'; reason: string | null; detail: string; replacement: string | null };

export type SupervisorMessage =
  | { t: 'welcome'; now: number; heartbeatIntervalMs: number; state: WireBotState; backfill: WireCandle[] }
  /** `sessionOpen`: for an instrument that trades in a session, whether it was open at the venue at delivery. */
  | { t: 'candle'; candle: WireCandle; sessionOpen?: boolean }
  | { t: 'result'; seq: number; result: CommandResultWire }
  | { t: 'report'; report: ExecutionReport }
  | { t: 'state'; now: number; state: WireBotState }
  | { t: 'refused'; code: 'BAD_TOKEN' | 'UNKNOWN_BOT' | 'PROTOCOL' | 'ALREADY_CONNECTED'; message: string };

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** Parses one line from a bot; a malformed line is refused with what was wrong, never half-applied. */
export function parseBotMessage(line: string): BotMessage {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new InvalidInputError('bot message is not JSON');
  }
  const parsed = botMessageSchema.safeParse(json);
  if (!parsed.success) throw new InvalidInputError(`bot message: ${describe(parsed.error)}`);
  return parsed.data;
}

const parseDecimal = (text: string | undefined, what: string): Decimal | undefined => (text === undefined ? undefined : Decimal.parse(text, what));

function sizeFromWire(wire: z.output<typeof sizeSchema>): SizeRequest {
  const size: SizeRequest = wire.kind === 'QUANTITY' ? { kind: 'QUANTITY', quantity: Decimal.parse(wire.quantity, 'quantity') } : { kind: 'RISK', riskFraction: Decimal.parse(wire.riskFraction, 'riskFraction') };
  if (wire.scale !== undefined) size.scale = Decimal.parse(wire.scale, 'scale');
  return size;
}

/** Turns a wire command into a domain command, checking that every ID names the sending bot. */
export function commandFromWire(wire: z.output<typeof commandSchema>, sender: BotId): BotCommand {
  if (wire.type === 'SUBMIT_ORDER') {
    const w = wire.intent;
    if (w.botId !== sender) throw new InvalidInputError(`intent names bot ${w.botId} but came from ${sender}`);
    const intent: Intent = {
      intentId: parseIntentId(w.intentId),
      botId: sender,
      instrumentId: parseInstrumentId(w.instrumentId),
      side: w.side,
      size: sizeFromWire(w.size),
      orderType: w.orderType,
      reduceOnly: w.reduceOnly,
      reason: w.reason,
    };
    const limitPrice = parseDecimal(w.limitPrice, 'limitPrice');
    const triggerPrice = parseDecimal(w.triggerPrice, 'triggerPrice');
    if (limitPrice !== undefined) intent.limitPrice = limitPrice;
    if (triggerPrice !== undefined) intent.triggerPrice = triggerPrice;
    if (w.bracket !== undefined) {
      const takeProfit = parseDecimal(w.bracket.takeProfit, 'takeProfit');
      intent.bracket = { stopLoss: Decimal.parse(w.bracket.stopLoss, 'stopLoss'), ...(takeProfit === undefined ? {} : { takeProfit }) };
    }
    return { type: 'SUBMIT_ORDER', intent };
  }
  if (parseBotId(wire.botId) !== sender) throw new InvalidInputError(`command names bot ${wire.botId} but came from ${sender}`);
  const clientOrderId = parseClientOrderId(wire.clientOrderId).id;
  if (wire.type === 'CANCEL_ORDER') return { type: 'CANCEL_ORDER', botId: sender, clientOrderId };
  return { type: 'MOVE_STOP', botId: sender, intentId: parseIntentId(wire.intentId), clientOrderId, triggerPrice: Decimal.parse(wire.triggerPrice, 'triggerPrice') };
}

export function candleToWire(candle: TimeframeCandle): WireCandle {
  return {
    instrumentId: candle.instrumentId,
    timeframe: candle.timeframe,
    openTime: candle.openTime,
    durationMs: candle.durationMs,
    open: candle.open.toString(),
    high: candle.high.toString(),
    low: candle.low.toString(),
    close: candle.close.toString(),
    volume: candle.volume.toString(),
  };
}

export function candleFromWire(wire: WireCandle): TimeframeCandle {
  const timeframe = TIMEFRAMES.find((value) => value === wire.timeframe);
  if (timeframe === undefined) throw new InvalidInputError(`unknown timeframe ${wire.timeframe}`);
  return {
    instrumentId: parseInstrumentId(wire.instrumentId),
    timeframe,
    openTime: wire.openTime,
    durationMs: wire.durationMs,
    open: Decimal.parse(wire.open, 'open'),
    high: Decimal.parse(wire.high, 'high'),
    low: Decimal.parse(wire.low, 'low'),
    close: Decimal.parse(wire.close, 'close'),
    volume: Decimal.parse(wire.volume, 'volume'),
  };
}

export function positionsFromWire(state: WireBotState): Map<InstrumentId, PositionView> {
  const positions = new Map<InstrumentId, PositionView>();
  for (const p of state.positions) {
    const instrumentId = parseInstrumentId(p.instrumentId);
    positions.set(instrumentId, {
      instrumentId,
      quantity: Decimal.parse(p.quantity),
      averageEntryPrice: Decimal.parse(p.averageEntryPrice),
      realizedPnl: Decimal.parse(p.realizedPnl),
      unrealizedPnl: Decimal.parse(p.unrealizedPnl),
    });
  }
  return positions;
}

export function ordersFromWire(state: WireBotState): OrderView[] {
  return state.openOrders.map((o) => ({
    clientOrderId: o.clientOrderId as ClientOrderId,
    instrumentId: parseInstrumentId(o.instrumentId),
    role: parseClientOrderId(o.clientOrderId).role,
    side: o.side === 'BUY' ? 'BUY' : 'SELL',
    type: o.type === 'LIMIT' ? 'LIMIT' : o.type === 'STOP_MARKET' ? 'STOP_MARKET' : 'MARKET',
    quantity: Decimal.parse(o.quantity),
    filledQuantity: Decimal.parse(o.filledQuantity),
    limitPrice: o.limitPrice === null ? null : Decimal.parse(o.limitPrice),
    triggerPrice: o.triggerPrice === null ? null : Decimal.parse(o.triggerPrice),
    status: o.status,
  }));
}

/** Cuts a stream of text chunks into the lines of newline-delimited JSON, whatever the chunk boundaries. */
export class LineSplitter {
  #buffered = '';

  /** Characters received of a line not yet ended. */
  get pending(): number {
    return this.#buffered.length;
  }

  /** Takes a chunk and returns the lines it completed, empty ones left out. */
  push(chunk: Buffer | string): string[] {
    this.#buffered += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (!this.#buffered.includes('\n')) return [];
    const lines = this.#buffered.split('\n');
    this.#buffered = lines.pop() ?? '';
    return lines.filter((line) => line.length > 0);
  }
}

/** JSON.stringify turns every Decimal into its canonical string through Decimal.toJSON. */
export function encode(message: SupervisorMessage | BotMessage | { t: 'command'; seq: number; command: unknown }): string {
  return `${JSON.stringify(message)}\n`;
}
