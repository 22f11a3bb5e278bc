import { ConfigurationError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { checkHome } from './config/home.ts';
import { Fleet } from './fleet/fleet.ts';
import { fleetEnvironment } from './pm2/apps.ts';
import { Pm2Client, SUPERVISOR_APP } from './pm2/pm2-client.ts';

/**
 * The supervisor process. Startup is recovery: everything is rebuilt from FLOTILLA_HOME, so a crash and a
 * restart by pm2 is a normal start. Bot folders that appear, change or go are adopted while it runs (Fleet.rescan).
 */
// Everything this process creates under FLOTILLA_HOME is the owner's alone, whatever umask pm2 passed on.
process.umask(0o077);
const environment = fleetEnvironment();
const logger = createLogger({ name: 'supervisor', level: environment.logLevel });

process.on('uncaughtException', (error) => {
  logger.error({ error: error.message, stack: error.stack }, 'supervisor crashed; pm2 restarts it and startup recovers');
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  logger.error({ error: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection; exiting so recovery runs');
  process.exit(1);
});

const pm2 = process.env.FLOTILLA_NO_PM2 === '1' ? null : new Pm2Client();
await pm2?.connect();

/** Exit code of a supervisor that refused its configuration (sysexits' EX_CONFIG), when it runs outside pm2. */
const CONFIGURATION_ERROR_EXIT_CODE = 78;

/**
 * A configuration error is not cured by a restart, so the supervisor must not crash-loop on one under pm2: it says
 * why, once, in the log, then stops its own pm2 app (pm2 never restarts a stopped app) until `npm start` runs again.
 */
async function refuseConfiguration(error: ConfigurationError): Promise<never> {
  // pm2 sets pm_id in the environment of the processes it runs.
  const underPm2 = pm2 !== null && process.env.pm_id !== undefined;
  const outcome = `the supervisor does not start${underPm2 ? ', and its pm2 app is stopped so that pm2 does not restart it' : ''}; fix the configuration, then run "npm start"`;
  logger.error({ error: error.message }, `configuration error: ${outcome}`);
  process.stderr.write(`supervisor: configuration error: ${error.message}\nsupervisor: ${outcome}\n`);
  // Stopping our own app ends this process; pm2 records it as stopped, not crashed.
  if (underPm2) await pm2.stop(SUPERVISOR_APP);
  process.exit(CONFIGURATION_ERROR_EXIT_CODE);
}

let fleet: Fleet;
try {
  checkHome(environment.home, 'FLOTILLA_HOME', 'write');
  fleet = await Fleet.open({ home: environment.home, botsRoot: environment.botsRoot, configPath: environment.configPath, logger, pm2 });
  await fleet.start();
} catch (error) {
  if (error instanceof ConfigurationError) await refuseConfiguration(error);
  throw error;
}

let stopping = false;
async function stop(code: number, why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ why }, 'supervisor stopping');
  await fleet.close();
  pm2?.disconnect();
  process.exit(code);
}

process.on('SIGINT', () => void stop(0, 'SIGINT'));
process.on('SIGTERM', () => void stop(0, 'SIGTERM'));
