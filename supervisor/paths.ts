import { join, resolve } from 'node:path';

/** Where all state lives: ledgers, the supervisor's store, tokens, sockets. FLOTILLA_HOME, default ./var. */
export function flotillaHome(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(cwd, env.FLOTILLA_HOME ?? 'var');
}

export const botSocketPath = (home: string): string => join(home, 'run', 'bots.sock');
export const botTokenPath = (home: string, botId: string): string => join(home, 'tokens', `${botId}.token`);
export const ledgerPath = (home: string, botId: string): string => join(home, 'ledgers', `${botId}.sqlite`);
export const supervisorStorePath = (home: string): string => join(home, 'supervisor.sqlite');
export const fleetConfigPath = (projectRoot: string): string => join(projectRoot, 'flotilla.config.json');
