import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { parseBotId } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { ScopeState } from '../../../supervisor/store/supervisor-store.ts';
import { SupervisorStore } from '../../../supervisor/store/supervisor-store.ts';
import { TradingStates } from '../../../supervisor/order-manager/trading-states.ts';

const ALPHA = parseBotId('alpha');

describe('TradingStates', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const done of cleanup.splice(0)) done();
  });

  function open(dir = mkdtempSync(join(tmpdir(), 'flotilla-states-'))): { states: TradingStates; changes: ScopeState[]; dir: string; close(): void } {
    const store = new SupervisorStore(join(dir, 'supervisor.sqlite'));
    const changes: ScopeState[] = [];
    const states = new TradingStates({ store, clock: new ManualClock(1_000), logger: silentLogger, changed: (state) => changes.push(state) });
    states.recover();
    const close = (): void => store.close();
    cleanup.push(() => {
      close();
      rmSync(dir, { recursive: true, force: true });
    });
    return { states, changes, dir, close };
  }

  it("reads ACTIVE for a scope that never changed, and the stricter of fleet and bot as the bot's effective state", () => {
    const { states } = open();
    expect(states.get('bot:alpha')).toMatchObject({ state: 'ACTIVE', reason: null });
    states.set('fleet', 'REDUCING', 'OPERATOR_HALT', 'by hand', false);
    expect(states.effective(ALPHA)).toBe('REDUCING');
  });

  it('persists a change before telling anyone, so a restart reads it back', () => {
    const first = open();
    first.states.set('bot:alpha', 'HALTED', 'DRAWDOWN_HALT', 'drawdown 9%', true);
    expect(first.changes).toEqual([expect.objectContaining({ scope: 'bot:alpha', state: 'HALTED', changedAt: 1_000, flattenPending: true })]);
    first.close();
    const second = open(first.dir);
    expect(second.states.get('bot:alpha')).toMatchObject({ state: 'HALTED', reason: 'DRAWDOWN_HALT', flattenPending: true });
  });

  it('sets a silent bot REDUCING and frees it when it is heard again, but never loosens a stricter state', () => {
    const { states } = open();
    states.heartbeatLost(ALPHA, 'silent for 6 s');
    expect(states.get('bot:alpha')).toMatchObject({ state: 'REDUCING', reason: 'HEARTBEAT_LOST' });
    states.heartbeatRestored(ALPHA);
    expect(states.get('bot:alpha')).toMatchObject({ state: 'ACTIVE', reason: 'HEARTBEAT_RESTORED' });
    states.set('bot:alpha', 'HALTED', 'OPERATOR_HALT', 'by hand', false);
    states.heartbeatLost(ALPHA, 'silent again');
    states.heartbeatRestored(ALPHA);
    expect(states.get('bot:alpha')).toMatchObject({ state: 'HALTED', reason: 'OPERATOR_HALT' });
  });
});
