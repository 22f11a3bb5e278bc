import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { controlTokenPath, ensureControlToken, writeControlEndpoint } from '../../../supervisor/control/endpoint.ts';
import { EXIT_CODES } from '../../../supervisor/cli/exit-codes.ts';
import { run, startFleet, tempHome } from './harness.ts';
import type { RunningFleet } from './harness.ts';

/** A pid that certainly belonged to a process and certainly does not any more. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error('could not spawn a process');
  return child.pid;
}

/** A port nothing listens on: bound once by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('supervisor CLI exit codes', () => {
  let fleet: RunningFleet | undefined;
  const homes: string[] = [];
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
    for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
  });

  function home(): string {
    const path = tempHome();
    homes.push(path);
    return path;
  }

  it('test_exit_codes_when_documented_then_match_the_constants', () => {
    expect(EXIT_CODES).toEqual({ SUCCESS: 0, FAILED: 1, USAGE: 2, UNREACHABLE: 3, UNKNOWN_BOT: 4, UNAUTHORIZED: 5 });
  });

  describe('0: success', () => {
    it('test_command_when_it_succeeds_then_0', async () => {
      fleet = await startFleet();
      const result = await run(['status'], { home: fleet.home });
      expect(result).toMatchObject({ code: 0, stderr: '' });
    });

    it('test_help_when_asked_then_0_and_lists_commands_and_exit_codes', async () => {
      const result = await run(['--help']);
      expect(result.code).toBe(0);
      for (const command of ['status', 'bots', 'start', 'stop', 'restart', 'kill', 'halt', 'resume', 'drawdown', 'orders', 'positions', 'pnl', 'decisions']) {
        expect(result.stdout).toMatch(new RegExp(`\\n  ${command}\\b`));
      }
      expect(result.stdout).toContain('Exit codes:');
      expect(result.stdout).toMatch(/5\s+authentication failed/);
      const sub = await run(['kill', '--help']);
      expect(sub.code).toBe(0);
      expect(sub.stdout).toContain('--flatten');
      expect(sub.stdout).toContain('--json');
      expect(sub.stdout).toContain('--home <dir>');
    });

    it('test_home_when_given_as_option_or_relative_env_then_resolved_against_cwd', async () => {
      fleet = await startFleet();
      const parent = join(fleet.home, '..');
      const relative = fleet.home.slice(parent.length + 1);
      expect((await run(['status', '--home', relative], { cwd: parent, env: {} })).code).toBe(0);
      expect((await run(['status'], { cwd: parent, env: { FLOTILLA_HOME: relative } })).code).toBe(0);
      // --home wins over FLOTILLA_HOME.
      expect((await run(['status', '--home', fleet.home], { env: { FLOTILLA_HOME: home() } })).code).toBe(0);
    });
  });

  describe('1: refused or failed', () => {
    it('test_conflict_when_the_supervisor_refuses_then_1_with_its_message', async () => {
      fleet = await startFleet();
      const result = await run(['start', 'trend'], { home: fleet.home });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('bot "trend" is already running');
      expect(result.stdout).toBe('');
    });

    it('test_internal_error_when_the_fleet_fails_then_1_without_the_detail', async () => {
      fleet = await startFleet({
        pnl: async () => {
          throw new Error('SQLITE_BUSY at /srv/secret');
        },
      });
      const result = await run(['pnl', '--json'], { home: fleet.home });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('see its log');
      expect(result.stderr).not.toContain('SQLITE_BUSY');
    });
  });

  describe('2: bad arguments', () => {
    const bad: Array<[string[], RegExp]> = [
      [['start', 'Not_A_Bot'], /<bot>: bot id must be/],
      [['orders', '--bot', 'x'.repeat(17)], /--bot: bot id must be/],
      [['drawdown', '--set', '0'], /--set must be a percent greater than 0 and at most 100/],
      [['drawdown', '--set', '100.5'], /--set must be a percent/],
      [['drawdown', '--set', '-3'], /--set must be a percent/],
      [['drawdown', '--set', 'abc'], /--set must be a percent/],
      [['drawdown', '--set', '5', '--window', '30 days'], /--window must be a whole number followed by d, h, m, s or ms/],
      [['drawdown', '--set', '5', '--window', '0d'], /--window must be a whole number/],
      [['drawdown', '--window', '30d'], /--window names the window --set changes/],
      [['orders', '--limit', '0'], /--limit must be a whole number from 1 to 1000/],
      [['decisions', '--limit', '2.5'], /--limit must be a whole number/],
      [['decisions', '--limit', '5000'], /--limit must be a whole number/],
      [['halt'], /required option '--reason <text>' not specified/],
      [['halt', '--reason', '   '], /--reason must say why/],
      [['halt', '--reason', 'x'.repeat(501)], /at most 500 characters/],
      [['start'], /missing required argument 'bot'/],
      [['status', 'trend', 'extra'], /too many arguments/],
      [['status', 'Not A Bot'], /\[bot\]: /],
      [['status', '--verbose'], /unknown option '--verbose'/],
      [['launch'], /unknown command 'launch'/],
      [[], /Usage: supervisor/],
    ];
    it.each(bad)('test_%j_when_run_then_2_and_a_message_on_stderr', async (argv, message) => {
      fleet = await startFleet();
      const result = await run(argv, { home: fleet.home });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
      expect(fleet.fleet.calls).toEqual([]);
    });

    it('test_bad_arguments_when_no_supervisor_runs_then_still_2', async () => {
      const result = await run(['drawdown', '--set', '0'], { home: home() });
      expect(result.code).toBe(2);
    });

    it('test_home_when_it_is_a_file_then_2_naming_the_option_or_variable_not_enotdir', async () => {
      const file = join(home(), 'not-a-home');
      writeFileSync(file, '');
      const option = await run(['status', '--home', file], { env: {} });
      expect(option.code).toBe(2);
      expect(option.stderr).toBe(`supervisor: --home ${file} is a file, not a directory; it must be the Flotilla home directory (holding control.token, run/ and ledgers/; default ./var)\n`);
      const variable = await run(['kill'], { env: { FLOTILLA_HOME: join(file, 'var') } });
      expect(variable.code).toBe(2);
      expect(variable.stderr).toContain(`FLOTILLA_HOME ${join(file, 'var')} is not a directory: ${file} is a file`);
      expect(variable.stderr).not.toContain('ENOTDIR');
    });
  });

  describe('3: supervisor not running or unreachable', () => {
    it('test_no_control_json_when_run_then_3_and_says_how_to_start_it', async () => {
      const empty = home();
      const result = await run(['status'], { home: empty });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(join(empty, 'run', 'control.json'));
      expect(result.stderr).toContain('npm start');
    });

    it('test_control_json_when_its_pid_is_dead_then_3_stale', async () => {
      const stale = home();
      ensureControlToken(stale);
      const pid = deadPid();
      writeControlEndpoint(stale, { port: await closedPort(), pid });
      const result = await run(['status'], { home: stale });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`pid ${pid}`);
      expect(result.stderr).toContain('stale');
    });

    it('test_control_json_when_nothing_listens_on_its_port_then_3', async () => {
      const refused = home();
      ensureControlToken(refused);
      const port = await closedPort();
      writeControlEndpoint(refused, { port, pid: process.pid });
      const result = await run(['kill', '--flatten'], { home: refused });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`127.0.0.1:${port}`);
    });

    it('test_control_json_when_malformed_then_3', async () => {
      const broken = home();
      mkdirSync(join(broken, 'run'));
      writeFileSync(join(broken, 'run', 'control.json'), 'garbage');
      const result = await run(['status'], { home: broken });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('not JSON');
    });
  });

  describe('4: unknown bot', () => {
    it.each([[['start', 'ghost']], [['positions', '--bot', 'ghost']], [['halt', '--bot', 'ghost', '--reason', 'r']]])(
      'test_%j_when_the_bot_is_unknown_then_4',
      async (argv) => {
        fleet = await startFleet();
        const result = await run(argv, { home: fleet.home });
        expect(result.code).toBe(4);
        expect(result.stderr).toContain('no bot "ghost"');
      },
    );
  });

  describe('5: authentication failed', () => {
    it('test_token_when_missing_then_5', async () => {
      fleet = await startFleet();
      unlinkSync(controlTokenPath(fleet.home));
      const result = await run(['status'], { home: fleet.home });
      expect(result.code).toBe(5);
      expect(result.stderr).toContain('no control token');
      expect(fleet.fleet.calls).toEqual([]);
    });

    it('test_token_when_it_is_another_supervisors_then_5_without_printing_either_token', async () => {
      fleet = await startFleet();
      const other = 'c3'.repeat(32);
      writeFileSync(controlTokenPath(fleet.home), `${other}\n`, { mode: 0o600 });
      const result = await run(['kill', '--flatten'], { home: fleet.home });
      expect(result.code).toBe(5);
      expect(result.stderr).toContain('refused the token');
      expect(result.stderr + result.stdout).not.toContain(other);
      expect(result.stderr + result.stdout).not.toContain(fleet.token);
      expect(fleet.fleet.calls).toEqual([]);
    });

    it('test_token_when_readable_by_others_then_5_and_says_chmod', async () => {
      fleet = await startFleet();
      chmodSync(controlTokenPath(fleet.home), 0o644);
      const result = await run(['status'], { home: fleet.home });
      expect(result.code).toBe(5);
      expect(result.stderr).toContain('chmod 600');
      expect(result.stderr).not.toContain(fleet.token);
    });
  });
});
