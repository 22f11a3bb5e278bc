import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../supervisor/pm2/apps.ts';

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  engines?: Record<string, string>;
  bin?: Record<string, string>;
}

const read = <T>(file: string): T => JSON.parse(readFileSync(join(PROJECT_ROOT, file), 'utf8')) as T;

/**
 * `npm install` rewrites the lockfile's root entry from package.json; if the two disagree, a fresh clone's install
 * leaves package-lock.json modified. npm records bin paths without a leading "./".
 */
describe('package-lock.json', () => {
  it('test_root_entry_when_compared_with_package_json_then_npm_install_has_nothing_to_rewrite', () => {
    const manifest = read<Manifest>('package.json');
    const root = read<{ packages: Record<string, Manifest> }>('package-lock.json').packages[''];
    const bin = Object.fromEntries(Object.entries(manifest.bin ?? {}).map(([name, path]) => [name, path.replace(/^\.\//, '')]));
    expect(root).toEqual({
      name: manifest.name,
      version: manifest.version,
      dependencies: manifest.dependencies,
      devDependencies: manifest.devDependencies,
      engines: manifest.engines,
      ...(manifest.bin === undefined ? {} : { bin }),
    });
  });
});
