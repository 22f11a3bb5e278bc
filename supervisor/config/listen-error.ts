import { ConfigurationError } from '../../core/errors.ts';

/**
 * A port the supervisor is configured to listen on that another process holds is not cured by a restart: it is
 * said as a configuration error naming the key, so the supervisor stops instead of crash-looping under pm2.
 */
export function listenError(error: unknown, key: string, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') {
    return new ConfigurationError(`${key}: ${host}:${port} is already in use by another process (another fleet?); stop it, or set another ${key} (0 lets the system pick a free one)`);
  }
  if (code === 'EACCES') return new ConfigurationError(`${key}: this user may not listen on ${host}:${port}; set a port above 1023`);
  if (code === 'EADDRNOTAVAIL') return new ConfigurationError(`${key}: cannot listen on ${host}:${port}, ${host} is not an address of this machine (check the host beside it)`);
  return error;
}
