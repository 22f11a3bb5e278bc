import type { Decimal } from '../../core/decimal.ts';
import type { BotId, InstrumentId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { SubAccountId } from '../../core/ids.ts';
import type { Ledger } from '../../ledger/types.ts';
import type { RepairPlan, UnprotectedPosition } from './protection.ts';
import { checkPosition, planRepair } from './protection.ts';

/** What keeping positions protected needs of the order manager. */
export interface ProtectionPort {
  ledger(botId: BotId): Ledger | undefined;
  botIds(): Iterable<BotId>;
  mark(instrumentId: InstrumentId): Decimal | undefined;
  instrument(instrumentId: InstrumentId): Instrument | undefined;
  subAccount(botId: BotId): SubAccountId | undefined;
  now(): number;
  graceMs(): number;
  /** Runs `work` after the current batch of reports, tracked so that the order manager's idle() waits for it. */
  later(work: () => void): void;
  /** Records the repair's order with its decision, counts it and sends it, through the one order path. */
  send(gap: UnprotectedPosition, plan: RepairPlan): void;
  checked(botId: BotId, unprotected: UnprotectedPosition[]): void;
}

/**
 * Keeps the invariant of protection.ts: checks a bot's positions after the reports that can change them, at start
 * and on a timer, remembers what it found (for status and metrics), and repairs each gap by rule, one repair per
 * position at a time, the next only once the last has had the grace period to take.
 */
export class ProtectionKeeper {
  readonly #port: ProtectionPort;
  /** Bots whose check is already scheduled for the end of the current batch of reports. */
  readonly #due = new Set<BotId>();
  /** The unprotected positions found at each bot's last check; a bot with any is checked again on its marks. */
  readonly #unprotected = new Map<BotId, UnprotectedPosition[]>();
  /** Repairs sent per bot/instrument and when. */
  readonly #repairs = new Map<string, { attempts: number; at: number }>();

  constructor(port: ProtectionPort) {
    this.#port = port;
  }

  /** Checks the bot once the current batch of reports has landed, so a bracket's stop has had its chance. */
  due(botId: BotId): void {
    if (this.#due.has(botId)) return;
    this.#due.add(botId);
    this.#port.later(() => {
      this.#due.delete(botId);
      this.check(botId);
    });
  }

  /** Whether the bot had an unprotected position at its last check. */
  hasGaps(botId: BotId): boolean {
    return this.#unprotected.has(botId);
  }

  unprotected(botId: BotId): readonly UnprotectedPosition[] {
    return this.#unprotected.get(botId) ?? [];
  }

  checkAll(): void {
    for (const botId of this.#port.botIds()) this.check(botId);
  }

  check(botId: BotId): void {
    const ledger = this.#port.ledger(botId);
    if (ledger === undefined) return;
    const now = this.#port.now();
    const found: UnprotectedPosition[] = [];
    for (const position of ledger.openPositions()) {
      const gap = checkPosition(ledger, position, this.#port.mark(position.instrumentId), now, this.#port.graceMs());
      if (gap !== null) found.push(gap);
    }
    const before = this.#unprotected.get(botId)?.length ?? 0;
    if (found.length > 0) this.#unprotected.set(botId, found);
    else this.#unprotected.delete(botId);
    for (const key of [...this.#repairs.keys()]) {
      if (key.startsWith(`${botId}/`) && !found.some((gap) => key === `${botId}/${gap.instrumentId}`)) this.#repairs.delete(key);
    }
    if (found.length > 0 || before > 0) this.#port.checked(botId, found);
    for (const gap of found) this.#repair(gap, now);
  }

  #repair(gap: UnprotectedPosition, now: number): void {
    const key = `${gap.botId}/${gap.instrumentId}`;
    const previous = this.#repairs.get(key);
    if (previous !== undefined && now - previous.at <= this.#port.graceMs()) return;
    const instrument = this.#port.instrument(gap.instrumentId);
    const subAccountId = this.#port.subAccount(gap.botId);
    if (instrument === undefined || subAccountId === undefined) return;
    const plan = planRepair(gap, instrument, subAccountId, previous?.attempts ?? 0, now);
    if (plan === null) return;
    this.#repairs.set(key, { attempts: (previous?.attempts ?? 0) + 1, at: now });
    this.#port.send(gap, plan);
  }

  forget(botId: BotId): void {
    this.#unprotected.delete(botId);
    this.#due.delete(botId);
    for (const key of [...this.#repairs.keys()]) if (key.startsWith(`${botId}/`)) this.#repairs.delete(key);
  }
}
