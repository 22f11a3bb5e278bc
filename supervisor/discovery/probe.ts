import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { BotId } from '../../core/ids.ts';
import { botCompileCacheDir } from '../paths.ts';
import { botLaunch } from '../pm2/bot-launch.ts';
import { ensurePrivateDir, tightenTree } from '../private-files.ts';

/**
 * Runs runtime/probe-strategy.ts for bot folders: one short-lived process per bot, confined exactly as the bot's
 * own process is (bot-launch.ts), that loads the strategy and reports whether it loaded and the notes it declares.
 * The supervisor learns what it needs of a strategy this way and never imports bot code itself.
 */

export type StrategyNotes = Readonly<Record<string, readonly string[]>>;
export type ProbeVerdict = { ok: true; notes: StrategyNotes } | { ok: false; reason: string };

export interface ProbeOptions {
  home: string;
  /** A probe that has not answered by then is killed and its bot refused. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const STDERR_KEPT = 2_000;

/** Note names and values become metric labels, so the probe's word on them is bounded before it is believed. */
const noteText = z.string().min(1).max(64);
const verdictSchema = z.discriminatedUnion('ok', [
  z.strictObject({
    ok: z.literal(true),
    notes: z.record(noteText, z.array(noteText).min(1).max(64)).refine((notes) => Object.keys(notes).length <= 64, 'at most 64 notes'),
  }),
  z.strictObject({ ok: z.literal(false), reason: z.string() }),
]);

export function probeStrategy(bot: { path: string; id: BotId }, options: ProbeOptions): Promise<ProbeVerdict> {
  const cacheDir = botCompileCacheDir(options.home, bot.id);
  ensurePrivateDir(cacheDir);
  const launch = botLaunch({ home: options.home, logLevel: 'error' }, bot, 'probe');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise<ProbeVerdict>((resolve) => {
    const child = spawn(launch.node, [...launch.nodeArgs, launch.script], { cwd: bot.path, env: launch.env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let verdict: ProbeVerdict | null = null;
    const timer = setTimeout(() => {
      verdict ??= { ok: false, reason: `the strategy did not load within ${timeoutMs / 1000} s` };
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT);
    });
    child.on('message', (message: unknown) => {
      const parsed = verdictSchema.safeParse(message);
      const problems = parsed.success ? '' : parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
      verdict ??= parsed.success ? parsed.data : { ok: false, reason: `the strategy's notes must map names to 1-64 values, each 1-64 characters: ${problems}` };
    });
    child.on('error', (error) => {
      verdict ??= { ok: false, reason: `the load probe could not start: ${error.message}` };
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Node created the cache's version folder at startup, under whatever umask this process has.
      tightenTree(cacheDir);
      resolve(verdict ?? { ok: false, reason: `the load probe exited (${signal ?? code}) without a verdict: ${stderr.trim()}` });
    });
  });
}

/** Probes every bot, a few at a time (each is a Node process compiling TypeScript); answers by bot id. */
export async function probeStrategies(bots: ReadonlyArray<{ path: string; id: BotId }>, options: ProbeOptions): Promise<Map<BotId, ProbeVerdict>> {
  const verdicts = new Map<BotId, ProbeVerdict>();
  const queue = [...bots];
  const worker = async (): Promise<void> => {
    for (let bot = queue.shift(); bot !== undefined; bot = queue.shift()) verdicts.set(bot.id, await probeStrategy(bot, options));
  };
  await Promise.all(Array.from({ length: Math.min(queue.length, Math.max(2, availableParallelism())) }, worker));
  return verdicts;
}
