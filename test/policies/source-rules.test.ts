import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SOURCE_FOLDERS = ['core', 'ledger', 'supervisor', 'venues', 'bots', 'bench'];

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|js|mjs|cjs)$/.test(name)) files.push(path);
    }
  };
  for (const folder of SOURCE_FOLDERS) {
    try {
      walk(join(ROOT, folder));
    } catch {
      // A folder that does not exist yet has nothing to check.
    }
  }
  for (const name of readdirSync(ROOT)) if (/\.(ts|js|mjs|cjs)$/.test(name)) files.push(join(ROOT, name));
  return files;
}

function offending(pattern: RegExp): string[] {
  return sourceFiles().flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, index) => (pattern.test(line) ? [`${relative(ROOT, file)}:${index + 1}: ${line.trim()}`] : [])),
  );
}

describe('source rules', () => {
  it('finds the source files it polices', () => {
    expect(sourceFiles().length).toBeGreaterThan(20);
  });

  it('has no cancel-everything operation in any non-test source', () => {
    // Built from parts so this file does not match itself.
    expect(offending(new RegExp(['cancel', '[_-]?all'].join(''), 'i'))).toEqual([]);
  });

  it('never parses money with parseFloat', () => {
    expect(offending(new RegExp(['parse', 'Float\\('].join('')))).toEqual([]);
  });

  it('loads bot code only in bot processes and the operator\'s own commands, never in the supervisor', () => {
    // The supervisor learns about strategies through the confined load probe (supervisor/discovery/probe.ts).
    const importers = offending(/from '[^']*runtime\/strategy-loader\.ts'|import\([^)]*strategy-loader/).map((line) => line.slice(0, line.indexOf(':')));
    expect(new Set(importers)).toEqual(new Set(['supervisor/backtest/backtest.ts', 'supervisor/cli/new-bot.command.ts']));
  });
});
