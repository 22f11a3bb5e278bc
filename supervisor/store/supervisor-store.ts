import type { StatementSync } from 'node:sqlite';
import { Decimal } from '../../core/decimal.ts';
import type { Decision, DecisionOutcome, DecisionReason } from '../../core/decision.ts';
import type { BotId, ClientOrderId, InstrumentId, IntentId } from '../../core/ids.ts';
import type { Durability, Migration } from '../../core/sqlite.ts';
import { GroupCommit, openDatabase } from '../../core/sqlite.ts';
import { InvariantViolation } from '../../core/errors.ts';
import type { TradingState } from '../../core/trading-state.ts';
import { HOURLY_ACTIVITY_MIGRATION, HourlyActivity } from './hourly-activity.ts';

/**
 * Decisions commit in groups at the end of the tick they were made in (0 ms: setImmediate). An approval is durable
 * before that, in the bot's ledger with its orders; a denial's answer waits for this commit (whenCommitted), so
 * the delay is part of every denial's round trip and is kept at zero.
 */
export const DECISION_COMMIT_DELAY_MS = 0;

/** "fleet" or "bot:<id>": the scopes a trading state, a halt or a drawdown applies to. */
export type Scope = 'fleet' | `bot:${string}`;

export function botScope(botId: BotId): Scope {
  return `bot:${botId}`;
}

/** Why a scope left ACTIVE; a closed set, reused as a metric label. */
export const STATE_CHANGE_REASONS = ['KILL_SWITCH', 'DRAWDOWN_HALT', 'OPERATOR_HALT', 'OPERATOR_RESUME', 'HEARTBEAT_LOST', 'HEARTBEAT_RESTORED', 'BOT_RETIRED', 'RECONCILIATION_MISMATCH'] as const;
export type StateChangeReason = (typeof STATE_CHANGE_REASONS)[number];

export interface ScopeState {
  scope: Scope;
  state: TradingState;
  reason: StateChangeReason | null;
  detail: string;
  changedAt: number;
  /** True while a kill with flatten waits for every position in scope to be confirmed flat. */
  flattenPending: boolean;
}

export interface EquitySample {
  scope: Scope;
  at: number;
  equity: Decimal;
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: `
      CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        bot_id TEXT NOT NULL,
        intent_id TEXT NOT NULL,
        instrument_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT,
        detail TEXT NOT NULL,
        requested_quantity TEXT,
        approved_quantity TEXT,
        client_order_id TEXT,
        decided_at INTEGER NOT NULL,
        latency_ns INTEGER NOT NULL,
        intent_json TEXT NOT NULL,
        UNIQUE (bot_id, intent_id)
      );
      CREATE TABLE scope_states (
        scope TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        reason TEXT,
        detail TEXT NOT NULL,
        changed_at INTEGER NOT NULL,
        flatten_pending INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE state_changes (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        detail TEXT NOT NULL,
        changed_at INTEGER NOT NULL
      );
      CREATE TABLE equity_samples (
        scope TEXT NOT NULL,
        at INTEGER NOT NULL,
        equity TEXT NOT NULL,
        PRIMARY KEY (scope, at)
      );
    `,
  },
  {
    version: 2,
    statements: `
      CREATE TABLE drawdown_thresholds (
        scope TEXT PRIMARY KEY,
        threshold TEXT NOT NULL
      );
    `,
  },
  {
    // One bot's recent decisions without scanning everyone's: `supervisor decisions --bot <id>`.
    version: 3,
    statements: `
      CREATE INDEX decisions_by_bot ON decisions (bot_id, id);
    `,
  },
  {
    // Drawdown policies have several windows; an operator's threshold belongs to one of them, named by its length.
    // A threshold set before (window_ms 0) is moved to the scope's first window by the drawdown monitor at start.
    version: 4,
    statements: `
      CREATE TABLE drawdown_window_thresholds (
        scope TEXT NOT NULL,
        window_ms INTEGER NOT NULL,
        threshold TEXT NOT NULL,
        PRIMARY KEY (scope, window_ms)
      );
      INSERT INTO drawdown_window_thresholds (scope, window_ms, threshold) SELECT scope, 0, threshold FROM drawdown_thresholds;
      DROP TABLE drawdown_thresholds;
    `,
  },
  {
    // Every bot the supervisor has run, with the manifest it ran on: a bot whose folder is gone while it still holds
    // positions or orders is loaded from here, retired, so its positions stay protected until they are flat.
    version: 5,
    statements: `
      CREATE TABLE known_bots (
        bot_id TEXT PRIMARY KEY,
        manifest_json TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    // Per-hour figures for `supervisor status <bot>` (hourly-activity.ts): strategy notes are not kept anywhere else,
    // and the peak of risk in use is a reading, so both are counted here to survive a restart.
    version: 6,
    statements: HOURLY_ACTIVITY_MIGRATION,
  },
];

type DecisionRow = {
  bot_id: string;
  intent_id: string;
  instrument_id: string;
  outcome: string;
  reason: string | null;
  detail: string;
  requested_quantity: string | null;
  approved_quantity: string | null;
  client_order_id: string | null;
  decided_at: number;
  latency_ns: number;
};

function decisionFromRow(row: DecisionRow): Decision {
  return {
    botId: row.bot_id as BotId,
    intentId: row.intent_id as IntentId,
    instrumentId: row.instrument_id as InstrumentId,
    outcome: row.outcome as DecisionOutcome,
    reason: row.reason as DecisionReason | null,
    detail: row.detail,
    requestedQuantity: row.requested_quantity === null ? null : Decimal.parse(row.requested_quantity),
    approvedQuantity: row.approved_quantity === null ? null : Decimal.parse(row.approved_quantity),
    clientOrderId: row.client_order_id as ClientOrderId | null,
    decidedAt: row.decided_at,
    latencyNs: row.latency_ns,
  };
}

/** The supervisor's own durable state: every decision, trading states and halts, and equity for drawdowns. */
export class SupervisorStore {
  readonly path: string;
  readonly #close: () => void;
  readonly #insertDecision: StatementSync;
  readonly #decisionByIntent: StatementSync;
  readonly #replaceDecision: StatementSync;
  readonly #recentDecisions: StatementSync;
  readonly #recentDenied: StatementSync;
  readonly #recentOfBot: StatementSync;
  readonly #recentDeniedOfBot: StatementSync;
  readonly #pruneDecisions: StatementSync;
  readonly #upsertState: StatementSync;
  readonly #insertStateChange: StatementSync;
  readonly #allStates: StatementSync;
  readonly #insertSample: StatementSync;
  readonly #samplesSince: StatementSync;
  readonly #pruneSamples: StatementSync;
  readonly #clearSamples: StatementSync;
  readonly #saveThreshold: StatementSync;
  readonly #deleteThreshold: StatementSync;
  readonly #loadThresholds: StatementSync;
  readonly #pruneDecisionsByAge: StatementSync;
  readonly #samplesOfScope: StatementSync;
  readonly #deleteSamplesAfter: StatementSync;
  readonly #deleteSamplesBetween: StatementSync;
  /**
   * Per scope, the persisted samples that some future window can still need, oldest first: each higher than every
   * later one. A sample at or below a later one is never a window's peak again, so it is deleted when that later
   * one is recorded. Loaded from the table on a scope's first sample.
   */
  readonly #peaks = new Map<Scope, Array<{ at: number; equity: Decimal }>>();
  readonly #db;
  readonly #batch: GroupCommit;
  /** Each bot's notes and peak risk in use per hour of market time. */
  readonly hourly: HourlyActivity;

  constructor(path: string, durability: Durability = 'NORMAL') {
    this.path = path;
    const opened = openDatabase(path, MIGRATIONS, durability);
    this.#db = opened.db;
    this.#close = opened.close;
    const db = this.#db;
    this.#batch = new GroupCommit(db, () => {}, (error) => {
      this.#close();
      throw new InvariantViolation(`supervisor store ${path} failed to write and was closed; restart to recover: ${(error as Error).message}`);
    }, DECISION_COMMIT_DELAY_MS);
    this.#insertDecision = db.prepare(`INSERT INTO decisions
      (bot_id, intent_id, instrument_id, outcome, reason, detail, requested_quantity, approved_quantity, client_order_id, decided_at, latency_ns, intent_json)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (bot_id, intent_id) DO NOTHING`);
    this.#decisionByIntent = db.prepare('SELECT * FROM decisions WHERE bot_id = ? AND intent_id = ?');
    this.#replaceDecision = db.prepare(`UPDATE decisions SET outcome = ?, reason = ?, detail = ?, approved_quantity = ?, client_order_id = ?, intent_json = ?
      WHERE bot_id = ? AND intent_id = ?`);
    this.#recentDecisions = db.prepare('SELECT * FROM decisions ORDER BY id DESC LIMIT ?');
    this.#recentDenied = db.prepare("SELECT * FROM decisions WHERE outcome = 'DENIED' ORDER BY id DESC LIMIT ?");
    this.#recentOfBot = db.prepare('SELECT * FROM decisions WHERE bot_id = ? ORDER BY id DESC LIMIT ?');
    this.#recentDeniedOfBot = db.prepare("SELECT * FROM decisions WHERE bot_id = ? AND outcome = 'DENIED' ORDER BY id DESC LIMIT ?");
    this.#pruneDecisions = db.prepare('DELETE FROM decisions WHERE id <= (SELECT MAX(id) FROM decisions) - ?');
    this.#upsertState = db.prepare(`INSERT INTO scope_states (scope, state, reason, detail, changed_at, flatten_pending) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (scope) DO UPDATE SET state = excluded.state, reason = excluded.reason, detail = excluded.detail, changed_at = excluded.changed_at, flatten_pending = excluded.flatten_pending`);
    this.#insertStateChange = db.prepare('INSERT INTO state_changes (scope, state, reason, detail, changed_at) VALUES (?, ?, ?, ?, ?)');
    this.#allStates = db.prepare('SELECT * FROM scope_states');
    this.#insertSample = db.prepare('INSERT OR REPLACE INTO equity_samples (scope, at, equity) VALUES (?, ?, ?)');
    this.#samplesSince = db.prepare('SELECT scope, at, equity FROM equity_samples WHERE at >= ? ORDER BY at');
    this.#pruneSamples = db.prepare('DELETE FROM equity_samples WHERE scope = ? AND at < ?');
    this.#clearSamples = db.prepare('DELETE FROM equity_samples WHERE scope = ?');
    this.#saveThreshold = db.prepare(
      'INSERT INTO drawdown_window_thresholds (scope, window_ms, threshold) VALUES (?, ?, ?) ON CONFLICT (scope, window_ms) DO UPDATE SET threshold = excluded.threshold',
    );
    this.#deleteThreshold = db.prepare('DELETE FROM drawdown_window_thresholds WHERE scope = ? AND window_ms = ?');
    this.#loadThresholds = db.prepare('SELECT scope, window_ms, threshold FROM drawdown_window_thresholds ORDER BY scope, window_ms DESC');
    // Decisions are numbered in the order they are made, so everything before the first one young enough goes;
    // the scan stops at that one instead of reading the whole table.
    this.#pruneDecisionsByAge = db.prepare(
      'DELETE FROM decisions WHERE id < COALESCE((SELECT id FROM decisions WHERE decided_at >= ? ORDER BY id LIMIT 1), (SELECT MAX(id) FROM decisions) + 1)',
    );
    this.#samplesOfScope = db.prepare('SELECT at, equity FROM equity_samples WHERE scope = ? ORDER BY at');
    this.#deleteSamplesAfter = db.prepare('DELETE FROM equity_samples WHERE scope = ? AND at > ?');
    this.#deleteSamplesBetween = db.prepare('DELETE FROM equity_samples WHERE scope = ? AND at > ? AND at < ?');
    this.hourly = new HourlyActivity(db, this.#batch);
  }

  /**
   * Records a decision unless one is already recorded for the same (bot, intent); returns false then, and the
   * caller must use the recorded one. Decisions commit with the tick's other writes: call commit() before
   * acting on one (sending its orders), so a replay after a crash always finds it.
   */
  recordDecision(decision: Decision, intentJson: string): boolean {
    return this.#batch.write(
      () =>
        this.#insertDecision.run(
          decision.botId,
          decision.intentId,
          decision.instrumentId,
          decision.outcome,
          decision.reason,
          decision.detail,
          decision.requestedQuantity?.toString() ?? null,
          decision.approvedQuantity?.toString() ?? null,
          decision.clientOrderId,
          decision.decidedAt,
          decision.latencyNs,
          intentJson,
        ).changes === 1,
    );
  }

  /** Corrects a decision a crash had cut off from its orders; the only update decisions ever get. */
  replaceDecision(decision: Decision, intentJson: string): void {
    this.#batch.write(() =>
      this.#replaceDecision.run(decision.outcome, decision.reason, decision.detail, decision.approvedQuantity?.toString() ?? null, decision.clientOrderId, intentJson, decision.botId, decision.intentId),
    );
  }

  /** Resolves when the decisions made so far are on disk (at the end of the current tick). */
  whenCommitted(): Promise<void> {
    return this.#batch.whenCommitted();
  }

  /** Makes every write so far durable now. */
  commit(): void {
    this.#batch.commit();
  }

  decisionFor(botId: BotId, intentId: IntentId): Decision | null {
    const row = this.#decisionByIntent.get(botId, intentId) as DecisionRow | undefined;
    return row === undefined ? null : decisionFromRow(row);
  }

  /** The newest decisions first, of every bot or of one; the bot filter applies before the limit. */
  recentDecisions(limit: number, deniedOnly = false, botId?: BotId): Decision[] {
    const rows = (
      botId === undefined
        ? (deniedOnly ? this.#recentDenied : this.#recentDecisions).all(limit)
        : (deniedOnly ? this.#recentDeniedOfBot : this.#recentOfBot).all(botId, limit)
    ) as DecisionRow[];
    return rows.map(decisionFromRow);
  }

  /** Keeps the newest `keep` decisions, and of those only the ones made at `notBefore` (ms) or later. */
  pruneDecisions(keep: number, notBefore: number): void {
    this.#batch.write(() => {
      this.#pruneDecisions.run(keep);
      this.#pruneDecisionsByAge.run(notBefore);
    });
  }

  /** Saves a scope's state and appends the change to its history, atomically. */
  saveState(state: ScopeState): void {
    this.#batch.write(() => {
      this.#upsertState.run(state.scope, state.state, state.reason, state.detail, state.changedAt, state.flattenPending ? 1 : 0);
      this.#insertStateChange.run(state.scope, state.state, state.reason, state.detail, state.changedAt);
    });
    // A halt must survive a crash the moment it is taken.
    this.#batch.commit();
  }

  loadStates(): ScopeState[] {
    const rows = this.#allStates.all() as Array<{ scope: string; state: string; reason: string | null; detail: string; changed_at: number; flatten_pending: number }>;
    return rows.map((row) => ({
      scope: row.scope as Scope,
      state: row.state as TradingState,
      reason: row.reason as StateChangeReason | null,
      detail: row.detail,
      changedAt: row.changed_at,
      flattenPending: row.flatten_pending === 1,
    }));
  }

  /**
   * Persists a sample and keeps only what a window of up to `windowMs` can still need: samples older than that are
   * pruned, and so is every sample at or below this one (it can never again be a peak), which keeps the table to
   * the falling staircase of peaks behind the latest equity: exact for every window, and small.
   */
  recordEquitySample(sample: EquitySample, windowMs: number): void {
    const peaks = this.#peaksOf(sample.scope);
    while (peaks.length > 0) {
      const last = peaks[peaks.length - 1] as { at: number; equity: Decimal };
      if (last.equity.gt(sample.equity) && last.at < sample.at) break;
      peaks.pop();
    }
    const kept = peaks[peaks.length - 1];
    const cutoff = sample.at - windowMs;
    let expired = 0;
    while (expired < peaks.length && (peaks[expired] as { at: number }).at < cutoff) expired++;
    if (expired > 0) peaks.splice(0, expired);
    peaks.push({ at: sample.at, equity: sample.equity });
    this.#batch.write(() => {
      this.#deleteSamplesAfter.run(sample.scope, kept?.at ?? Number.MIN_SAFE_INTEGER);
      this.#insertSample.run(sample.scope, sample.at, sample.equity.toString());
      this.#pruneSamples.run(sample.scope, cutoff);
    });
  }

  /** A scope's staircase of peaks; the first time, read from the table, deleting what an older build kept beyond it. */
  #peaksOf(scope: Scope): Array<{ at: number; equity: Decimal }> {
    let peaks = this.#peaks.get(scope);
    if (peaks !== undefined) return peaks;
    peaks = [];
    const rows = this.#samplesOfScope.all(scope) as Array<{ at: number; equity: string }>;
    for (const row of rows) {
      const equity = Decimal.parse(row.equity);
      while (peaks.length > 0 && (peaks[peaks.length - 1] as { equity: Decimal }).equity.lte(equity)) peaks.pop();
      peaks.push({ at: row.at, equity });
    }
    if (peaks.length < rows.length) {
      const kept = peaks;
      this.#batch.write(() => {
        let previous = Number.MIN_SAFE_INTEGER;
        for (const peak of kept) {
          this.#deleteSamplesBetween.run(scope, previous, peak.at);
          previous = peak.at;
        }
      });
    }
    this.#peaks.set(scope, peaks);
    return peaks;
  }

  saveThreshold(scope: Scope, windowMs: number, threshold: Decimal): void {
    this.#batch.write(() => this.#saveThreshold.run(scope, windowMs, threshold.toString()));
    this.#batch.commit();
  }

  deleteThreshold(scope: Scope, windowMs: number): void {
    this.#batch.write(() => this.#deleteThreshold.run(scope, windowMs));
    this.#batch.commit();
  }

  /** Operators' thresholds per (scope, window length), longest window first within a scope. */
  loadThresholds(): Array<{ scope: Scope; windowMs: number; threshold: Decimal }> {
    const rows = this.#loadThresholds.all() as Array<{ scope: string; window_ms: number; threshold: string }>;
    return rows.map((row) => ({ scope: row.scope as Scope, windowMs: row.window_ms, threshold: Decimal.parse(row.threshold) }));
  }

  /** Forgets a scope's equity history: after a resume, drawdown is measured afresh. */
  clearEquitySamples(scope: Scope): void {
    this.#peaks.set(scope, []);
    this.#batch.write(() => this.#clearSamples.run(scope));
    this.#batch.commit();
  }

  equitySamplesSince(sinceMs: number): EquitySample[] {
    const rows = this.#samplesSince.all(sinceMs) as Array<{ scope: string; at: number; equity: string }>;
    return rows.map((row) => ({ scope: row.scope as Scope, at: row.at, equity: Decimal.parse(row.equity) }));
  }

  /** Remembers the manifest a bot runs on (at every start and every change); committed at once. */
  rememberBot(botId: BotId, manifestJson: string, at: number): void {
    this.#batch.write(() =>
      this.#db
        .prepare('INSERT INTO known_bots (bot_id, manifest_json, updated_at) VALUES (?, ?, ?) ON CONFLICT (bot_id) DO UPDATE SET manifest_json = excluded.manifest_json, updated_at = excluded.updated_at')
        .run(botId, manifestJson, at),
    );
    this.#batch.commit();
  }

  /** Forgets a bot that left with nothing open. */
  forgetBot(botId: BotId): void {
    this.#batch.write(() => this.#db.prepare('DELETE FROM known_bots WHERE bot_id = ?').run(botId));
    this.#batch.commit();
  }

  knownBots(): Array<{ botId: BotId; manifestJson: string }> {
    const rows = this.#db.prepare('SELECT bot_id, manifest_json FROM known_bots ORDER BY bot_id').all() as Array<{ bot_id: string; manifest_json: string }>;
    return rows.map((row) => ({ botId: row.bot_id as BotId, manifestJson: row.manifest_json }));
  }

  close(): void {
    this.#batch.commit();
    this.#close();
  }

  /**
   * The latest time recorded here (decisions, state changes, equity samples), ms, or null for an empty store: the
   * market clock never resumes before it, so nothing recorded after a restart is older than what was before.
   */
  latestRecordedAt(): number | null {
    const row = this.#db
      .prepare(
        `SELECT MAX(
           COALESCE((SELECT MAX(decided_at) FROM decisions), -1),
           COALESCE((SELECT MAX(changed_at) FROM state_changes), -1),
           COALESCE((SELECT MAX(at) FROM equity_samples), -1)) AS latest`,
      )
      .get() as { latest: number };
    return row.latest < 0 ? null : row.latest;
  }
}
