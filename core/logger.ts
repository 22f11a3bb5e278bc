import { pino } from 'pino';

/** The logging surface every component receives; pino satisfies it, and tests pass a silent or capturing one. */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  child(bindings: object): Logger;
}

/** Field names whose values are never written out, whatever object they sit in. */
export const REDACTED_PATHS = ['key', 'secret', 'apiKey', 'apiSecret', 'token', 'password', '*.key', '*.secret', '*.apiKey', '*.apiSecret', '*.token', '*.password', 'requestOptions', '*.requestOptions', 'headers', '*.headers'];

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({ level: options.level ?? 'info', name: options.name, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
