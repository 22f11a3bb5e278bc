import { createRequire } from 'node:module';
import type { ProcessDescription, StartOptions } from 'pm2';
import type { ProcessInfo, ProcessStatus } from '../control/fleet-control.ts';

/**
 * pm2 reads PM2_HOME when it is first loaded, so it is loaded lazily: a caller (a test, the start script)
 * sets PM2_HOME first and never touches the owner's own pm2 daemon by accident.
 */
type Pm2 = typeof import('pm2');
let loaded: Pm2 | null = null;
function pm2(): Pm2 {
  loaded ??= createRequire(import.meta.url)('pm2') as Pm2;
  return loaded;
}

export const APP_PREFIX = 'flotilla-';
export const SUPERVISOR_APP = `${APP_PREFIX}supervisor`;
export const botAppName = (botId: string): string => `${APP_PREFIX}bot-${botId}`;

function call<T>(work: (done: (error: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    work((error, value) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(value as T)));
  });
}

const STATUS: Record<string, ProcessStatus> = {
  online: 'online',
  launching: 'launching',
  'waiting restart': 'launching',
  stopping: 'stopping',
  stopped: 'stopped',
  errored: 'errored',
  'one-launch-status': 'stopped',
};

export function processInfo(description: ProcessDescription | undefined, now = Date.now()): ProcessInfo {
  if (description === undefined) return { status: 'not-started', pid: null, restarts: 0, memoryBytes: null, cpuPercent: null, uptimeMs: null };
  const env = description.pm2_env;
  const status = STATUS[env?.status ?? ''] ?? 'errored';
  return {
    status,
    pid: status === 'online' ? (description.pid ?? null) : null,
    restarts: env?.restart_time ?? 0,
    memoryBytes: description.monit?.memory ?? null,
    cpuPercent: description.monit?.cpu ?? null,
    uptimeMs: status === 'online' && env?.pm_uptime !== undefined ? now - env.pm_uptime : null,
  };
}

/** The slice of pm2's programmatic API Flotilla uses, promised and confined to Flotilla's own apps. */
export class Pm2Client {
  #connected = false;

  async connect(): Promise<void> {
    if (this.#connected) return;
    await call<void>((done) => pm2().connect((error) => done(error)));
    this.#connected = true;
  }

  disconnect(): void {
    if (this.#connected) pm2().disconnect();
    this.#connected = false;
  }

  /** Flotilla's apps only; the owner's other pm2 apps are never listed, stopped or restarted from here. */
  async list(): Promise<ProcessDescription[]> {
    const all = await call<ProcessDescription[]>((done) => pm2().list((error, list) => done(error, list)));
    return all.filter((description) => description.name?.startsWith(APP_PREFIX) ?? false);
  }

  async start(options: StartOptions): Promise<void> {
    if (!options.name?.startsWith(APP_PREFIX)) throw new Error(`refusing to start an app not named ${APP_PREFIX}*`);
    await call<unknown>((done) => pm2().start(options, (error, processes) => done(error, processes)));
  }

  async stop(name: string): Promise<void> {
    await call<unknown>((done) => pm2().stop(this.#own(name), (error, processes) => done(error, processes)));
  }

  async restart(name: string): Promise<void> {
    await call<unknown>((done) => pm2().restart(this.#own(name), (error, processes) => done(error, processes)));
  }

  async delete(name: string): Promise<void> {
    await call<unknown>((done) => pm2().delete(this.#own(name), (error, processes) => done(error, processes)));
  }

  /** Ends the pm2 daemon itself; only for a throwaway PM2_HOME (tests), never the owner's. */
  async killDaemon(): Promise<void> {
    await call<unknown>((done) => pm2().killDaemon((error, processes) => done(error, processes)));
    this.#connected = false;
  }

  #own(name: string): string {
    if (!name.startsWith(APP_PREFIX)) throw new Error(`refusing to touch ${name}: not a Flotilla app`);
    return name;
  }
}
