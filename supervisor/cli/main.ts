#!/usr/bin/env node
import { runCli } from './run-cli.ts';

/** The `supervisor` bin: the CLI with this process's streams, environment and working directory. */
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
