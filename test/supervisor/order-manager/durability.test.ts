import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { parseIntentId } from '../../../core/ids.ts';
import { projectNode } from '../../../supervisor/pm2/apps.ts';
import { ALPHA, BTC, intent, makeHarness } from './fixture.ts';

describe('a decision is durable before anyone acts on it', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('commits an approval with its orders before the venue is called, so a crash there leaves both or neither', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-durability-'));
    dirs.push(dir);
    const child = spawnSync(projectNode(), [join(import.meta.dirname, 'processes', 'crash-at-send.ts'), dir], { encoding: 'utf8' });
    expect(child.signal, child.stderr).toBe('SIGKILL');

    // The raw file, as the crash left it: the entry's orders and the decision that made them, in one commit.
    const raw = new DatabaseSync(join(dir, 'alpha.ledger.sqlite'), { readOnly: true });
    const orders = raw.prepare("SELECT client_order_id, role FROM orders WHERE intent_id = 'crash-1'").all() as Array<{ client_order_id: string; role: string }>;
    const decisions = raw.prepare("SELECT outcome, client_order_id FROM decisions WHERE intent_id = 'crash-1'").all() as Array<{ outcome: string; client_order_id: string }>;
    raw.close();
    expect(orders.map((order) => order.role)).toEqual(['ENTRY', 'STOP']);
    expect(decisions).toEqual([{ outcome: 'APPROVED', client_order_id: orders[0]?.client_order_id }]);

    // Recovery puts the decision back in the supervisor's store, and the replayed intent gets it, not a second order.
    const h = makeHarness(undefined, { dir });
    try {
      expect(h.store.decisionFor(ALPHA, parseIntentId('crash-1'))).toMatchObject({ outcome: 'APPROVED', clientOrderId: orders[0]?.client_order_id });
      h.price(BTC, '50000');
      const replay = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { intentId: parseIntentId('crash-1'), quantity: '0.01', stop: '49000' }));
      expect(replay).toMatchObject({ outcome: 'APPROVED', clientOrderId: orders[0]?.client_order_id });
      expect(h.ledgers.get(ALPHA)!.recentOrders(10)).toHaveLength(2);
    } finally {
      h.close();
      dirs.pop();
    }
  });
});
