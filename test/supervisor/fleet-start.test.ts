import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetStatus } from '../../supervisor/control/fleet-control.ts';
import { PROJECT_ROOT, projectNode } from '../../supervisor/pm2/apps.ts';
import { FleetUnderTest } from '../e2e/fleet-harness.ts';

const execute = promisify(execFile);
const BIN = join(PROJECT_ROOT, 'node_modules', '.bin');

/** A quick fleet: no bots, a short warm-up, ports picked by the system. */
const QUICK = { clock: { speed: 1200 }, marketData: { historyCandles: 60 }, control: { port: 0 }, metrics: { port: 0 } };

/** `npm start` as npm runs it (the project's Node 24, the project root as working directory), whatever its exit code. */
function npmStart(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(projectNode(), [join(PROJECT_ROOT, 'supervisor', 'fleet-start.ts')], { env, cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/** The supervisor's pm2 record, read with the pm2 CLI from the fleet's own PM2_HOME. */
async function supervisorApp(fleet: FleetUnderTest): Promise<{ status: string; restarts: number } | undefined> {
  const { stdout } = await execute(join(BIN, 'pm2'), ['jlist'], { env: { ...fleet.env, PATH: `${BIN}:${process.env.PATH ?? ''}` } });
  const apps = JSON.parse(stdout) as Array<{ name: string; pm2_env: { status: string; restart_time: number } }>;
  const app = apps.find((candidate) => candidate.name === 'flotilla-supervisor');
  return app === undefined ? undefined : { status: app.pm2_env.status, restarts: app.pm2_env.restart_time };
}

describe('npm start (supervisor/fleet-start.ts) on a bad configuration', () => {
  let fleet: FleetUnderTest | undefined;
  afterEach(async () => {
    await fleet?.destroy();
    fleet = undefined;
  }, 60_000);

  it('test_start_when_a_tick_size_has_too_many_decimals_then_exits_2_within_seconds_naming_file_and_key_and_pm2_is_never_started', async () => {
    // Arrange
    const tooFine = { id: 'PEPEUSDT.BYBIT', kind: 'PERPETUAL', tickSize: '0.0000000000000000001', lotStep: '100', minQuantity: '100', minNotional: '5', exposure: { key: 'PEPE', beta: '1' }, startPrice: '0.00001' };
    fleet = new FleetUnderTest({ ...QUICK, instruments: [tooFine], exposureKeys: { PEPE: { policy: 'exclusive' } } });
    // Act
    const result = await npmStart(fleet.env);
    // Assert
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`npm start: ${fleet.configPath}: instruments.0.tickSize: decimal "0.0000000000000000001" has more than 18 decimal places\n`);
    expect(result.stderr).toContain('nothing was started');
    expect(result.ms).toBeLessThan(10_000);
    expect(existsSync(join(fleet.pm2Home, 'pm2.pid'))).toBe(false);
  }, 30_000);

  it('test_start_when_flotilla_home_is_a_file_then_exits_2_with_a_sentence_not_enotdir', async () => {
    // Arrange
    fleet = new FleetUnderTest(QUICK);
    const file = join(fleet.home, 'not-a-home');
    writeFileSync(file, '');
    // Act
    const result = await npmStart({ ...fleet.env, FLOTILLA_HOME: file });
    // Assert
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`npm start: FLOTILLA_HOME ${file} is a file, not a directory`);
    expect(result.stderr).not.toContain('ENOTDIR');
  }, 30_000);

  it('test_start_when_the_metrics_port_is_taken_then_the_supervisor_stops_once_and_npm_start_names_the_port_and_its_key', async () => {
    // Arrange: another process holds the port the configuration gives the metrics endpoint.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      fleet = new FleetUnderTest({ ...QUICK, metrics: { port } });
      // Act
      const result = await npmStart(fleet.env);
      // Assert: said at once and by key, and pm2 was not left restarting the supervisor into the same wall.
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`npm start: the supervisor refused its configuration: metrics.port: 127.0.0.1:${port} is already in use by another process`);
      expect(result.stderr).not.toContain('EADDRINUSE');
      // pm2's own log: the supervisor started once and was stopped (by itself), never restarted.
      const daemonLog = readFileSync(join(fleet.pm2Home, 'pm2.log'), 'utf8');
      expect(daemonLog.match(/App \[flotilla-supervisor:0\] starting/g)).toHaveLength(1);
      expect(daemonLog).toContain('Stopping app:flotilla-supervisor');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, 60_000);

  it('test_supervisor_when_it_restarts_under_pm2_into_a_bad_configuration_then_it_stops_its_app_instead_of_crash_looping', async () => {
    // Arrange: a running fleet whose configuration is then broken behind its back.
    fleet = new FleetUnderTest(QUICK);
    const first = await npmStart(fleet.env);
    expect(first.code).toBe(0);
    const { supervisor } = await fleet.json<FleetStatus>('status');
    writeFileSync(fleet.configPath, JSON.stringify({ ...QUICK, paper: { leverage: '0' } }));
    // Act: the supervisor crashes; pm2 restarts it into the bad configuration.
    process.kill(supervisor.pid, 'SIGKILL');
    const stopped = await fleet.until('the supervisor app stopped by itself', async () => {
      const app = await supervisorApp(fleet as FleetUnderTest);
      return app?.status === 'stopped' ? app : null;
    });
    // Assert: one restart (the one into the bad configuration), a clear log line, and npm start recovers once fixed.
    expect(stopped.restarts).toBe(1);
    const log = readFileSync(join(fleet.pm2Home, 'logs', 'flotilla-supervisor-error.log'), 'utf8');
    expect(log).toContain(`supervisor: configuration error: ${fleet.configPath}: paper.leverage: must be greater than zero`);
    expect(log).toContain('its pm2 app is stopped so that pm2 does not restart it');
    writeFileSync(fleet.configPath, JSON.stringify(QUICK));
    const again = await npmStart(fleet.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Fleet online');
  }, 120_000);
});
