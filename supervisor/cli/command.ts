import type { Command } from 'commander';
import type { ControlClient } from './control-client.ts';

/**
 * What a `supervisor` subcommand is. Each lives in a `*.command.ts` file beside this one that exports
 * `commands: CliCommand[]`; the CLI discovers those files, so adding a command is adding a file.
 */

export interface TextSink {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Wall-clock ms for ages such as "last heartbeat 4s ago"; tests pin it. */
  now?: () => number;
}

export interface Invocation {
  io: CliIo;
  /** The declared positional arguments, in order, as commander read them. */
  args: readonly unknown[];
  /** The command's options as commander read them; validate before use (see arguments.ts). */
  options: Readonly<Record<string, unknown>>;
  /** FLOTILLA_HOME for this run: --home, else $FLOTILLA_HOME, else ./var, resolved against the working directory. */
  home: string;
  /** --json: print exactly the API's reply as one JSON document on stdout. */
  json: boolean;
  /** Connects on first use, so commands that never talk to the supervisor need no running one. */
  supervisor(): ControlClient;
  now(): number;
}

export interface CliCommand {
  /** The word typed after `supervisor`, e.g. "start". */
  name: string;
  /** One line for `supervisor --help`. */
  summary: string;
  /** Declares arguments and options; --json and --home are added to every command. */
  configure?(command: Command): void;
  run(invocation: Invocation): Promise<void>;
}
