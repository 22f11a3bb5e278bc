import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBotId } from '../../../core/ids.ts';
import { probeStrategy } from '../../../supervisor/discovery/probe.ts';
import { PROJECT_ROOT } from '../../../supervisor/pm2/apps.ts';
import { makeBotsRoot, manifest, QUIET_STRATEGY, removeBotsRoot } from '../fleet/fleet-harness.ts';

/** The load probe: a confined process per bot folder that loads the strategy and reports on it. */
describe('probeStrategy', () => {
  const home = mkdtempSync(join(tmpdir(), 'flotilla-probe-'));
  const botsRoot = makeBotsRoot([
    { folder: 'hangs', manifest: manifest('hangs'), strategy: `for (;;) {}\n${QUIET_STRATEGY}` },
    { folder: 'environment', manifest: manifest('environment'), strategy: `throw new Error('ENV ' + Object.keys(process.env).sort().join(','));\n` },
    { folder: 'forges-verdict', manifest: manifest('forges', { parameters: { unexpected: 1 } }), strategy: `try { process.send({ ok: true, notes: {} }); } catch {}\n${QUIET_STRATEGY}` },
    { folder: 'create-throws', manifest: manifest('createthrows'), strategy: QUIET_STRATEGY.replace('return { onCandle: () => [] };', "throw new Error('no model here');") },
  ]);
  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
    removeBotsRoot(botsRoot);
  });

  it.each([
    ['adaptive', { ENTRY_BLOCKED: ['ENVIRONMENT', 'DIRECTION', 'TRIGGER'], SIGNAL_MODEL: ['DISABLED', 'ACTIVE', 'FALLBACK'] }],
    ['aggressive', { REGIME: ['STRONG_UPTREND', 'STRONG_DOWNTREND', 'SIDEWAYS_QUIET', 'SIDEWAYS_CHOPPY', 'HIGH_VOLATILITY'] }],
    ['trend-following', { TREND: ['UP', 'DOWN', 'NONE'] }],
    ['_example', {}],
  ])('test_probe_when_shipped_bot_%s_then_it_loads_within_the_import_rule_and_reports_its_notes', async (folder, notes) => {
    const verdict = await probeStrategy({ path: join(PROJECT_ROOT, 'bots', folder), id: parseBotId(folder === '_example' ? 'example' : folder) }, { home });
    expect(verdict).toEqual({ ok: true, notes });
  }, 30_000);

  it('test_probe_when_strategy_never_finishes_loading_then_killed_at_the_timeout_and_refused', async () => {
    const verdict = await probeStrategy({ path: join(botsRoot, 'hangs'), id: parseBotId('hangs') }, { home, timeoutMs: 1_500 });
    expect(verdict).toEqual({ ok: false, reason: 'the strategy did not load within 1.5 s' });
  }, 30_000);

  it('test_probe_when_strategy_reads_its_environment_then_it_finds_only_its_folder_log_level_and_compile_cache', async () => {
    const verdict = await probeStrategy({ path: join(botsRoot, 'environment'), id: parseBotId('environment') }, { home });
    expect(verdict).toEqual({ ok: false, reason: 'ENV FLOTILLA_BOT_DIR,FLOTILLA_LOG_LEVEL,NODE_COMPILE_CACHE' });
  }, 30_000);

  it('test_probe_when_strategy_sends_its_own_verdict_then_it_cannot_and_the_real_one_refuses_it', async () => {
    const verdict = await probeStrategy({ path: join(botsRoot, 'forges-verdict'), id: parseBotId('forges') }, { home });
    expect(verdict).toMatchObject({ ok: false });
    expect(verdict.ok ? '' : verdict.reason).toMatch(/^parameters: .*unexpected/);
  }, 30_000);

  it('test_probe_when_create_throws_then_refused_with_the_reason', async () => {
    const verdict = await probeStrategy({ path: join(botsRoot, 'create-throws'), id: parseBotId('createthrows') }, { home });
    expect(verdict).toMatchObject({ ok: false });
    expect(verdict.ok ? '' : verdict.reason).toMatch(/create\(\) threw: no model here/);
  }, 30_000);
});
