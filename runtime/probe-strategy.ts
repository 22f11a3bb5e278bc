import { readFileSync } from 'node:fs';
import { flushCompileCache } from 'node:module';
import { join, resolve } from 'node:path';
import { MANIFEST_FILE, parseManifest } from '../supervisor/discovery/manifest.ts';
import type { ProbeVerdict } from '../supervisor/discovery/probe.ts';
import { confineProcess } from './confine-process.ts';
import { loadStrategy } from './strategy-loader.ts';
import { StrategyHost } from './strategy-host.ts';

/**
 * The load probe: a short-lived process, confined exactly as the bot's own process is, that imports the bot's
 * strategy, checks it against the contract and the manifest's parameters, creates it once, and reports
 * {ok, notes} or {ok: false, reason} over the IPC channel (stdout when run by hand). The supervisor learns what
 * it needs of a strategy this way and never imports bot code itself. Loading everything the bot process will
 * load also fills the bot's own compile cache, which the bot then starts from.
 */
process.umask(0o077);
const { send } = confineProcess();

function report(result: ProbeVerdict): void {
  if (send === null) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  }
  // Strategy code may have left timers running; the verdict is all that is wanted of this process.
  send(result, () => process.exit(0));
}

try {
  const botDir = resolve(process.env.FLOTILLA_BOT_DIR ?? process.argv[2] ?? '');
  const manifest = parseManifest(JSON.parse(readFileSync(join(botDir, MANIFEST_FILE), 'utf8')));
  await import('./bot-main-modules.ts');
  const { module, parameters } = await loadStrategy({ path: botDir, manifest });
  // create() runs once here, so a strategy that cannot even start is refused at discovery, not in a restart loop.
  new StrategyHost({ botId: manifest.id, module, parameters, instruments: manifest.instruments, timeframes: manifest.timeframes, onBotCodeError: () => {} });
  flushCompileCache();
  report({ ok: true, notes: module.notes ?? {} });
} catch (error) {
  // The permission model's errors say little beyond their code ("process.binding"), so the code goes first.
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  report({ ok: false, reason: (typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message).slice(0, 2_000) });
}
