import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Decimal } from '../core/decimal.ts';
import type { BotId, InstrumentId } from '../core/ids.ts';
import { parseIntentId } from '../core/ids.ts';
import { silentLogger } from '../core/logger.ts';
import { DEFAULT_INSTRUMENTS } from '../supervisor/config/fleet-config.ts';
import { Fleet } from '../supervisor/fleet/fleet.ts';
import { PROJECT_ROOT, projectNode } from '../supervisor/pm2/apps.ts';
import { botLaunch } from '../supervisor/pm2/bot-launch.ts';
import type { Benchmark, Figure } from './harness.ts';
import { quantile, round } from './harness.ts';

const run = promisify(execFile);

/** A scratch fleet: its home in /tmp, its bot folders inside the project (where bots resolve their imports). */
class Scratch {
  readonly home = mkdtempSync(join(tmpdir(), 'flotilla-bench-fleet-'));
  readonly botsRoot: string;
  readonly configPath: string;

  constructor(config: Record<string, unknown>) {
    mkdirSync(join(PROJECT_ROOT, '.test-bots'), { recursive: true });
    this.botsRoot = mkdtempSync(join(PROJECT_ROOT, '.test-bots', 'bench-'));
    this.configPath = join(this.home, 'flotilla.config.json');
    writeFileSync(this.configPath, JSON.stringify(config));
  }

  addBot(id: string, manifestOverrides: Record<string, unknown> = {}): void {
    const folder = join(this.botsRoot, id);
    cpSync(join(PROJECT_ROOT, 'bots', '_example'), folder, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify({ ...manifest, id, subAccount: id, ...manifestOverrides }));
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, FLOTILLA_HOME: this.home, FLOTILLA_BOTS_DIR: this.botsRoot, FLOTILLA_CONFIG: this.configPath, FLOTILLA_LOG_LEVEL: 'error', ...extra };
  }

  async open(): Promise<Fleet> {
    const fleet = await Fleet.open({ home: this.home, botsRoot: this.botsRoot, configPath: this.configPath, logger: silentLogger, pm2: null, ports: { control: 0, metrics: 0 } });
    await fleet.start();
    return fleet;
  }

  remove(): void {
    rmSync(this.botsRoot, { recursive: true, force: true });
    rmSync(this.home, { recursive: true, force: true });
  }
}

const QUIET = { marketData: { historyCandles: 30 }, control: { port: 0 }, metrics: { port: 0 } };

/** Bot process → supervisor → decision back, over the real Unix-socket channel, one intent at a time. */
async function intentRoundTrip(): Promise<Figure[]> {
  const scratch = new Scratch({ ...QUIET, clock: { speed: 1 } });
  scratch.addBot('rtt', { risk: { maxNotionalPerOrder: '50000', orderRateLimit: { maxRequests: 1_000_000, windowMs: 1000 }, drawdown: { threshold: '0.5', windowMs: 86_400_000, action: 'HALTED' } } });
  const fleet = await scratch.open();
  try {
    const instruments = DEFAULT_INSTRUMENTS.filter((instrument) => instrument.id.endsWith('.BYBIT')).map((instrument) => instrument.id).slice(0, 3).join(',');
    const { stdout } = await run(projectNode(), [join(PROJECT_ROOT, 'bench', 'fleet-rtt-client.ts')], { env: scratch.env({ BENCH_BOT: 'rtt', BENCH_INTENTS: '6000', BENCH_INSTRUMENTS: instruments }), maxBuffer: 64 * 1024 * 1024 });
    // The first thousand warm the JIT on both sides and are not counted.
    const latencies = (JSON.parse(stdout) as number[]).slice(1000).sort((a, b) => a - b);
    return [
      { name: 'fleet.intent_rtt.p50_us', value: round(quantile(latencies, 0.5)), unit: 'us' },
      { name: 'fleet.intent_rtt.p99_us', value: round(quantile(latencies, 0.99)), unit: 'us' },
    ];
  } finally {
    await fleet.close();
    scratch.remove();
  }
}

/** The CLI's kill, as a separate process, until every entry order of 3 bots × 50 is cancelled at the venue. */
async function killSwitch(): Promise<Figure[]> {
  // 150 instruments, each on a key of its own, so 150 entries can rest at once without one locking another.
  const instruments = Array.from({ length: 150 }, (_, index) => ({
    id: `K${index}USDT.BYBIT`,
    kind: 'PERPETUAL',
    tickSize: '0.01',
    lotStep: '0.001',
    minQuantity: '0.001',
    minNotional: '5',
    exposure: { key: `K${index}`, beta: '1' },
    startPrice: '100',
  }));
  const scratch = new Scratch({ ...QUIET, clock: { speed: 1 }, instruments, exposureKeys: Object.fromEntries(instruments.map((instrument) => [instrument.exposure.key, { policy: 'exclusive' }])) });
  const risk = { riskPerTrade: '0.001', maxOpenRisk: '0.5', maxNotionalPerOrder: '50000', orderRateLimit: { maxRequests: 1_000_000, windowMs: 1000 }, drawdown: { threshold: '0.5', windowMs: 86_400_000, action: 'HALTED' } };
  const bots = ['one', 'two', 'three'];
  bots.forEach((id, botIndex) => scratch.addBot(id, { instruments: instruments.slice(botIndex * 50, botIndex * 50 + 50).map((instrument) => instrument.id), risk }));
  const fleet = await scratch.open();
  try {
    bots.forEach((id, botIndex) => {
      for (let index = 0; index < 50; index++) {
        const instrumentId = instruments[botIndex * 50 + index]?.id as InstrumentId;
        const decision = fleet.om.submitIntent({ intentId: parseIntentId(`kill-bench-${index}`), botId: id as BotId, instrumentId, side: 'BUY', size: { kind: 'QUANTITY', quantity: Decimal.parse('1') }, orderType: 'LIMIT', limitPrice: Decimal.parse('50'), reduceOnly: false, bracket: { stopLoss: Decimal.parse('45') }, reason: 'bench' });
        if (decision.outcome === 'DENIED') throw new Error(`kill bench setup denied: ${decision.reason} ${decision.detail}`);
      }
    });
    await fleet.om.idle();
    const restingEntries = async (): Promise<number> => {
      let total = 0;
      for (const id of bots) total += (await fleet.venue.openOrders(fleet.omConfig.bots.get(id as BotId)?.subAccountId ?? ('' as never))).filter((order) => order.clientOrderId.includes('_E')).length;
      return total;
    };
    const before = await restingEntries();
    if (before !== 150) throw new Error(`expected 150 resting entries, found ${before}`);
    // The CLI as an operator runs it (`npx supervisor kill`), its compile cache warmed by an earlier command.
    const cli = join(PROJECT_ROOT, 'supervisor', 'cli', 'bin.js');
    await run(projectNode(), [cli, 'status', '--json'], { env: scratch.env() });
    const started = performance.now();
    const child = spawn(projectNode(), [cli, 'kill', '--json'], { env: scratch.env() });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const left = await restingEntries();
    const ms = performance.now() - started;
    if (code !== 0 || left !== 0) throw new Error(`kill left ${left} entries (exit ${code})`);
    return [{ name: 'fleet.kill.ms', value: round(ms, 1), unit: 'ms' }];
  } finally {
    await fleet.close();
    scratch.remove();
  }
}

/** A bot process trading at an accelerated clock; its resident memory, as it reports in heartbeats, at the end. */
async function botMemory(): Promise<Figure[]> {
  const seconds = Number(process.env.FLOTILLA_BENCH_RSS_SECONDS ?? 600);
  const scratch = new Scratch({ ...QUIET, clock: { speed: 300 }, marketData: { historyCandles: 300 } });
  scratch.addBot('memory');
  const fleet = await scratch.open();
  // Started as pm2 starts it: confined, with its node arguments and the compile cache its load probe filled.
  const launch = botLaunch({ home: scratch.home, logLevel: 'error' }, { path: join(scratch.botsRoot, 'memory'), id: 'memory' as BotId }, 'bot');
  const bot = spawn(launch.node, [...launch.nodeArgs, launch.script], { cwd: launch.env.FLOTILLA_BOT_DIR, env: launch.env, stdio: 'ignore' });
  try {
    let peak = 0;
    let firstMinute = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    while (performance.now() < deadline) {
      // Sampling once a second for the length of the run is the measurement itself, not a wait for an event.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      peak = Math.max(peak, fleet.sessions.rssBytes('memory' as BotId) ?? 0);
      if (performance.now() - started <= 60_000) firstMinute = peak;
    }
    const orders = fleet.om.ledger('memory' as BotId).recentOrders(1_000_000).length;
    return [
      { name: 'fleet.bot_rss_mb.max', value: round(peak / 1024 / 1024, 1), unit: 'MB' },
      { name: 'fleet.bot_rss_mb.first_minute_max', value: round(firstMinute / 1024 / 1024, 1), unit: 'MB' },
      { name: 'fleet.bot_rss_mb.run_s', value: seconds, unit: 's' },
      { name: 'fleet.bot_rss_mb.orders', value: orders, unit: 'orders' },
    ];
  } finally {
    bot.kill('SIGTERM');
    await new Promise((resolve) => bot.on('exit', resolve));
    await fleet.close();
    scratch.remove();
  }
}

/** `npm start` under a throwaway pm2 until every process is online, as printed by the start script itself. */
async function fleetStart(): Promise<Figure[]> {
  const scratch = new Scratch({ ...QUIET, clock: { speed: 300 } });
  scratch.addBot('start-one');
  scratch.addBot('start-two', { instruments: ['XRPUSDT.BYBIT', 'DOGEUSDT.BYBIT'] });
  const pm2Home = mkdtempSync(join(tmpdir(), 'flotilla-bench-pm2-'));
  const env = scratch.env({ PM2_HOME: pm2Home });
  try {
    const { stdout } = await run(projectNode(), [join(PROJECT_ROOT, 'supervisor', 'fleet-start.ts')], { env, timeout: 120_000 });
    const ms = Number(/Fleet online in (\d+) ms/.exec(stdout)?.[1] ?? Number.NaN);
    return [{ name: 'fleet.start.ms', value: ms, unit: 'ms' }];
  } finally {
    await run(projectNode(), [join(PROJECT_ROOT, 'supervisor', 'fleet-stop.ts')], { env }).catch(() => undefined);
    await run(join(PROJECT_ROOT, 'node_modules', '.bin', 'pm2'), ['kill'], { env: { ...env, PATH: `${join(PROJECT_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` } }).catch(() => undefined);
    rmSync(pm2Home, { recursive: true, force: true });
    scratch.remove();
  }
}

export const fleetBenchmarks: Benchmark[] = [
  { name: 'fleet.intent_rtt', run: intentRoundTrip },
  { name: 'fleet.kill', run: killSwitch },
  { name: 'fleet.start', run: fleetStart },
  { name: 'fleet.bot_rss', run: botMemory },
];
