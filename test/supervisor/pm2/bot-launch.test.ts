import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBotId } from '../../../core/ids.ts';
import { botCompileCacheDir, botSocketPath, botTokenPath, PROJECT_ROOT } from '../../../supervisor/paths.ts';
import { botLaunch } from '../../../supervisor/pm2/bot-launch.ts';
import { ensurePrivateDir } from '../../../supervisor/private-files.ts';
import { makeBotsRoot, removeBotsRoot } from '../fleet/fleet-harness.ts';

const run = promisify(execFile);

/**
 * Node's permission model alone, as a bot process is started (no strategy guards in play): a plain script in
 * the bot's folder, run with the bot's exact node arguments and environment, tries what a bot may and may not do.
 */
const CHECKS = `import * as fs from 'node:fs';
import { getCompileCacheDir } from 'node:module';
import { connect } from 'node:net';
import { join } from 'node:path';
const [otherToken, outside, otherBot] = process.argv.slice(2);
const here = import.meta.dirname;
const results = {};
const check = async (name, act) => {
  try {
    await act();
    results[name] = 'ALLOWED';
  } catch (error) {
    results[name] = error.code === 'ERR_ACCESS_DENIED' ? 'DENIED' : 'ERROR ' + error.code + ' ' + error.message;
  }
};
await check('readOwnFolder', () => fs.readFileSync(join(here, 'manifest.json')));
await check('readOwnToken', () => fs.readFileSync(process.env.FLOTILLA_BOT_TOKEN_FILE));
await check('readOtherToken', () => fs.readFileSync(otherToken));
await check('readProjectBeyondTheRuntime', () => fs.readFileSync(outside));
await check('readOtherBotFolder', () => fs.readFileSync(otherBot));
// Node follows links wherever they lead: the reason discovery refuses a bot folder that holds one.
await check('readThroughALinkInItsFolder', () => fs.readFileSync(join(here, 'link-to-other-token')));
await check('writeOwnFolder', () => fs.writeFileSync(join(here, 'x.txt'), 'x'));
await check('writeTmp', () => fs.writeFileSync('/tmp/flotilla-bot-wrote-this', 'x'));
await check('writeOwnCompileCache', () => fs.writeFileSync(join(process.env.NODE_COMPILE_CACHE, 'x'), 'x'));
await check('spawn', async () => (await import('node:child_process')).spawnSync('/bin/true'));
await check('worker', async () => new (await import('node:worker_threads')).Worker('0', { eval: true }));
await check('connectSocket', () => new Promise((resolve, reject) => connect(process.env.FLOTILLA_BOT_SOCKET).once('connect', resolve).once('error', reject)));
results.compileCache = getCompileCacheDir() === undefined ? 'OFF' : 'ON';
console.log(JSON.stringify(results));
process.exit(0);
`;

describe('a bot process under Node permission model', () => {
  const home = mkdtempSync(join(tmpdir(), 'flotilla-launch-'));
  const botsRoot = makeBotsRoot([{ folder: 'plain', manifest: {}, strategy: null }]);
  let server: Server;
  beforeAll(async () => {
    writeFileSync(join(botsRoot, 'plain', 'checks.mjs'), CHECKS);
    symlinkSync(botTokenPath(home, 'other'), join(botsRoot, 'plain', 'link-to-other-token'));
    mkdirSync(join(home, 'tokens'), { recursive: true, mode: 0o700 });
    writeFileSync(botTokenPath(home, 'plain'), 'mine', { mode: 0o600 });
    writeFileSync(botTokenPath(home, 'other'), 'theirs', { mode: 0o600 });
    ensurePrivateDir(botCompileCacheDir(home, 'plain'));
    ensurePrivateDir(join(home, 'run'));
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(botSocketPath(home), resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(home, { recursive: true, force: true });
    removeBotsRoot(botsRoot);
  });

  it('test_bot_launch_when_code_reads_writes_spawns_or_connects_then_only_its_own_files_cache_and_socket_are_reachable', async () => {
    // Arrange
    const launch = botLaunch({ home, logLevel: 'info' }, { path: join(botsRoot, 'plain'), id: parseBotId('plain') }, 'bot');
    // Act
    const { stdout } = await run(launch.node, [...launch.nodeArgs, join(botsRoot, 'plain', 'checks.mjs'), botTokenPath(home, 'other'), join(PROJECT_ROOT, 'supervisor', 'fleet', 'fleet.ts'), join(PROJECT_ROOT, 'bots', 'adaptive', 'strategy.ts')], { env: launch.env, cwd: join(botsRoot, 'plain') });
    // Assert
    expect(JSON.parse(stdout)).toEqual({
      readOwnFolder: 'ALLOWED',
      readOwnToken: 'ALLOWED',
      readOtherToken: 'DENIED',
      readProjectBeyondTheRuntime: 'DENIED',
      readOtherBotFolder: 'DENIED',
      readThroughALinkInItsFolder: 'ALLOWED',
      writeOwnFolder: 'DENIED',
      writeTmp: 'DENIED',
      writeOwnCompileCache: 'ALLOWED',
      spawn: 'DENIED',
      worker: 'DENIED',
      connectSocket: 'ALLOWED',
      compileCache: 'ON',
    });
  }, 30_000);

  it('test_bot_launch_when_bot_then_its_environment_names_only_its_folder_socket_token_file_log_level_and_cache', () => {
    const launch = botLaunch({ home, logLevel: 'info' }, { path: join(botsRoot, 'plain'), id: parseBotId('plain') }, 'bot');
    expect(launch.env).toEqual({
      FLOTILLA_BOT_DIR: join(botsRoot, 'plain'),
      FLOTILLA_BOT_SOCKET: botSocketPath(home),
      FLOTILLA_BOT_TOKEN_FILE: botTokenPath(home, 'plain'),
      FLOTILLA_LOG_LEVEL: 'info',
      NODE_COMPILE_CACHE: botCompileCacheDir(home, 'plain'),
    });
  });
});
