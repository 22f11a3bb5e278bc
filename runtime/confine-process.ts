import { isAllowedBuiltin } from './import-guard.ts';

type ProcessInternals = NodeJS.Process & {
  _kill?: (pid: number, signal: number) => number;
  _debugProcess?: (pid: number) => void;
  mainModule?: unknown;
};

/**
 * What Node's permission model leaves open to a bot's code in its own process, closed before that code loads:
 * signals to other processes (SIGKILL to the supervisor, or SIGUSR1, which opens a Node process's inspector to
 * anyone on 127.0.0.1), builtins reached without an import (process.getBuiltinModule, and pm2's CommonJS main
 * module, whose require() the import rule does not see), and the IPC channel to whoever started the process (pm2's
 * daemon, or the supervisor waiting for a probe's verdict). Returns that channel's send for the runtime's own use.
 * These are guards in JavaScript, not a boundary the operating system keeps; see the README.
 */
export function confineProcess(): { send: ((message: unknown, callback: () => void) => void) | null } {
  const send = process.send === undefined ? null : (process.send.bind(process) as (message: unknown, callback: () => void) => void);
  process.send = (): boolean => {
    throw Object.assign(new Error('a bot reports over its channel to the supervisor, not over IPC'), { code: 'ERR_ACCESS_DENIED' });
  };
  const internals = process as ProcessInternals;
  const rawKill = internals._kill;
  if (rawKill !== undefined) {
    // process.kill() calls _kill, so this one guard covers both.
    internals._kill = (pid: number, signal: number): number => {
      if (pid !== process.pid) throw Object.assign(new Error(`a bot may not signal process ${pid}, only itself`), { code: 'ERR_ACCESS_DENIED' });
      return rawKill.call(process, pid, signal);
    };
  }
  internals._debugProcess = (pid: number): void => {
    throw Object.assign(new Error(`a bot may not open the inspector of process ${pid}`), { code: 'ERR_ACCESS_DENIED' });
  };
  const getBuiltinModule = process.getBuiltinModule.bind(process);
  process.getBuiltinModule = ((id: string) => {
    if (!isAllowedBuiltin(id)) throw Object.assign(new Error(`a bot may not load ${id}`), { code: 'ERR_ACCESS_DENIED' });
    return getBuiltinModule(id);
  }) as typeof process.getBuiltinModule;
  internals.mainModule = undefined;
  return { send };
}
