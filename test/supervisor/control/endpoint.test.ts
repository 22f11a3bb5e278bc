import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError, InvalidInputError } from '../../../core/errors.ts';
import {
  controlEndpointPath,
  controlTokenPath,
  ensureControlToken,
  readControlEndpoint,
  readControlToken,
  removeControlEndpoint,
  writeControlEndpoint,
} from '../../../supervisor/control/endpoint.ts';

describe('control endpoint and token files', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'flotilla-endpoint-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  describe('control.json', () => {
    it('test_endpoint_when_written_then_read_back_from_run_control_json', () => {
      writeControlEndpoint(home, { port: 41234, pid: 999 });
      expect(controlEndpointPath(home)).toBe(join(home, 'run', 'control.json'));
      expect(JSON.parse(readFileSync(controlEndpointPath(home), 'utf8'))).toEqual({ port: 41234, pid: 999 });
      expect(readControlEndpoint(home)).toEqual({ port: 41234, pid: 999 });
    });

    it('test_endpoint_when_absent_then_null', () => {
      expect(readControlEndpoint(home)).toBeNull();
    });

    it('test_endpoint_when_malformed_then_refused', () => {
      mkdirSync(join(home, 'run'));
      writeFileSync(controlEndpointPath(home), '{"port": "x"');
      expect(() => readControlEndpoint(home)).toThrow(InvalidInputError);
      writeFileSync(controlEndpointPath(home), '{"port": 0, "pid": 1}');
      expect(() => readControlEndpoint(home)).toThrow(/delete it and restart/);
    });

    it('test_write_when_values_are_invalid_then_refused', () => {
      expect(() => writeControlEndpoint(home, { port: 70_000, pid: 1 })).toThrow(InvalidInputError);
      expect(() => writeControlEndpoint(home, { port: 80, pid: 1.5 })).toThrow(InvalidInputError);
    });

    it('test_remove_when_another_pid_owns_the_file_then_it_is_kept', () => {
      writeControlEndpoint(home, { port: 41234, pid: 999 });
      removeControlEndpoint(home, 1000);
      expect(readControlEndpoint(home)).not.toBeNull();
      removeControlEndpoint(home, 999);
      expect(readControlEndpoint(home)).toBeNull();
      removeControlEndpoint(home, 999);
    });
  });

  describe('control.token', () => {
    it('test_ensure_when_absent_then_creates_a_32_byte_hex_token_with_mode_0600', () => {
      const token = ensureControlToken(home);
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(controlTokenPath(home)).mode & 0o777).toBe(0o600);
      expect(readFileSync(controlTokenPath(home), 'utf8').trim()).toBe(token);
    });

    it('test_ensure_when_home_does_not_exist_then_creates_it', () => {
      const nested = join(home, 'a', 'b');
      const token = ensureControlToken(nested);
      expect(readControlToken(nested)).toBe(token);
    });

    it('test_ensure_when_present_then_reuses_it', () => {
      const first = ensureControlToken(home);
      expect(ensureControlToken(home)).toBe(first);
      expect(readControlToken(home)).toBe(first);
    });

    it('test_ensure_when_called_twice_in_fresh_homes_then_tokens_differ', () => {
      const other = mkdtempSync(join(tmpdir(), 'flotilla-endpoint-'));
      try {
        expect(ensureControlToken(home)).not.toBe(ensureControlToken(other));
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    });

    it('test_read_when_absent_then_null', () => {
      expect(readControlToken(home)).toBeNull();
      expect(readControlToken(join(home, 'missing'))).toBeNull();
    });

    it.each([0o644, 0o640, 0o604, 0o660, 0o606])('test_token_when_mode_is_%o_then_refused_without_printing_it', (mode) => {
      const token = ensureControlToken(home);
      chmodSync(controlTokenPath(home), mode);
      for (const read of [ensureControlToken, readControlToken]) {
        let caught: unknown;
        try {
          read(home);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(ConfigurationError);
        expect((caught as Error).message).toContain('chmod 600');
        expect((caught as Error).message).not.toContain(token);
      }
    });

    it('test_token_when_file_holds_garbage_then_refused', () => {
      writeFileSync(controlTokenPath(home), 'not-a-token\n', { mode: 0o600 });
      expect(() => readControlToken(home)).toThrow(/64-character hex/);
      expect(() => ensureControlToken(home)).toThrow(ConfigurationError);
    });
  });
});
