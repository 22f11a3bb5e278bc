import type { SessionOf } from '../../core/market-session.ts';
import { Decimal } from '../../core/decimal.ts';
import { ConfigurationError } from '../../core/errors.ts';
import type { SubAccountId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';

export interface PaperFeeConfig {
  /** Fraction of notional charged to resting (maker) fills; negative is a rebate. */
  makerRate: Decimal;
  /** Fraction of notional charged to fills that take liquidity. */
  takerRate: Decimal;
}

export interface PaperSlippageConfig {
  /** Every taker fill moves this many basis points against the taker... */
  baseBps: Decimal;
  /** ...plus a seeded uniform draw from [0, jitterBps). */
  jitterBps: Decimal;
}

export interface PaperPartialFillConfig {
  /** The most of one candle's volume a single resting order may take in that candle, as a fraction in (0, 1]. */
  participation: Decimal;
}

export interface PaperAccountConfig {
  subAccountId: SubAccountId;
  /** Starting capital in the quote currency. */
  balance: Decimal;
  /** Divides the margin a position or order holds; never changes PnL. */
  leverage: Decimal;
}

export interface PaperVenueConfig {
  /** The venue's name, e.g. "PAPER"; prefixes venue order IDs and trade IDs. */
  name: string;
  /** Seeds the slippage jitter, so one seed always gives the same fills. */
  seed: number;
  /**
   * Unique to this run of the venue and part of every trade and venue order ID: a restarted paper venue must
   * never repeat an ID a ledger has already seen, or the ledger would take a new fill for a duplicate.
   */
  session: string;
  instruments: Instrument[];
  fees: PaperFeeConfig;
  slippage: PaperSlippageConfig;
  partialFills: PaperPartialFillConfig;
  accounts: PaperAccountConfig[];
  /**
   * When each instrument trades (core/market-session.ts): the bundled US equity calendar for equities unless given.
   * Outside its session an order meets no price on arrival: it rests, and a market order fills at the open of the
   * next candle, which the session's first minute brings.
   */
  sessions?: SessionOf;
}

const VENUE_NAME = /^[A-Z][A-Z0-9]{1,15}$/;

/** Refuses a configuration the engine cannot run honestly, naming every problem at once. */
export function validatePaperVenueConfig(config: PaperVenueConfig): void {
  const problems: string[] = [];
  if (!VENUE_NAME.test(config.name)) problems.push(`name must be 2-16 capitals and digits starting with a letter, got ${JSON.stringify(config.name)}`);
  if (!Number.isSafeInteger(config.seed)) problems.push(`seed must be an integer, got ${config.seed}`);
  if (!/^[a-z0-9]{1,16}$/.test(config.session)) problems.push(`session must be 1-16 characters of a-z and 0-9, got ${JSON.stringify(config.session)}`);

  const instrumentIds = new Set<string>();
  for (const instrument of config.instruments) {
    if (instrumentIds.has(instrument.id)) problems.push(`instrument ${instrument.id} is listed twice`);
    instrumentIds.add(instrument.id);
    if (!instrument.tickSize.isPositive()) problems.push(`instrument ${instrument.id} tick size must be positive`);
    if (!instrument.lotStep.isPositive()) problems.push(`instrument ${instrument.id} lot step must be positive`);
  }

  const { makerRate, takerRate } = config.fees;
  if (takerRate.isNegative() || takerRate.gte(Decimal.ONE)) problems.push(`fees.takerRate must be in [0, 1), got ${takerRate.toString()}`);
  if (makerRate.abs().gte(Decimal.ONE)) problems.push(`fees.makerRate must be in (-1, 1), got ${makerRate.toString()}`);

  const { baseBps, jitterBps } = config.slippage;
  if (baseBps.isNegative()) problems.push(`slippage.baseBps must not be negative, got ${baseBps.toString()}`);
  if (jitterBps.isNegative()) problems.push(`slippage.jitterBps must not be negative, got ${jitterBps.toString()}`);

  const { participation } = config.partialFills;
  if (!participation.isPositive() || participation.gt(Decimal.ONE)) {
    problems.push(`partialFills.participation must be in (0, 1], got ${participation.toString()}`);
  }

  const accountIds = new Set<string>();
  for (const account of config.accounts) {
    if (accountIds.has(account.subAccountId)) problems.push(`sub-account ${account.subAccountId} is listed twice`);
    accountIds.add(account.subAccountId);
    if (account.balance.isNegative()) problems.push(`sub-account ${account.subAccountId} balance must not be negative`);
    if (!account.leverage.isPositive()) problems.push(`sub-account ${account.subAccountId} leverage must be positive`);
  }

  if (problems.length > 0) throw new ConfigurationError(`paper venue ${config.name}: ${problems.join('; ')}`);
}
