import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { Decimal } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import { REDACTED_PATHS, type Logger } from '../../core/logger.ts';
import { AlpacaStandin } from '../../venues/alpaca/standin/standin.ts';
import { BybitStandin, type MarketChoice } from '../../venues/bybit/standin/standin.ts';
import { loadFleetConfig, syntheticCatalog, type FleetConfig } from '../config/fleet-config.ts';
import { fleetConfigPath } from '../paths.ts';
import type { CliCommand, Invocation } from './command.ts';
import { dateOption } from './arguments.ts';
import { CliFailure, EXIT_CODES, UsageError } from './exit-codes.ts';
import { findProjectRoot } from './new-bot.command.ts';

/**
 * `supervisor standin bybit --port <p>`: runs the Bybit V5 stand-in exchange on 127.0.0.1 until SIGINT or SIGTERM,
 * so the live path can run offline. Local: no running supervisor is needed. Its log goes to stderr; stdout gets one
 * line (or one JSON document with --json) saying where it listens and where the master key is.
 */

const VENUES = ['bybit', 'alpaca'] as const;

function integerOption(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim() : '';
  const number = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}`);
  return number;
}

function speedOption(value: unknown): number {
  if (value === undefined) return 1;
  const text = typeof value === 'string' ? value.trim() : '';
  const speed = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(speed > 0 && speed <= 100_000)) throw new UsageError(`--speed must be a number above 0 and at most 100000 (market time per real time; 1 is real time); got ${JSON.stringify(value)}`);
  return speed;
}

/** A funding rate per interval as a decimal string: -0.01 to 0.01 (Bybit caps ordinary perpetuals well inside that). */
function fundingRateOption(value: unknown): Decimal | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim() : '';
  const rate = /^-?\d+(\.\d{1,8})?$/.test(text) ? Decimal.parse(text) : null;
  if (rate === null || rate.abs().gt(Decimal.parse('0.01'))) {
    throw new UsageError(`--funding-rate must be a decimal between -0.01 and 0.01 with at most 8 decimals (0.0001 is 0.01% per 8 hours; 0 settles none); got ${JSON.stringify(value)}`);
  }
  return rate;
}

function marketChoice(options: Readonly<Record<string, unknown>>, config: FleetConfig, cwd: string): MarketChoice {
  const klines = options['klines'];
  const manual = options['manual'] === true;
  const seed = integerOption(options['seed'], '--seed', -(2 ** 31), 2 ** 31 - 1);
  const historyDays = integerOption(options['historyDays'], '--history-days', 1, 3_650);
  if (klines !== undefined && manual) throw new UsageError('--klines and --manual exclude each other: replay files, or push candles by hand');
  if ((klines !== undefined || manual) && (seed !== undefined || historyDays !== undefined)) {
    throw new UsageError('--seed and --history-days are for the synthetic market (the default), not with --klines or --manual');
  }
  if ((klines !== undefined || manual) && options['start'] !== undefined) {
    throw new UsageError(`--start is for the synthetic market (the default): ${manual ? 'a manual market runs on the wall clock' : 'a replay starts at its files\' first candle'}`);
  }
  if (manual) return { kind: 'manual' };
  if (klines !== undefined) {
    const path = resolve(cwd, String(klines));
    if (!existsSync(path) || !statSync(path).isDirectory()) throw new UsageError(`--klines ${path} is not a folder of <SYMBOL>-1m.csv|json files`);
    return { kind: 'replay', path };
  }
  return { kind: 'synthetic', seed: seed ?? config.marketData.seed, historyDays: historyDays ?? config.marketData.maxHistoryDays };
}

function stderrLogger(): Logger {
  return pino({ name: 'standin', level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, pino.destination(2));
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveSignal(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function run(invocation: Invocation): Promise<void> {
  const { io, options } = invocation;
  const venue = invocation.args[0];
  if (!(VENUES as readonly unknown[]).includes(venue)) throw new UsageError(`venue must be one of ${VENUES.join(', ')}; got ${JSON.stringify(venue)}`);
  const port = integerOption(options['port'], '--port', 0, 65_535) as number;
  const speed = speedOption(options['speed']);
  const configOverride = io.env['FLOTILLA_CONFIG'];
  let config: FleetConfig;
  try {
    config = loadFleetConfig(configOverride !== undefined && configOverride !== '' ? resolve(io.cwd, configOverride) : fleetConfigPath(findProjectRoot()));
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(error.message);
    throw error;
  }
  const market = marketChoice(options, config, io.cwd);
  const start = dateOption(options['start'], '--start');
  if (venue === 'alpaca') {
    if (options['fundingRate'] !== undefined) throw new UsageError('--funding-rate is for the Bybit stand-in (Alpaca trades stocks, which pay no funding)');
    await runAlpaca(invocation, { port, speed, config, market, start });
    return;
  }
  if (options['accounts'] !== undefined) throw new UsageError('--accounts is for the Alpaca stand-in (a Bybit stand-in provisions sub-members with its master key)');
  const fundingRate = fundingRateOption(options['fundingRate']);
  const keyFileOption = options['keyFile'];
  const keyFile = typeof keyFileOption === 'string' ? resolve(io.cwd, keyFileOption) : join(invocation.home, 'standin', 'bybit-master-key.json');
  const logger = stderrLogger();
  let standin: BybitStandin;
  try {
    standin = await BybitStandin.start({
      port,
      instruments: syntheticCatalog(config),
      market,
      speed,
      ...(start === undefined ? {} : { start }),
      keyFile,
      logger,
      paper: {
        seed: config.paper.seed,
        makerFeeRate: Decimal.parse(config.paper.makerFeeRate),
        takerFeeRate: Decimal.parse(config.paper.takerFeeRate),
        slippageBaseBps: Decimal.parse(config.paper.slippageBaseBps),
        slippageJitterBps: Decimal.parse(config.paper.slippageJitterBps),
        participation: Decimal.parse(config.paper.participation),
      },
      leverage: Decimal.parse(config.paper.leverage),
      ...(fundingRate === undefined ? {} : { funding: { rate: fundingRate } }),
    });
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(error.message);
    const code = (error as { code?: unknown }).code;
    if (code === 'EADDRINUSE') throw new CliFailure(EXIT_CODES.FAILED, `port ${port} on 127.0.0.1 is already in use; choose another with --port, or 0 for any free port`);
    throw error;
  }
  for (const line of standin.findings) io.stderr.write(`klines: ${line}\n`);
  const summary = { venue: 'bybit', url: standin.url, wsUrl: standin.wsUrl, port: standin.port, keyFile, masterUid: standin.master.uid, market: market.kind, speed, marketTime: new Date(standin.clock.now()).toISOString() };
  if (invocation.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    io.stdout.write(
      `Bybit V5 stand-in listening on ${standin.url} (WebSocket ${standin.wsUrl}); ${market.kind} market at ${speed}x from ${new Date(standin.clock.now()).toISOString()}; master UID ${standin.master.uid}, key and secret in ${keyFile}. Ctrl-C stops it.\n`,
    );
  }
  const signal = await waitForSignal();
  logger.info({ signal }, 'stopping');
  await standin.stop();
}

/** The Alpaca stand-in: one account per key pair (`--accounts`, 2 by default), its keys in the key file. */
async function runAlpaca(invocation: Invocation, choice: { port: number; speed: number; config: FleetConfig; market: MarketChoice; start: number | undefined }): Promise<void> {
  const { io, options } = invocation;
  const { port, speed, config, market, start } = choice;
  if (market.kind === 'replay') throw new UsageError('--klines is not served by the Alpaca stand-in: use the synthetic market (the default) or --manual');
  const accounts = integerOption(options['accounts'], '--accounts', 1, 100) ?? 2;
  const keyFileOption = options['keyFile'];
  const keyFile = typeof keyFileOption === 'string' ? resolve(io.cwd, keyFileOption) : join(invocation.home, 'standin', 'alpaca-keys.json');
  const logger = stderrLogger();
  let standin: AlpacaStandin;
  try {
    standin = await AlpacaStandin.start({ port, instruments: syntheticCatalog(config), market, speed, ...(start === undefined ? {} : { start }), accounts, keyFile, logger });
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(error.message);
    if ((error as { code?: unknown }).code === 'EADDRINUSE') throw new CliFailure(EXIT_CODES.FAILED, `port ${port} on 127.0.0.1 is already in use; choose another with --port, or 0 for any free port`);
    throw error;
  }
  const summary = { venue: 'alpaca', url: standin.url, tradingStream: `${standin.wsUrl}/stream`, dataStream: `${standin.wsUrl}/v2/{iex|sip}`, port: standin.port, keyFile, accounts, market: market.kind, speed, marketTime: new Date(standin.clock.now()).toISOString() };
  if (invocation.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    io.stdout.write(
      `Alpaca stand-in listening on ${standin.url} (trade_updates ${standin.wsUrl}/stream, bars ${standin.wsUrl}/v2/iex); ${market.kind} market at ${speed}x from ${new Date(standin.clock.now()).toISOString()}; ${accounts} accounts, their keys in ${keyFile}. Ctrl-C stops it.\n`,
    );
  }
  const signal = await waitForSignal();
  logger.info({ signal }, 'stopping');
  await standin.stop();
}

export const commands: CliCommand[] = [
  {
    name: 'standin',
    summary: 'run a stand-in exchange that speaks Bybit V5 or Alpaca on 127.0.0.1, for the live path offline (local; runs until stopped)',
    configure: (command) => {
      command
        .argument('<venue>', 'the venue to stand in for: bybit or alpaca')
        .requiredOption('--port <p>', 'TCP port on 127.0.0.1 for REST and WebSocket; 0 takes any free port')
        .option('--key-file <path>', 'where the keys are written (mode 0600; default $FLOTILLA_HOME/standin/bybit-master-key.json or alpaca-keys.json)')
        .option('--funding-rate <rate>', 'bybit: funding rate settled on open positions every 8 hours (00:00, 08:00, 16:00 UTC of market time); default 0.0001, 0 for none')
        .option('--accounts <n>', 'alpaca: accounts made at start, each with its own key pair (default 2)')
        .option('--speed <x>', 'market time per real time (default 1: real time)')
        .option('--start <time>', 'market time at the start of the synthetic market, e.g. 2026-11-17T14:30Z (a US session\'s open; UTC unless a zone is given); default now')
        .option('--seed <n>', "seed of the synthetic market (default: the fleet configuration's marketData.seed)")
        .option('--history-days <n>', "days of synthetic history before the start (default: the fleet configuration's marketData.maxHistoryDays)")
        .option('--klines <dir>', 'replay 1m kline files (<SYMBOL>-1m.csv|json, Binance or Bybit exports) instead of the synthetic market')
        .option('--manual', 'no market feed: candles arrive only through the admin endpoint (POST /standin/candles)');
    },
    run,
  },
];
