import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigurationError } from '../../core/errors.ts';
import { checkHome } from '../config/home.ts';
import { flotillaHome } from '../paths.ts';
import type { CliCommand, CliIo, Invocation } from './command.ts';
import { connectToSupervisor } from './control-client.ts';
import type { ControlClient } from './control-client.ts';
import { discoverCommand, discoverCommands } from './discover-commands.ts';
import { CliFailure, EXIT_CODES, EXIT_CODES_HELP, UsageError } from './exit-codes.ts';
import type { ExitCode } from './exit-codes.ts';

/**
 * The `supervisor` CLI as a function: parses argv (the arguments after the program name), runs one command
 * against the given streams, environment and working directory, and returns the exit code. main.ts wires it to
 * the process; tests call it directly.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  try {
    // The first word is the command unless it is an option (help, version): then every command is loaded.
    const first = argv[0];
    const commands = first !== undefined && /^[a-z][a-z0-9-]*$/.test(first) ? await discoverCommand(first) : await discoverCommands();
    const program = buildProgram(commands, io);
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_CODES.SUCCESS;
  } catch (error) {
    return report(error, io);
  }
}

function buildProgram(commands: readonly CliCommand[], io: CliIo): Command {
  const program = new Command('supervisor')
    .description('Operate a running Flotilla fleet through its control API (127.0.0.1 only).')
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .configureHelp({ sortSubcommands: true })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);
  for (const definition of commands) {
    const command = program
      .command(definition.name)
      .description(definition.summary)
      .option('--json', 'print the API reply as one JSON document on stdout')
      .option('--home <dir>', 'Flotilla home holding control.token and run/control.json (default: $FLOTILLA_HOME, else ./var)');
    definition.configure?.(command);
    command.action(async function (this: Command) {
      await definition.run(invocation(this, io));
    });
  }
  return program;
}

function invocation(command: Command, io: CliIo): Invocation {
  const options: Readonly<Record<string, unknown>> = command.opts();
  const homeOption = options['home'];
  const home = typeof homeOption === 'string' ? resolve(io.cwd, homeOption) : flotillaHome({ ...io.env }, io.cwd);
  const origin = typeof homeOption === 'string' ? '--home' : io.env['FLOTILLA_HOME'] === undefined ? 'the default home' : 'FLOTILLA_HOME';
  const args: readonly unknown[] = command.processedArgs;
  let client: ControlClient | undefined;
  return {
    io,
    args,
    options,
    home,
    json: options['json'] === true,
    supervisor: () => (client ??= connectToSupervisor(usableHome(home, origin))),
    now: io.now ?? Date.now,
  };
}

/** A home that is a file or unreadable is a bad argument (exit code 2), said as such rather than as a raw ENOTDIR. */
function usableHome(home: string, origin: string): string {
  try {
    checkHome(home, origin, 'read');
  } catch (error) {
    if (error instanceof ConfigurationError) throw new UsageError(error.message);
    throw error;
  }
  return home;
}

/** Commander has already printed its own parse errors; everything else is printed here, once, on stderr. */
function report(error: unknown, io: CliIo): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.SUCCESS : EXIT_CODES.USAGE;
  if (error instanceof CliFailure) {
    io.stderr.write(`supervisor: ${error.message}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`supervisor: unexpected failure: ${message}\n`);
  return EXIT_CODES.FAILED;
}
