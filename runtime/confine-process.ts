import { isAllowedBuiltin } from './import-guard.ts';

type ProcessInternals = NodeJS.Process & {
  _kill?: (pid: number, signal: number) => number;
  _debugProcess?: (pid: number) => void;
  mainModule?: unknown;
};

/**
 * What Node's permission model leaves open to a bot's code in its own process, closed before that code loads:
 * signals to other processes (SIGKILL to the supervisor, or SIGUSR1, which opens a Node process's inspector to
 * anyone on 127.0.0.1), and builtins reached without an import (process.getBuiltinModule, and pm2's CommonJS
 * main module, whose require() the import rule does not see). These are guards in JavaScript, not a boundary
 * the operating system keeps; see the README.
 */
export function confineProcess(): void {
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
}
