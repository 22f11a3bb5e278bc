import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../core/errors.ts';
import { checkHome } from '../../../supervisor/config/home.ts';

describe('checkHome', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-home-check-'));
  });
  afterEach(() => {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  });

  it('test_check_when_the_home_is_a_directory_or_does_not_exist_yet_then_accepted', () => {
    expect(() => checkHome(dir, 'FLOTILLA_HOME', 'write')).not.toThrow();
    expect(() => checkHome(join(dir, 'later'), 'FLOTILLA_HOME', 'write')).not.toThrow();
  });

  it('test_check_when_the_home_or_a_folder_above_it_is_a_file_then_a_configuration_error_naming_its_origin', () => {
    const file = join(dir, 'file');
    writeFileSync(file, '');
    expect(() => checkHome(file, '--home', 'read')).toThrow(ConfigurationError);
    expect(() => checkHome(file, '--home', 'read')).toThrow(`--home ${file} is a file, not a directory`);
    expect(() => checkHome(join(file, 'var', 'x'), 'FLOTILLA_HOME', 'write')).toThrow(`FLOTILLA_HOME ${join(file, 'var', 'x')} is not a directory: ${file} is a file`);
  });

  // Root reads every directory whatever its mode, so this can only be observed as another user.
  it.skipIf(process.getuid?.() === 0)('test_check_when_the_home_is_not_readable_then_a_configuration_error', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o000 });
    expect(() => checkHome(locked, 'FLOTILLA_HOME', 'read')).toThrow(/is not readable by this user/);
    chmodSync(locked, 0o700);
  });
});
