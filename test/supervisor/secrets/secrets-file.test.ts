import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../core/errors.ts';
import { parseSubAccountId } from '../../../core/ids.ts';
import { defaultSecretsPath, readSecrets, Secrets, writeSecrets } from '../../../supervisor/secrets/secrets-file.ts';

/** The venue keys file: where it may live, who may read it, what it holds, and that no message ever quotes a key. */

const KEY = 'FAKE-KEY-sentinel-7431';
const SECRET = 'FAKE-SECRET-sentinel-9911';

let root: string;
let project: string;
let outside: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'flotilla-secrets-'));
  project = join(root, 'project');
  outside = join(root, 'home', '.config', 'flotilla');
  mkdirSync(project, { recursive: true });
});

function writeRaw(path: string, text: string, mode = 0o600): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
}

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

const alpha = parseSubAccountId('alpha');

describe('the secrets file path', () => {
  it('is $FLOTILLA_SECRETS when set, else under $XDG_CONFIG_HOME or ~/.config', () => {
    expect(defaultSecretsPath({ FLOTILLA_SECRETS: '/srv/keys.json' })).toBe('/srv/keys.json');
    expect(defaultSecretsPath({ XDG_CONFIG_HOME: '/x/conf' })).toBe('/x/conf/flotilla/secrets.json');
    expect(defaultSecretsPath({ FLOTILLA_SECRETS: '', XDG_CONFIG_HOME: '' })).toMatch(/\/\.config\/flotilla\/secrets\.json$/);
  });
});

describe('reading the secrets file', () => {
  it('holds no keys when it does not exist yet', () => {
    const secrets = readSecrets(join(outside, 'secrets.json'), project);
    expect(secrets.venue('BYBIT').accounts.size).toBe(0);
    expect(secrets.venue('BYBIT').master).toBeUndefined();
  });

  it('gives each venue its sub-account keys and master key', () => {
    const path = join(outside, 'secrets.json');
    writeRaw(path, JSON.stringify({ version: 1, venues: { BYBIT: { master: { key: 'M', secret: 'S' }, accounts: { alpha: { key: KEY, secret: SECRET, uid: '10123' } } } } }));
    const secrets = readSecrets(path, project);
    expect(secrets.credentials('BYBIT')).toEqual(new Map([[alpha, { key: KEY, secret: SECRET }]]));
    expect(secrets.venue('BYBIT').accounts.get(alpha)?.uid).toBe('10123');
    expect(secrets.venue('BYBIT').master).toEqual({ key: 'M', secret: 'S' });
    expect(secrets.credentials('ALPACA').size).toBe(0);
  });

  it('refuses a file inside the project, also through a symlinked folder', () => {
    const inside = join(project, 'secrets.json');
    writeRaw(inside, JSON.stringify({ version: 1, venues: {} }));
    expect(messageOf(() => readSecrets(inside, project))).toMatch(/lies inside the project folder/);
    symlinkSync(project, join(root, 'link'));
    expect(messageOf(() => readSecrets(join(root, 'link', 'secrets.json'), project))).toMatch(/lies inside the project folder/);
  });

  it('refuses a file others can read, saying which mode and what to run', () => {
    const path = join(outside, 'secrets.json');
    writeRaw(path, JSON.stringify({ version: 1, venues: {} }), 0o644);
    expect(messageOf(() => readSecrets(path, project))).toMatch(/mode 0644.*chmod 600/);
  });

  it('refuses a folder in place of the file', () => {
    const path = join(outside, 'secrets.json');
    mkdirSync(path, { recursive: true });
    expect(messageOf(() => readSecrets(path, project))).toMatch(/is not a regular file/);
  });

  it('says the JSON is broken without quoting any of it', () => {
    const path = join(outside, 'secrets.json');
    writeRaw(path, `{"version":1,"venues":{"BYBIT":{"accounts":{"alpha":{"key":"${KEY}","secret":"${SECRET}",}}}}}`);
    const message = messageOf(() => readSecrets(path, project));
    expect(message).toMatch(/is not valid JSON/);
    expect(message).not.toContain(KEY);
    expect(message).not.toContain(SECRET);
  });

  it('names the place of a bad entry, never its value', () => {
    const path = join(outside, 'secrets.json');
    writeRaw(path, JSON.stringify({ version: 1, venues: { BYBIT: { accounts: { alpha: { key: `${KEY} with spaces`, secret: SECRET, extra: SECRET } } } } }));
    const message = messageOf(() => readSecrets(path, project));
    expect(message).toContain('venues.BYBIT.accounts.alpha.key');
    expect(message).toMatch(/unknown key extra/);
    expect(message).not.toContain(KEY);
    expect(message).not.toContain(SECRET);
  });

  it('refuses a venue name or sub-account that cannot be one', () => {
    const path = join(outside, 'secrets.json');
    writeRaw(path, JSON.stringify({ version: 1, venues: { bybit: { accounts: {} } } }));
    expect(messageOf(() => readSecrets(path, project))).toMatch(/venue name is 2-16 capitals/);
    writeRaw(path, JSON.stringify({ version: 1, venues: { BYBIT: { accounts: { 'no spaces please': { key: KEY, secret: SECRET } } } } }));
    expect(messageOf(() => readSecrets(path, project))).toMatch(/venues\.BYBIT\.accounts/);
    writeRaw(path, JSON.stringify({ version: 2, venues: {} }));
    expect(messageOf(() => readSecrets(path, project))).toMatch(/version/);
  });
});

describe('writing the secrets file', () => {
  it('writes 0600 in a 0700 folder it creates, and reads back what it wrote', () => {
    const path = join(outside, 'secrets.json');
    const written = readSecrets(path, project).withMaster('BYBIT', { key: 'M', secret: 'S' }).withAccount('BYBIT', alpha, { key: KEY, secret: SECRET, uid: '42' });
    writeSecrets(written, project);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(outside).mode & 0o777).toBe(0o700);
    const read = readSecrets(path, project);
    expect(read.toJSON()).toEqual(written.toJSON());
    expect(readdirSync(outside)).toEqual(['secrets.json']);
  });

  it('keeps the starting capital\'s transfer ID with the account, and refuses one that cannot be an ID', () => {
    const path = join(outside, 'secrets.json');
    const transferId = '5b2c6a1e-0f3d-5a7b-9c2d-1e4f6a8b0c2d';
    writeSecrets(readSecrets(path, project).withAccount('BYBIT', alpha, { key: KEY, secret: SECRET, uid: '42', capitalTransferId: transferId }), project);
    expect(readSecrets(path, project).venue('BYBIT').accounts.get(alpha)).toEqual({ key: KEY, secret: SECRET, uid: '42', capitalTransferId: transferId });
    writeRaw(path, JSON.stringify({ version: 1, venues: { BYBIT: { accounts: { alpha: { key: KEY, secret: SECRET, capitalTransferId: 'not an id' } } } } }));
    expect(messageOf(() => readSecrets(path, project))).toBe(`secrets file ${path}: venues.BYBIT.accounts.alpha.capitalTransferId: must be the transfer ID the venue confirmed`);
  });

  it('leaves the file as it was when a copy is changed but not written', () => {
    const path = join(outside, 'secrets.json');
    writeSecrets(readSecrets(path, project).withAccount('BYBIT', alpha, { key: KEY, secret: SECRET }), project);
    const before = readFileSync(path, 'utf8');
    readSecrets(path, project).withAccount('BYBIT', parseSubAccountId('beta'), { key: 'K2', secret: 'S2' });
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('refuses to write inside the project', () => {
    expect(messageOf(() => writeSecrets(new Secrets(join(project, 'secrets.json'), new Map()), project))).toMatch(/lies inside the project folder/);
    expect(readdirSync(project)).toEqual([]);
  });
});
