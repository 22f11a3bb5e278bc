import { existsSync, readFileSync } from 'node:fs';
import { ConfigurationError } from '../core/errors.ts';
import { catalog, loadFleetConfig, orderManagerConfigFor } from './config/fleet-config.ts';
import { checkHome } from './config/home.ts';
import { readControlEndpoint, readControlToken } from './control/endpoint.ts';
import type { FleetStatus } from './control/fleet-control.ts';
import { runCli } from './cli/run-cli.ts';
import { join, relative } from 'node:path';
import { discoverBots, MANIFEST_FILE } from './discovery/discover.ts';
import { fleetEnvironment, supervisorApp } from './pm2/apps.ts';
import { Pm2Client, SUPERVISOR_APP, processInfo } from './pm2/pm2-client.ts';

/**
 * `npm start`: launches the supervisor under pm2 (it starts one pm2 app per bot), waits until every process is
 * online and every bot has connected, prints the status and returns. Running it again on a running fleet is
 * harmless. Honours PM2_HOME and FLOTILLA_HOME.
 */
const TIMEOUT_MS = Number(process.env.FLOTILLA_START_TIMEOUT_MS ?? 60_000);
const started = performance.now();
const environment = fleetEnvironment();
const pm2 = new Pm2Client();

async function fleetStatus(): Promise<FleetStatus | null> {
  const endpoint = readControlEndpoint(environment.home);
  const token = readControlToken(environment.home);
  if (endpoint === null || token === null) return null;
  try {
    const reply = await fetch(`http://127.0.0.1:${endpoint.port}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
    return reply.ok ? ((await reply.json()) as FleetStatus) : null;
  } catch {
    return null;
  }
}

/** The last configuration error the supervisor wrote to its pm2 error log, if any (it stops its app after one). */
function refusal(logPath: string | undefined): string | null {
  if (logPath === undefined || !existsSync(logPath)) return null;
  const marker = 'supervisor: configuration error: ';
  const line = readFileSync(logPath, 'utf8').split('\n').findLast((candidate) => candidate.startsWith(marker));
  return line === undefined ? null : `the supervisor refused its configuration: ${line.slice(marker.length)}`;
}

// Bots' compile caches are filled by their load probes when the supervisor discovers them, confined as the bots are.

/**
 * Everything in the configuration the supervisor would refuse at its start (FLOTILLA_HOME, the configuration file,
 * the bots' risk settings), checked before pm2 is touched: a mistake is one message naming the file and key, here,
 * and never a supervisor that pm2 starts only to see it stop.
 */
function preflight(): void {
  checkHome(environment.home, process.env.FLOTILLA_HOME === undefined ? 'the default home' : 'FLOTILLA_HOME', 'write');
  if (process.env.FLOTILLA_CONFIG !== undefined && !existsSync(environment.configPath)) {
    throw new ConfigurationError(`FLOTILLA_CONFIG ${environment.configPath} does not exist; unset it to run on the built-in defaults`);
  }
  // The supervisor refuses a control token that group or others can read; that is said here too.
  readControlToken(environment.home);
  const config = loadFleetConfig(environment.configPath);
  const bots = discoverBots(environment.botsRoot, new Set(catalog(config).map((instrument) => instrument.id)));
  const loaded = bots.flatMap((bot) => (bot.status === 'LOADED' ? [bot] : []));
  const folderOf = new Map(loaded.map((bot) => [bot.manifest.id, bot.path]));
  orderManagerConfigFor(
    config,
    loaded.map((bot) => bot.manifest),
    { manifestFile: (manifest) => relative(process.cwd(), join(folderOf.get(manifest.id) ?? environment.botsRoot, MANIFEST_FILE)) },
  );
}

try {
  preflight();
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  process.stderr.write(`npm start: ${error.message}\nnpm start: nothing was started or restarted; fix it and run npm start again\n`);
  process.exit(2);
}

try {
  await pm2.connect();
  const supervisor = (await pm2.list()).find((description) => description.name === SUPERVISOR_APP);
  if (supervisor === undefined) await pm2.start(supervisorApp(environment));
  else if (processInfo(supervisor).status !== 'online') await pm2.restart(SUPERVISOR_APP);

  let waiting = 'the supervisor';
  for (;;) {
    const status = await fleetStatus();
    const supervisorStatus = processInfo((await pm2.list()).find((description) => description.name === SUPERVISOR_APP)).status;
    // A supervisor that refuses its configuration stops its own app rather than crash-loop; say so now, not at the timeout.
    if (supervisorStatus === 'stopped') {
      const why = refusal((await pm2.list()).find((description) => description.name === SUPERVISOR_APP)?.pm2_env?.pm_err_log_path);
      if (why !== null) process.stderr.write(`npm start: ${why}\n`);
      process.stderr.write('npm start: the supervisor stopped during its start; its log says why: "npx pm2 logs flotilla-supervisor --lines 20"\n');
      process.exitCode = 1;
      break;
    }
    if (status !== null && supervisorStatus === 'online' && status.supervisor.pid > 0) {
      const lagging = status.bots.filter((bot) => bot.process.status !== 'online' || !bot.connected).map((bot) => bot.botId);
      if (lagging.length === 0) break;
      waiting = `bots ${lagging.join(', ')}`;
    }
    if (performance.now() - started > TIMEOUT_MS) {
      process.stderr.write(`npm start: ${waiting} did not come online within ${TIMEOUT_MS / 1000} s; see "npx pm2 logs" and "npx supervisor bots"\n`);
      process.exitCode = 1;
      break;
    }
    // Polling a local API every 100 ms is the wait here: nothing else announces "every bot has connected".
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (process.exitCode !== 1) {
    process.stdout.write(`Fleet online in ${Math.round(performance.now() - started)} ms.\n\n`);
    await runCli(['status'], { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
  }
} finally {
  pm2.disconnect();
}
