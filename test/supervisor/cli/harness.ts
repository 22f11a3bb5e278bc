import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../core/logger.ts';
import { ensureControlToken, writeControlEndpoint } from '../../../supervisor/control/endpoint.ts';
import type { FleetControl } from '../../../supervisor/control/fleet-control.ts';
import { startControlServer } from '../../../supervisor/control/server.ts';
import type { ControlServer } from '../../../supervisor/control/server.ts';
import { runCli } from '../../../supervisor/cli/run-cli.ts';
import { NOW, createFakeFleet } from '../control/fake-fleet.ts';
import type { FakeFleet } from '../control/fake-fleet.ts';

/** A real control server on an ephemeral 127.0.0.1 port, backed by the fake fleet, advertised in a temp FLOTILLA_HOME. */
export interface RunningFleet {
  home: string;
  token: string;
  port: number;
  fleet: FakeFleet;
  server: ControlServer;
  close(): Promise<void>;
}

export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'flotilla-cli-'));
}

export async function startFleet(overrides: Partial<FleetControl> = {}): Promise<RunningFleet> {
  const home = tempHome();
  const token = ensureControlToken(home);
  const fleet = createFakeFleet(overrides);
  const server = await startControlServer({ control: fleet, token, port: 0, logger: silentLogger });
  writeControlEndpoint(home, { port: server.port, pid: process.pid });
  return {
    home,
    token,
    port: server.port,
    fleet,
    server,
    close: async () => {
      await server.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with FLOTILLA_HOME pointing at `home` unless env says otherwise. */
export async function run(argv: readonly string[], options: { home?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const env = options.env ?? (options.home === undefined ? {} : { FLOTILLA_HOME: options.home });
  const code = await runCli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    cwd: options.cwd ?? tmpdir(),
    now: () => NOW,
  });
  return { code, stdout, stderr };
}
