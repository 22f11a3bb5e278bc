import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_CONFIG, ROOT, RULES_FILE, RULE_TESTS_FILE, alertNames, promtool } from './tools.ts';

/** Each `alertname:` of the unit tests with whether that case expects it firing (a list of alerts) or not (`[]`). */
function ruleTestCases(): Array<{ alert: string; fires: boolean }> {
  const text = readFileSync(RULE_TESTS_FILE, 'utf8');
  const cases = [...text.matchAll(/^\s*alertname: (\w+)\s*\n\s*exp_alerts:(.*)$/gm)].map((match) => ({ alert: match[1] ?? '', fires: (match[2] ?? '').trim() !== '[]' }));
  // A case written any other way would be missed here: the count proves none is.
  expect(cases.length).toBe([...text.matchAll(/alertname:/g)].length);
  return cases;
}

/** The rules file cut into one block of text per alert. */
function ruleBlocks(): Map<string, string> {
  const text = readFileSync(RULES_FILE, 'utf8');
  const blocks = new Map<string, string>();
  const starts = [...text.matchAll(/^\s*- alert: (\w+)\s*$/gm)];
  starts.forEach((start, index) => blocks.set(start[1] ?? '', text.slice(start.index, starts[index + 1]?.index ?? text.length)));
  return blocks;
}

describe('the shipped Prometheus configuration and alert rules', () => {
  it('passes promtool check config, its rule file included', () => {
    const result = promtool(['check', 'config', PROMETHEUS_CONFIG]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('is valid prometheus config file syntax');
  });

  it('passes promtool check rules, which finds exactly the alerts listed here', () => {
    const result = promtool(['check', 'rules', RULES_FILE]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`SUCCESS: ${alertNames().length} rules found`);
    expect(alertNames()).toEqual([
      'FlotillaFleetKillSwitchEngaged',
      'FlotillaBotKillSwitchEngaged',
      'FlotillaFleetHalted',
      'FlotillaBotHalted',
      'FlotillaBotDrawdownNearThreshold',
      'FlotillaFleetDrawdownNearThreshold',
      'FlotillaUnprotectedPosition',
      'FlotillaReconciliationMismatch',
      'FlotillaReconciliationNotSucceeded',
      'FlotillaBotDown',
      'FlotillaBotRestarting',
      'FlotillaHeartbeatStale',
      'FlotillaSupervisorScrapeFailing',
      'FlotillaVenueDisconnected',
      'FlotillaVenueErrors',
      'FlotillaVenueRateLimited',
      'FlotillaRateLimitDenials',
      'FlotillaMarketDataLagging',
      'FlotillaDecisionLatencyHigh',
    ]);
  });

  it('passes its unit tests: promtool test rules', () => {
    const result = promtool(['test', 'rules', RULE_TESTS_FILE]);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('has, for every alert, a unit test case where it fires and one where it does not', () => {
    const cases = ruleTestCases();
    const missing = alertNames().flatMap((alert) => [
      ...(cases.some((entry) => entry.alert === alert && entry.fires) ? [] : [`${alert}: no firing case`]),
      ...(cases.some((entry) => entry.alert === alert && !entry.fires) ? [] : [`${alert}: no case where it stays quiet`]),
    ]);
    expect(missing).toEqual([]);
    expect(cases.filter((entry) => !alertNames().includes(entry.alert))).toEqual([]);
  });

  it('gives every alert a severity of critical or warning, a summary and a runbook line', () => {
    const wrong: string[] = [];
    for (const [alert, block] of ruleBlocks()) {
      if (!/^\s+severity: (critical|warning)$/m.test(block)) wrong.push(`${alert}: severity`);
      if (!/^\s+summary: '.+'$/m.test(block)) wrong.push(`${alert}: summary`);
      if (!/^\s+runbook: '.+'$/m.test(block)) wrong.push(`${alert}: runbook`);
    }
    expect(wrong).toEqual([]);
  });

  it('explains every alert in docs/monitoring.md, under a heading of its own with its severity', () => {
    const docs = readFileSync(join(ROOT, 'docs', 'monitoring.md'), 'utf8');
    const wrong: string[] = [];
    for (const [alert, block] of ruleBlocks()) {
      const severity = /severity: (\w+)/.exec(block)?.[1] ?? '';
      const section = new RegExp(`^#### \`${alert}\` \\(${severity}\\)$`, 'm');
      if (!section.test(docs)) wrong.push(`${alert} (${severity})`);
    }
    expect(wrong).toEqual([]);
  });

  it('reads the supervisor as job "flotilla", the job the configuration scrapes', () => {
    expect(readFileSync(PROMETHEUS_CONFIG, 'utf8')).toMatch(/^\s+- job_name: flotilla$/m);
    expect(readFileSync(RULES_FILE, 'utf8')).toContain('up{job="flotilla"}');
  });
});
