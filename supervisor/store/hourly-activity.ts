import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { Decimal } from '../../core/decimal.ts';
import type { BotId } from '../../core/ids.ts';
import type { GroupCommit } from '../../core/sqlite.ts';

/** One hour of market time, the unit of every per-hour figure. */
export const HOUR_MS = 3_600_000;

/** Hours kept: a week, far more than `supervisor status <bot>` shows, and a few hundred rows per bot. */
export const HOURLY_RETENTION_HOURS = 7 * 24;

export const HOURLY_ACTIVITY_MIGRATION = `
  CREATE TABLE hourly_notes (
    bot_id TEXT NOT NULL,
    hour INTEGER NOT NULL,
    note TEXT NOT NULL,
    value TEXT NOT NULL,
    count INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (bot_id, hour, note, value)
  );
  CREATE TABLE hourly_risk (
    bot_id TEXT NOT NULL,
    hour INTEGER NOT NULL,
    peak TEXT NOT NULL,
    PRIMARY KEY (bot_id, hour)
  );
`;

/** The start of the hour (market time, on the UTC grid) that `at` falls in. */
export function hourOf(at: number): number {
  return Math.floor(at / HOUR_MS) * HOUR_MS;
}

export interface HourlyNoteCount {
  hour: number;
  note: string;
  value: string;
  count: number;
}

export interface HourlyRiskPeak {
  hour: number;
  /** The highest open risk / equity seen in the hour, a fraction. */
  peak: Decimal;
}

/**
 * Per bot and hour of market time: how often each counted strategy note was made, and the peak of risk in use.
 * Notes live nowhere else (a bot replays only each note's latest value), and risk in use is a reading of the moment,
 * so they are counted here, in the supervisor's store, to survive a restart. Fills and round trips are not: the
 * bots' ledgers already hold them durably and the per-hour view derives them from there (control/activity.ts).
 * Writes join the store's group commit: a crash loses at most the current tick's counts, never a decision.
 */
export class HourlyActivity {
  readonly #batch: GroupCommit;
  readonly #countNote: StatementSync;
  readonly #notesSince: StatementSync;
  readonly #saveRisk: StatementSync;
  readonly #riskAt: StatementSync;
  readonly #risksSince: StatementSync;
  readonly #pruneNotes: StatementSync;
  readonly #pruneRisk: StatementSync;
  /** Each bot's peak in the hour it was last sampled, so an unchanged reading writes nothing. */
  readonly #peaks = new Map<BotId, HourlyRiskPeak>();
  #prunedThrough = Number.MIN_SAFE_INTEGER;

  constructor(db: DatabaseSync, batch: GroupCommit) {
    this.#batch = batch;
    this.#countNote = db.prepare(`INSERT INTO hourly_notes (bot_id, hour, note, value, count) VALUES (?, ?, ?, ?, 1)
      ON CONFLICT (bot_id, hour, note, value) DO UPDATE SET count = count + 1`);
    this.#notesSince = db.prepare('SELECT hour, note, value, count FROM hourly_notes WHERE bot_id = ? AND hour >= ? ORDER BY hour DESC, note, value');
    this.#saveRisk = db.prepare('INSERT INTO hourly_risk (bot_id, hour, peak) VALUES (?, ?, ?) ON CONFLICT (bot_id, hour) DO UPDATE SET peak = excluded.peak');
    this.#riskAt = db.prepare('SELECT peak FROM hourly_risk WHERE bot_id = ? AND hour = ?');
    this.#risksSince = db.prepare('SELECT hour, peak FROM hourly_risk WHERE bot_id = ? AND hour >= ? ORDER BY hour DESC');
    this.#pruneNotes = db.prepare('DELETE FROM hourly_notes WHERE hour < ?');
    this.#pruneRisk = db.prepare('DELETE FROM hourly_risk WHERE hour < ?');
  }

  /** A note the bot's strategy made (never a replay: that note was counted when made), at market time `at`. */
  countNote(botId: BotId, at: number, note: string, value: string): void {
    const hour = hourOf(at);
    this.#batch.write(() => this.#countNote.run(botId, hour, note, value));
    this.#pruneBefore(hour);
  }

  /** A reading of the bot's open risk / equity at market time `at`; the hour keeps its highest. */
  recordRiskInUse(botId: BotId, at: number, fraction: Decimal): void {
    const hour = hourOf(at);
    let current = this.#peaks.get(botId);
    if (current?.hour !== hour) {
      const row = this.#riskAt.get(botId, hour) as { peak: string } | undefined;
      current = { hour, peak: row === undefined ? Decimal.fromInteger(-1) : Decimal.parse(row.peak) };
      this.#peaks.set(botId, current);
    }
    if (!fraction.gt(current.peak)) return;
    current.peak = fraction;
    this.#batch.write(() => this.#saveRisk.run(botId, hour, fraction.toString()));
    this.#pruneBefore(hour);
  }

  /** The bot's note counts in the hours starting at `sinceHour` or later, newest hour first. */
  notes(botId: BotId, sinceHour: number): HourlyNoteCount[] {
    return this.#notesSince.all(botId, sinceHour) as unknown as HourlyNoteCount[];
  }

  /** The bot's peak risk in use in the hours starting at `sinceHour` or later, newest first. */
  riskPeaks(botId: BotId, sinceHour: number): HourlyRiskPeak[] {
    const rows = this.#risksSince.all(botId, sinceHour) as Array<{ hour: number; peak: string }>;
    return rows.map((row) => ({ hour: row.hour, peak: Decimal.parse(row.peak) }));
  }

  /** Once per new hour, hours past the retention go. */
  #pruneBefore(hour: number): void {
    if (hour <= this.#prunedThrough) return;
    this.#prunedThrough = hour;
    const cutoff = hour - HOURLY_RETENTION_HOURS * HOUR_MS;
    this.#batch.write(() => {
      this.#pruneNotes.run(cutoff);
      this.#pruneRisk.run(cutoff);
    });
  }
}
