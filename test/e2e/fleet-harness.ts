import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { runCli } from '../../supervisor/cli/run-cli.ts';
import { ledgerPath } from '../../supervisor/paths.ts';
import { PROJECT_ROOT, projectNode } from '../../supervisor/pm2/apps.ts';
import type { AlpacaStandin } from '../../venues/alpaca/standin/standin.ts';

const run = promisify(execFile);

/**
 * A whole fleet under a throwaway pm2: its own PM2_HOME, FLOTILLA_HOME and bots folder (inside the project,
 * where bots can resolve `flotilla/strategy`), so the owner's pm2 apps are never seen or touched.
 */
export class FleetUnderTest {
  readonly pm2Home = mkdtempSync(join(tmpdir(), 'flotilla-pm2-'));
  readonly home = mkdtempSync(join(tmpdir(), 'flotilla-home-'));
  readonly botsRoot: string;
  readonly configPath: string;

  constructor(config: Record<string, unknown>) {
    mkdirSync(join(PROJECT_ROOT, '.test-bots'), { recursive: true });
    this.botsRoot = mkdtempSync(join(PROJECT_ROOT, '.test-bots', 'e2e-'));
    this.configPath = join(this.home, 'flotilla.config.json');
    writeFileSync(this.configPath, JSON.stringify(config));
  }

  /**
   * A live fleet whose ALPACA venue is an in-process stand-in (its clock polled every 100 ms): a new stand-in account
   * for the one sub-account, its key pair in a secrets file (0600) of the fleet's own.
   */
  static onAlpacaStandin(standin: AlpacaStandin, subAccount: string, config: Record<string, unknown>): FleetUnderTest {
    const keys = standin.createAccount();
    const secretsDir = mkdtempSync(join(tmpdir(), 'flotilla-e2e-secrets-'));
    const secretsFile = join(secretsDir, 'secrets.json');
    writeFileSync(secretsFile, JSON.stringify({ version: 1, venues: { ALPACA: { accounts: { [subAccount]: { key: keys.key, secret: keys.secret } } } } }), { mode: 0o600 });
    chmodSync(secretsFile, 0o600);
    const venues = { ALPACA: { adapter: 'alpaca', environment: standin.url, timeouts: { clockPollMs: 100, requestMs: 2_000 } } };
    const fleet = new FleetUnderTest({ mode: 'live', venues, secretsFile, control: { port: 0 }, metrics: { port: 0 }, ...config });
    fleet.#scratch.push(secretsDir);
    return fleet;
  }

  readonly #scratch: string[] = [];

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, PM2_HOME: this.pm2Home, FLOTILLA_HOME: this.home, FLOTILLA_BOTS_DIR: this.botsRoot, FLOTILLA_CONFIG: this.configPath, FLOTILLA_LOG_LEVEL: 'warn' };
  }

  /** Copies the example bot under a new id; every manifest key stays as shipped unless overridden. */
  addExampleBot(id: string, overrides: Record<string, unknown> = {}): void {
    const folder = join(this.botsRoot, id);
    cpSync(join(PROJECT_ROOT, 'bots', '_example'), folder, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify({ ...manifest, id, subAccount: id, ...overrides }, null, 2));
  }

  /** Copies a shipped bot's folder as it is (its manifest, strategy and modules, byte for byte). */
  addShippedBot(id: string): void {
    cpSync(join(PROJECT_ROOT, 'bots', id), join(this.botsRoot, id), { recursive: true });
  }

  addFolder(name: string, files: Record<string, string>): void {
    mkdirSync(join(this.botsRoot, name), { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(this.botsRoot, name, file), text);
  }

  /** Runs a project script (npm start's or npm stop's) on the project's Node 24, as npm would. */
  async script(path: string): Promise<{ stdout: string; stderr: string; ms: number }> {
    const started = performance.now();
    const { stdout, stderr } = await run(projectNode(), [join(PROJECT_ROOT, path)], { env: this.env, cwd: PROJECT_ROOT, timeout: 120_000 });
    return { stdout, stderr, ms: performance.now() - started };
  }

  /** `npm start`: resolves once it says the fleet is online, else fails with what it printed. */
  async start(): Promise<void> {
    const started = await this.script('supervisor/fleet-start.ts');
    if (!started.stdout.includes('Fleet online')) throw new Error(`npm start did not bring the fleet online:\n${started.stdout}\n${started.stderr}`);
  }

  /** The operator CLI, in-process, against this fleet's control API. */
  async cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, env: this.env, cwd: PROJECT_ROOT });
    return { code, stdout, stderr };
  }

  async json<T>(...argv: string[]): Promise<T> {
    const result = await this.cli(...argv, '--json');
    if (result.code !== 0) throw new Error(`supervisor ${argv.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /**
   * Waits for another process to reach a state. Nothing crosses the process boundary to announce it, so the
   * control API is asked every 100 ms until `check` returns a value or the deadline passes (the test fails).
   */
  async until<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    let lastError: unknown = null;
    for (;;) {
      try {
        const value = await check();
        if (value !== null && value !== undefined && value !== false) return value;
        lastError = null;
      } catch (error) {
        lastError = error;
      }
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError === null ? '' : `: ${(lastError as Error).message}`}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Reads a bot's ledger file directly, read-only, as an auditor would. */
  ledgerRows<T>(botId: string, sql: string): T[] {
    const db = new DatabaseSync(ledgerPath(this.home, botId), { readOnly: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  }

  /** Runs queries on a bot's ledger inside one read transaction: one consistent snapshot while the fleet writes. */
  ledgerSnapshot<T>(botId: string, read: (rows: <R>(sql: string) => R[]) => T): T {
    const db = new DatabaseSync(ledgerPath(this.home, botId), { readOnly: true });
    try {
      db.exec('BEGIN');
      const result = read(<R>(sql: string) => db.prepare(sql).all() as R[]);
      db.exec('COMMIT');
      return result;
    } finally {
      db.close();
    }
  }

  async destroy(): Promise<void> {
    if (process.env.FLOTILLA_E2E_DEBUG === '1') {
      for (const log of ['flotilla-supervisor-error.log', 'flotilla-supervisor-out.log']) {
        try {
          process.stderr.write(`--- ${log}\n${readFileSync(join(this.pm2Home, 'logs', log), 'utf8').slice(-6000)}\n`);
        } catch {
          // No such log: nothing to show.
        }
      }
    }
    try {
      await this.script('supervisor/fleet-stop.ts');
    } finally {
      // The daemon belongs to this test alone.
      await run(join(PROJECT_ROOT, 'node_modules', '.bin', 'pm2'), ['kill'], { env: { ...this.env, PATH: `${join(PROJECT_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` } }).catch(() => undefined);
      rmSync(this.botsRoot, { recursive: true, force: true });
      rmSync(this.home, { recursive: true, force: true });
      rmSync(this.pm2Home, { recursive: true, force: true });
      for (const folder of this.#scratch) rmSync(folder, { recursive: true, force: true });
    }
  }
}
