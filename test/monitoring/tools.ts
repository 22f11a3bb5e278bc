import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const MONITORING = join(ROOT, 'monitoring');
export const RULES_FILE = join(MONITORING, 'prometheus', 'rules', 'flotilla.rules.yml');
export const RULE_TESTS_FILE = join(MONITORING, 'prometheus', 'tests', 'flotilla.rules.test.yml');
export const PROMETHEUS_CONFIG = join(MONITORING, 'prometheus', 'prometheus.yml');

const PACKAGES = { promtool: 'prometheus', prometheus: 'prometheus', amtool: 'prometheus-alertmanager' } as const;

/**
 * Debian's prometheus and prometheus-alertmanager packages put their tools in /usr/bin (CI installs them: .ci/run);
 * PATH is the fallback. A missing tool fails the test that needs it, with the way to get it: these checks are not
 * optional.
 */
export function tool(name: keyof typeof PACKAGES): string {
  const candidates = [join('/usr/bin', name), ...(process.env.PATH ?? '').split(':').filter((dir) => dir !== '').map((dir) => join(dir, name))];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) throw new Error(`${name} not found in /usr/bin or on PATH: install Debian's ${PACKAGES[name]} package (apt-get install -y ${PACKAGES[name]})`);
  return found;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function promtool(args: string[], input?: string): Run {
  const result = spawnSync(tool('promtool'), args, { input, encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The alert names of the shipped rules, in file order (each rule starts with `- alert: Name`). */
export function alertNames(): string[] {
  return [...readFileSync(RULES_FILE, 'utf8').matchAll(/^\s*- alert: (\w+)\s*$/gm)].map((match) => match[1] ?? '');
}
