import type { ControlErrorCode } from '../control/fleet-control.ts';

/** The `supervisor` CLI's exit codes; scripts rely on them, so they only ever gain members. */
export const EXIT_CODES = {
  SUCCESS: 0,
  FAILED: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  UNKNOWN_BOT: 4,
  UNAUTHORIZED: 5,
} as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the supervisor refused the request, or the operation failed
  2  bad command-line arguments
  3  the supervisor is not running or cannot be reached
     (no run/control.json, connection refused, or a stale pid)
  4  unknown bot
  5  authentication failed (bad or missing control token)
`;

/** A failure the CLI reports as one message on stderr and an exit code; the message says what to do next. */
export class CliFailure extends Error {
  override name = 'CliFailure';
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The command line is wrong; fix it and run again. */
export class UsageError extends CliFailure {
  override name = 'UsageError';
  constructor(message: string) {
    super(EXIT_CODES.USAGE, message);
  }
}

/** No supervisor answers; start it, or point --home at the one that runs. */
export class SupervisorUnreachableError extends CliFailure {
  override name = 'SupervisorUnreachableError';
  constructor(message: string) {
    super(EXIT_CODES.UNREACHABLE, message);
  }
}

/** The token is missing, unreadable or not the running supervisor's. */
export class AuthenticationError extends CliFailure {
  override name = 'AuthenticationError';
  constructor(message: string) {
    super(EXIT_CODES.UNAUTHORIZED, message);
  }
}

/** The supervisor answered with an error reply. */
export class ControlApiError extends CliFailure {
  override name = 'ControlApiError';
  readonly status: number;
  readonly code: ControlErrorCode;
  constructor(status: number, code: ControlErrorCode, message: string) {
    super(exitCodeForApiError(code), message);
    this.status = status;
    this.code = code;
  }
}

function exitCodeForApiError(code: ControlErrorCode): ExitCode {
  if (code === 'UNKNOWN_BOT') return EXIT_CODES.UNKNOWN_BOT;
  if (code === 'UNAUTHORIZED') return EXIT_CODES.UNAUTHORIZED;
  return EXIT_CODES.FAILED;
}
