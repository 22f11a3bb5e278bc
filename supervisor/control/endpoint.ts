import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigurationError, InvalidInputError } from '../../core/errors.ts';

/**
 * How the CLI finds a running supervisor: the supervisor writes its port and pid to run/control.json and keeps
 * the bearer token in control.token (mode 0600), both under FLOTILLA_HOME. Only the owner can read the token,
 * so only the owner can drive the fleet.
 */

export interface ControlEndpoint {
  port: number;
  pid: number;
}

const TOKEN_FILE = 'control.token';
const TOKEN_PATTERN = /^[0-9a-f]{64}$/;
/** Group and others get no access at all; a token anyone else can read is no longer a secret. */
const FOREIGN_ACCESS = 0o077;

const EndpointSchema = z.strictObject({
  port: z.number().int().min(1).max(65_535),
  pid: z.number().int().positive(),
});

export function controlEndpointPath(home: string): string {
  return join(home, 'run', 'control.json');
}

export function controlTokenPath(home: string): string {
  return join(home, TOKEN_FILE);
}

/** Written to a temporary file and renamed, so a reader never sees half a file. */
export function writeControlEndpoint(home: string, endpoint: ControlEndpoint): void {
  const parsed = EndpointSchema.safeParse(endpoint);
  if (!parsed.success) throw new InvalidInputError(`control endpoint must be {port: 1-65535, pid: positive integer}, got ${JSON.stringify(endpoint)}`);
  const path = controlEndpointPath(home);
  mkdirSync(join(home, 'run'), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(parsed.data)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** The endpoint the supervisor advertised, or null when none is (no supervisor has started here, or it shut down cleanly). */
export function readControlEndpoint(home: string): ControlEndpoint | null {
  const path = controlEndpointPath(home);
  const text = readIfExists(path);
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidInputError(`${path} is not JSON; delete it and restart the supervisor`);
  }
  const parsed = EndpointSchema.safeParse(json);
  if (!parsed.success) throw new InvalidInputError(`${path} must hold {"port": n, "pid": n}; delete it and restart the supervisor`);
  return parsed.data;
}

/** Removes control.json at shutdown, but only if it still names this process, so a newer supervisor's file survives. */
export function removeControlEndpoint(home: string, pid: number): void {
  try {
    if (readControlEndpoint(home)?.pid !== pid) return;
  } catch {
    return;
  }
  try {
    unlinkSync(controlEndpointPath(home));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** The supervisor's token: created (32 random bytes, hex, mode 0600) on first start, reused afterwards. */
export function ensureControlToken(home: string): string {
  const existing = readControlToken(home);
  if (existing !== null) return existing;
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('hex');
  try {
    // 'wx' fails if another process created the file first; then that process's token wins.
    writeFileSync(controlTokenPath(home), `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (isAlreadyThere(error)) return ensureControlToken(home);
    throw error;
  }
  // The process umask can only remove bits, but be explicit in case the file system ignored the create mode.
  chmodSync(controlTokenPath(home), 0o600);
  return token;
}

/** The token, or null when the file does not exist; refuses a token file that group or others can access. */
export function readControlToken(home: string): string | null {
  const path = controlTokenPath(home);
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  if (process.platform !== 'win32' && (mode & FOREIGN_ACCESS) !== 0) {
    throw new ConfigurationError(
      `${path} is accessible by group or others (mode ${(mode & 0o777).toString(8).padStart(3, '0')}); ` +
        `run "chmod 600 ${path}", or delete it so that the supervisor makes a new one at its next start`,
    );
  }
  const token = readFileSync(path, 'utf8').trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new ConfigurationError(`${path} does not hold a 64-character hex token; delete it so that the supervisor makes a new one at its next start`);
  }
  return token;
}

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

function isNotFound(error: unknown): boolean {
  return errorCode(error) === 'ENOENT';
}

function isAlreadyThere(error: unknown): boolean {
  return errorCode(error) === 'EEXIST';
}
