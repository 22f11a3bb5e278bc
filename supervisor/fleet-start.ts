import { readControlEndpoint, readControlToken } from './control/endpoint.ts';
import type { FleetStatus } from './control/fleet-control.ts';
import { runCli } from './cli/run-cli.ts';
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

// Bots' compile caches are filled by their load probes when the supervisor discovers them, confined as the bots are.
try {
  await pm2.connect();
  const supervisor = (await pm2.list()).find((description) => description.name === SUPERVISOR_APP);
  if (supervisor === undefined) await pm2.start(supervisorApp(environment));
  else if (processInfo(supervisor).status !== 'online') await pm2.restart(SUPERVISOR_APP);

  let waiting = 'the supervisor';
  for (;;) {
    const status = await fleetStatus();
    const supervisorOnline = processInfo((await pm2.list()).find((description) => description.name === SUPERVISOR_APP)).status === 'online';
    if (status !== null && supervisorOnline && status.supervisor.pid > 0) {
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
