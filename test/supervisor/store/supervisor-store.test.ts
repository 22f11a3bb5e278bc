import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../../core/decision.ts';
import type { BotId, IntentId, InstrumentId } from '../../../core/ids.ts';
import { parseBotId } from '../../../core/ids.ts';
import { SupervisorStore } from '../../../supervisor/store/supervisor-store.ts';

const ALPHA = parseBotId('alpha');
const BRAVO = parseBotId('bravo');

function decision(botId: BotId, sequence: number, outcome: Decision['outcome']): Decision {
  return {
    intentId: `${botId}-${sequence}` as IntentId,
    botId,
    instrumentId: 'BTCUSDT.BYBIT' as InstrumentId,
    outcome,
    reason: outcome === 'DENIED' ? 'WOULD_STACK' : null,
    detail: '',
    requestedQuantity: null,
    approvedQuantity: null,
    clientOrderId: null,
    decidedAt: 1_000 + sequence,
    latencyNs: 1_000,
  };
}

describe('supervisor store: decisions by bot', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-store-'));
    path = join(dir, 'supervisor.sqlite');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Bravo decides three times (one denial), then alpha 200 times: bravo's are far past any limit of everyone's. */
  function busyAlphaQuietBravo(store: SupervisorStore): void {
    let sequence = 0;
    for (const outcome of ['APPROVED', 'DENIED', 'APPROVED'] as const) store.recordDecision(decision(BRAVO, sequence++, outcome), '{}');
    for (let i = 0; i < 200; i++) store.recordDecision(decision(ALPHA, sequence++, i % 2 === 0 ? 'DENIED' : 'APPROVED'), '{}');
    store.commit();
  }

  it('test_recent_decisions_when_filtered_by_a_quiet_bot_then_the_filter_applies_before_the_limit', () => {
    const store = new SupervisorStore(path);
    busyAlphaQuietBravo(store);
    expect(store.recentDecisions(2, false, BRAVO).map((d) => d.intentId)).toEqual(['bravo-2', 'bravo-1']);
    expect(store.recentDecisions(50, true, BRAVO).map((d) => d.intentId)).toEqual(['bravo-1']);
    expect(store.recentDecisions(50, false, BRAVO)).toHaveLength(3);
    expect(store.recentDecisions(3, false, ALPHA).every((d) => d.botId === ALPHA)).toBe(true);
    expect(store.recentDecisions(10)).toHaveLength(10);
    store.close();
  });

  it('test_migration_3_when_a_version_2_store_opens_then_the_by_bot_index_is_added_and_used', () => {
    const first = new SupervisorStore(path);
    busyAlphaQuietBravo(first);
    first.close();
    // Back to what a version-2 build left behind.
    const raw = new DatabaseSync(path);
    raw.exec('DROP INDEX decisions_by_bot; DROP TABLE drawdown_window_thresholds; CREATE TABLE drawdown_thresholds (scope TEXT PRIMARY KEY, threshold TEXT NOT NULL); DROP TABLE known_bots; DROP TABLE hourly_notes; DROP TABLE hourly_risk; PRAGMA user_version = 2');
    raw.close();

    const store = new SupervisorStore(path);
    expect(store.recentDecisions(5, false, BRAVO)).toHaveLength(3);
    store.close();
    const check = new DatabaseSync(path, { readOnly: true });
    expect((check.prepare('PRAGMA user_version').get() as { user_version: number }).user_version).toBeGreaterThanOrEqual(3);
    const plan = check.prepare("EXPLAIN QUERY PLAN SELECT * FROM decisions WHERE bot_id = ? AND outcome = 'DENIED' ORDER BY id DESC LIMIT ?").all('bravo', 5);
    expect(JSON.stringify(plan)).toContain('decisions_by_bot');
    check.close();
  });
});
