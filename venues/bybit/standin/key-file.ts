import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The master key, written where the stand-in was told (mode 0600, JSON), so a client in another process can
 * provision sub-accounts with it. Written to a temporary file and renamed, so a reader never sees half of it.
 */

export interface MasterKeyFile {
  /** The master API key and its secret. */
  key: string;
  secret: string;
  uid: number;
  /** The REST base URL and the WebSocket URL that serves both public and private topics. */
  url: string;
  wsUrl: string;
  /** Bearer token of the admin endpoint (/standin/...). */
  adminToken: string;
}

export function writeKeyFile(path: string, contents: MasterKeyFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}
