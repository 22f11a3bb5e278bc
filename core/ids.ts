import { InvalidInputError } from './errors.ts';

/**
 * Each identifier is its own branded type; a parseX() is the only way to make one, so a BotId can never be
 * passed where a ClientOrderId is expected and every ID in the system has passed validation once.
 */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type BotId = Brand<string, 'BotId'>;
export type ClientOrderId = Brand<string, 'ClientOrderId'>;
export type VenueOrderId = Brand<string, 'VenueOrderId'>;
export type InstrumentId = Brand<string, 'InstrumentId'>;
export type SubAccountId = Brand<string, 'SubAccountId'>;
export type IntentId = Brand<string, 'IntentId'>;
export type TradeId = Brand<string, 'TradeId'>;
/** A venue's identifier of one funding payment (Bybit's execId of an execType Funding execution, say). */
export type FundingId = Brand<string, 'FundingId'>;
export type ExposureKey = Brand<string, 'ExposureKey'>;

function check<T>(pattern: RegExp, what: string, rule: string, value: unknown): T {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new InvalidInputError(`${what} must be ${rule}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Short enough that bot + ledger epoch + role + sequence fit Bybit's 36-character orderLinkId. */
export const BOT_ID_PATTERN = /^[a-z][a-z0-9-]{0,15}$/;
export function parseBotId(value: unknown): BotId {
  return check(BOT_ID_PATTERN, 'bot id', '1-16 characters of a-z, 0-9 and "-", starting with a letter', value);
}

export function parseVenueOrderId(value: unknown): VenueOrderId {
  return check(/^[\x21-\x7e]{1,128}$/, 'venue order id', '1-128 printable ASCII characters', value);
}

export function parseTradeId(value: unknown): TradeId {
  return check(/^[\x21-\x7e]{1,128}$/, 'trade id', '1-128 printable ASCII characters', value);
}

export function parseFundingId(value: unknown): FundingId {
  return check(/^[\x21-\x7e]{1,128}$/, 'funding id', '1-128 printable ASCII characters', value);
}

/** SYMBOL.VENUE, after NautilusTrader: "BTCUSDT.BYBIT", "QQQ.ALPACA". */
export function parseInstrumentId(value: unknown): InstrumentId {
  return check(/^[A-Z0-9][A-Z0-9-]{0,31}\.[A-Z][A-Z0-9]{1,15}$/, 'instrument id', 'SYMBOL.VENUE in capitals, e.g. "BTCUSDT.BYBIT"', value);
}

export function instrumentSymbol(id: InstrumentId): string {
  return id.slice(0, id.lastIndexOf('.'));
}

export function instrumentVenue(id: InstrumentId): string {
  return id.slice(id.lastIndexOf('.') + 1);
}

export function parseSubAccountId(value: unknown): SubAccountId {
  return check(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'sub-account id', '1-32 characters of a-z, 0-9, "_" and "-"', value);
}

export function parseIntentId(value: unknown): IntentId {
  return check(/^[A-Za-z0-9_.:-]{1,64}$/, 'intent id', '1-64 characters of A-Z, a-z, 0-9, "_", ".", ":" and "-"', value);
}

export function parseExposureKey(value: unknown): ExposureKey {
  return check(/^[A-Z0-9][A-Z0-9_-]{0,31}$/, 'exposure key', '1-32 characters of A-Z, 0-9, "_" and "-"', value);
}

// ---------------------------------------------------------------------------------------------------------
// Client order IDs: <bot>_<epoch>_<role><sequence>, at most 36 characters of [A-Za-z0-9_-].
// The epoch is the ledger's creation time, so a bot whose ledger is wiped and recreated still never reuses
// an ID the venue has already seen; the sequence is persisted in the ledger, so restarts never reuse one either.

export type OrderRole = 'ENTRY' | 'STOP' | 'TAKE_PROFIT' | 'CLOSE';
export const ORDER_ROLES: readonly OrderRole[] = ['ENTRY', 'STOP', 'TAKE_PROFIT', 'CLOSE'];

const ROLE_LETTER: Record<OrderRole, string> = { ENTRY: 'E', STOP: 'S', TAKE_PROFIT: 'T', CLOSE: 'C' };
const LETTER_ROLE: Record<string, OrderRole> = { E: 'ENTRY', S: 'STOP', T: 'TAKE_PROFIT', C: 'CLOSE' };

export const CLIENT_ORDER_ID_MAX_LENGTH = 36;
const EPOCH_LENGTH = 8;
const CLIENT_ORDER_ID_PATTERN = /^([a-z][a-z0-9-]{0,15})_([0-9a-z]{8})_([ESTC])([0-9a-z]{1,9})$/;

export interface ClientOrderIdParts {
  bot: BotId;
  /** The ledger's creation time in ms since 2000-01-01, base 36. */
  epoch: string;
  role: OrderRole;
  sequence: number;
}

/** Epochs count ms from 2000-01-01 so that 8 base-36 digits last until 2089. */
const EPOCH_ORIGIN_MS = Date.UTC(2000, 0, 1);

export function formatLedgerEpoch(createdAtMs: number): string {
  if (!Number.isSafeInteger(createdAtMs)) throw new InvalidInputError(`ledger epoch must be an integer of ms, got ${createdAtMs}`);
  // A backtest clock may sit before the origin; its ledger never meets a venue, so clamping is harmless.
  const text = Math.max(0, createdAtMs - EPOCH_ORIGIN_MS).toString(36);
  if (text.length > EPOCH_LENGTH) throw new InvalidInputError(`ledger epoch ${createdAtMs} does not fit ${EPOCH_LENGTH} base-36 digits`);
  return text.padStart(EPOCH_LENGTH, '0');
}

export function makeClientOrderId(bot: BotId, epoch: string, role: OrderRole, sequence: number): ClientOrderId {
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new InvalidInputError(`order sequence must be a positive integer, got ${sequence}`);
  const id = `${bot}_${epoch}_${ROLE_LETTER[role]}${sequence.toString(36)}`;
  return parseClientOrderId(id).id;
}

/** Validates a client order ID and recovers who made it and why; foreign IDs (not Flotilla's) are refused. */
export function parseClientOrderId(value: unknown): ClientOrderIdParts & { id: ClientOrderId } {
  if (typeof value !== 'string' || value.length > CLIENT_ORDER_ID_MAX_LENGTH) {
    throw new InvalidInputError(`client order id must be a string of at most ${CLIENT_ORDER_ID_MAX_LENGTH} characters, got ${JSON.stringify(value)}`);
  }
  const match = CLIENT_ORDER_ID_PATTERN.exec(value);
  if (match === null) {
    throw new InvalidInputError(`client order id ${JSON.stringify(value)} is not a Flotilla id (<bot>_<epoch>_<role><sequence>)`);
  }
  const [, bot = '', epoch = '', letter = '', sequence = ''] = match;
  return {
    id: value as ClientOrderId,
    bot: bot as BotId,
    epoch,
    role: LETTER_ROLE[letter] as OrderRole,
    sequence: Number.parseInt(sequence, 36),
  };
}

/** True for IDs Flotilla made; anything else on a sub-account is left alone by every operation. */
export function isFlotillaClientOrderId(value: string): boolean {
  return value.length <= CLIENT_ORDER_ID_MAX_LENGTH && CLIENT_ORDER_ID_PATTERN.test(value);
}
