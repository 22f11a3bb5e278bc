import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.ts';
import { parseBotId, parseInstrumentId } from '../../../core/ids.ts';
import type { InstrumentId } from '../../../core/ids.ts';
import type { BotStateView, StrategyAction, StrategyModule, TimeframeCandle } from '../../../core/strategy.ts';
import { discoverCommands } from '../../../supervisor/cli/discover-commands.ts';
import { findProjectRoot, renderBotFile, templatePath } from '../../../supervisor/cli/new-bot.command.ts';
import { loadStrategy } from '../../../runtime/strategy-loader.ts';
import { discoverBots } from '../../../supervisor/discovery/discover.ts';
import { run } from './harness.ts';

/** Bot folders must live inside the project so 'flotilla/strategy' and the strategy's packages resolve, hence not the OS temp dir. */
const ROOT = join(import.meta.dirname, '..', '..', '..');
const TEST_BOTS = join(ROOT, '.test-bots');

describe('supervisor new-bot', () => {
  let botsDir: string;
  const created: string[] = [];

  beforeEach(() => {
    mkdirSync(TEST_BOTS, { recursive: true });
    botsDir = mkdtempSync(join(TEST_BOTS, 'new-bot-'));
    created.push(botsDir);
  });

  afterAll(() => {
    for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
    // Other test files may be using .test-bots at the same moment; only the last one out removes it.
    if (existsSync(TEST_BOTS) && readdirSync(TEST_BOTS).length === 0) rmdirSync(TEST_BOTS);
  });

  const newBot = (...argv: string[]) => run(['new-bot', ...argv, '--bots-dir', botsDir], { cwd: ROOT });

  it('test_cli_when_commands_are_discovered_then_new_bot_is_one', async () => {
    expect((await discoverCommands()).map((command) => command.name)).toContain('new-bot');
  });

  it('test_project_root_when_searched_from_the_command_then_is_the_flotilla_package', () => {
    expect(findProjectRoot()).toBe(ROOT);
  });

  describe('the template is the example bot', () => {
    it('test_strategy_template_when_compared_with_the_example_bot_then_is_byte_identical', () => {
      expect(readFileSync(templatePath('strategy.ts'), 'utf8')).toBe(readFileSync(join(ROOT, 'bots', '_example', 'strategy.ts'), 'utf8'));
    });

    it('test_manifest_template_when_rendered_for_the_example_then_equals_the_example_manifest', () => {
      const rendered = renderBotFile('manifest.json', { id: 'example', name: 'Example: EMA cross with an ATR stop', subAccount: 'example' });
      expect(rendered).toBe(readFileSync(join(ROOT, 'bots', '_example', 'manifest.json'), 'utf8'));
    });
  });

  describe('scaffolding', () => {
    it('test_new_bot_when_id_is_valid_then_discovery_loads_it_and_its_parameters_validate', async () => {
      const result = await newBot('my-bot');

      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const folder = join(botsDir, 'my-bot');
      expect(readdirSync(folder).sort()).toEqual(['manifest.json', 'strategy.ts']);
      expect(result.stdout).toContain(folder.slice(ROOT.length + 1));
      // The fleet reads bots/, not this test folder: the advice says so instead of promising adoption.
      expect(result.stdout).toContain(`npm start will not adopt this bot`);
      expect(result.stdout).toContain(`FLOTILLA_BOTS_DIR=${botsDir.slice(ROOT.length + 1)} npm start`);
      expect(result.stdout).toContain(`npx supervisor backtest my-bot --bots-dir ${botsDir.slice(ROOT.length + 1)}`);
      const [bot] = discoverBots(botsDir);
      expect(bot).toMatchObject({ folder: 'my-bot', status: 'LOADED', reason: null });
      if (bot?.status !== 'LOADED') throw new Error('not loaded');
      expect(bot.manifest).toMatchObject({ id: 'my-bot', name: 'my-bot', subAccount: 'my-bot' });
      const { parameters } = await loadStrategy(bot);
      expect(parameters).toEqual(bot.manifest.parameters);
    });

    it('test_new_bot_when_name_has_quotes_then_the_manifest_stays_valid_json_and_keeps_the_name', async () => {
      const result = await newBot('quoted', '--name', 'My "first" bot \\ v1');

      expect(result.code, result.stderr).toBe(0);
      const manifest = JSON.parse(readFileSync(join(botsDir, 'quoted', 'manifest.json'), 'utf8')) as { name: string };
      expect(manifest.name).toBe('My "first" bot \\ v1');
    });

    it('test_new_bot_when_json_then_stdout_is_one_document_naming_the_folder_and_files', async () => {
      const result = await newBot('json-bot', '--json');

      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const folder = join(botsDir, 'json-bot');
      expect(JSON.parse(result.stdout)).toEqual({
        folder,
        botId: 'json-bot',
        files: [join(folder, 'manifest.json'), join(folder, 'strategy.ts')],
        from: null,
        adoptedByFleet: false,
        fleetBotsDir: join(ROOT, 'bots'),
      });
    });

    it('test_new_bot_when_no_bots_dir_option_then_uses_flotilla_bots_dir_resolved_against_the_working_directory', async () => {
      const result = await run(['new-bot', 'from-env', '--json'], { cwd: TEST_BOTS, env: { FLOTILLA_BOTS_DIR: botsDir.slice(TEST_BOTS.length + 1) } });

      expect(result.code, result.stderr).toBe(0);
      expect(existsSync(join(botsDir, 'from-env', 'manifest.json'))).toBe(true);
    });

    it('test_strategy_when_fed_a_rise_then_a_fall_then_a_rise_then_enters_short_then_long_with_contract_shaped_actions', async () => {
      expect((await newBot('candles')).code).toBe(0);
      const [bot] = discoverBots(botsDir);
      if (bot?.status !== 'LOADED') throw new Error('not loaded');
      const { module, parameters } = await loadStrategy(bot);
      const instrumentId = parseInstrumentId('BTCUSDT.BYBIT');
      const strategy = (module as StrategyModule<unknown>).create({ botId: parseBotId('candles'), instruments: [instrumentId], timeframes: ['1m'], parameters });
      const state: BotStateView = {
        botId: parseBotId('candles'),
        now: 0,
        equity: Decimal.fromInteger(100_000),
        tradingState: 'ACTIVE',
        positions: new Map(),
        openOrders: [],
        pendingEntries: new Set(),
        drawdown: Decimal.ZERO,
        drawdownThreshold: Decimal.parse('0.1'),
      };
      const closes = [...Array.from({ length: 40 }, (_, i) => 100 + i), ...Array.from({ length: 40 }, (_, i) => 139 - 2 * i), ...Array.from({ length: 60 }, (_, i) => 61 + 2 * i)];

      const actions: StrategyAction[] = closes.flatMap((close, index) => strategy.onCandle(candle(instrumentId, index, close), state));

      expect(actions.map((action) => action.type)).toEqual(['ENTER', 'ENTER']);
      const [short, long] = actions;
      if (short?.type !== 'ENTER' || long?.type !== 'ENTER') throw new Error('expected two entries');
      expect(short).toMatchObject({ instrumentId, side: 'SELL', orderType: 'MARKET', size: { kind: 'RISK' } });
      expect(long).toMatchObject({ instrumentId, side: 'BUY', orderType: 'MARKET', size: { kind: 'RISK' } });
      for (const entry of [short, long]) {
        if (entry.size.kind !== 'RISK') throw new Error('expected a risk-sized entry');
        expect(entry.size.riskFraction.eq(Decimal.parse('0.003'))).toBe(true);
        expect(entry.stopLoss).toBeInstanceOf(Decimal);
        expect(entry.takeProfit).toBeInstanceOf(Decimal);
        expect(entry.reason).not.toBe('');
      }
      // A short's stop is above its take-profit, a long's below: the ATR stop sits on the losing side.
      expect(short.stopLoss.gt(short.takeProfit ?? Decimal.ZERO)).toBe(true);
      expect(long.stopLoss.lt(long.takeProfit ?? Decimal.ZERO)).toBe(true);
    });
  });

  describe('copying an existing bot', () => {
    /** A bot of its own in the test folder: a copy of the shipped scalper, helper modules and all. */
    function shippedScalper(): void {
      cpSync(join(ROOT, 'bots', 'aggressive'), join(botsDir, 'aggressive'), { recursive: true });
    }

    it('test_new_bot_when_from_an_existing_bot_then_its_files_strategy_and_manifest_are_copied_under_the_new_id', async () => {
      shippedScalper();
      const result = await newBot('scalp-2', '--from', 'aggressive', '--name', 'Scalper, wider stops');

      expect(result.code, result.stderr).toBe(0);
      const source = join(botsDir, 'aggressive');
      const folder = join(botsDir, 'scalp-2');
      expect(readdirSync(folder).sort()).toEqual(readdirSync(source).sort());
      for (const file of readdirSync(source)) {
        if (file !== 'manifest.json') expect(readFileSync(join(folder, file), 'utf8')).toBe(readFileSync(join(source, file), 'utf8'));
      }
      const original = JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8')) as Record<string, unknown>;
      const copy = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as Record<string, unknown>;
      expect(copy).toEqual({ ...original, id: 'scalp-2', name: 'Scalper, wider stops', subAccount: 'scalp-2' });
      // The owner's layout is kept: only the three values differ, line for line.
      const changed = readFileSync(join(folder, 'manifest.json'), 'utf8').split('\n').filter((line, index) => line !== readFileSync(join(source, 'manifest.json'), 'utf8').split('\n')[index]);
      expect(changed).toEqual(['  "id": "scalp-2",', '  "name": "Scalper, wider stops",', '  "subAccount": "scalp-2",']);
      expect(result.stdout).toContain('It starts as a copy of bot aggressive (Aggressive: 5-minute regime-aware scalper with a trailing stop)');
      const loaded = discoverBots(botsDir).filter((bot) => bot.status === 'LOADED').map((bot) => bot.manifest?.id);
      expect(loaded.sort()).toEqual(['aggressive', 'scalp-2']);
    });

    it('test_new_bot_when_from_a_bot_that_does_not_exist_then_exit_4_naming_the_bots_there_and_nothing_written', async () => {
      shippedScalper();
      const result = await newBot('copy', '--from', 'nobody');

      expect(result.code).toBe(4);
      expect(result.stderr).toContain('--from "nobody": no such bot in');
      expect(result.stderr).toContain('(found: aggressive)');
      expect(existsSync(join(botsDir, 'copy'))).toBe(false);
    });

    it('test_new_bot_when_the_bots_folder_is_the_fleets_then_the_advice_is_npm_start_and_json_says_it_is_adopted', async () => {
      shippedScalper();
      const result = await run(['new-bot', 'adopted', '--from', 'aggressive', '--json'], { cwd: ROOT, env: { FLOTILLA_BOTS_DIR: botsDir } });

      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ botId: 'adopted', adoptedByFleet: true, fleetBotsDir: botsDir, from: { id: 'aggressive', folder: join(botsDir, 'aggressive') } });
      const human = await run(['new-bot', 'adopted-2', '--from', 'aggressive'], { cwd: ROOT, env: { FLOTILLA_BOTS_DIR: botsDir } });
      expect(human.stdout).toContain('npm start               runs the fleet on paper, or adopts the new bot if the fleet already runs');
      expect(human.stdout).not.toContain('will not adopt');
    });
  });

  describe('refusals', () => {
    it.each([['My_Bot'], ['9lives'], ['a-name-that-is-far-too-long']])('test_new_bot_when_id_is_%s_then_exit_2_with_the_rule_and_nothing_written', async (id) => {
      const result = await newBot(id);

      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('1-16 characters of a-z, 0-9 and "-", starting with a letter');
      expect(readdirSync(botsDir)).toEqual([]);
    });

    it('test_new_bot_when_name_is_too_long_then_exit_2', async () => {
      const result = await newBot('long-name', '--name', 'x'.repeat(81));

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--name must be 1-80 characters');
      expect(readdirSync(botsDir)).toEqual([]);
    });

    it('test_new_bot_when_the_folder_exists_then_exit_1_and_its_files_are_untouched', async () => {
      const folder = join(botsDir, 'taken');
      mkdirSync(folder);
      writeFileSync(join(folder, 'manifest.json'), '{ "mine": true }\n');
      writeFileSync(join(folder, 'notes.txt'), 'keep me\n');

      const result = await newBot('taken');

      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`${folder} already exists`);
      expect(readdirSync(folder).sort()).toEqual(['manifest.json', 'notes.txt']);
      expect(readFileSync(join(folder, 'manifest.json'), 'utf8')).toBe('{ "mine": true }\n');
      expect(readFileSync(join(folder, 'notes.txt'), 'utf8')).toBe('keep me\n');
    });

    it('test_new_bot_when_another_folder_claims_the_id_then_exit_1_and_nothing_written', async () => {
      mkdirSync(join(botsDir, 'renamed'));
      writeFileSync(join(botsDir, 'renamed', 'manifest.json'), renderBotFile('manifest.json', { id: 'claimed', name: 'claimed', subAccount: 'elsewhere' }));

      const result = await newBot('claimed');

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('bot id claimed is already claimed by');
      expect(existsSync(join(botsDir, 'claimed'))).toBe(false);
    });

    it('test_new_bot_when_bots_dir_is_outside_the_project_then_exit_2_and_nothing_written', async () => {
      const outside = join(ROOT, '..', 'flotilla-new-bot-outside');
      const result = await run(['new-bot', 'stray', '--bots-dir', outside], { cwd: ROOT });

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('outside the Flotilla project');
      expect(existsSync(outside)).toBe(false);
    });
  });
});

function candle(instrumentId: InstrumentId, index: number, close: number): TimeframeCandle {
  const price = Decimal.fromInteger(close);
  return {
    instrumentId,
    timeframe: '1m',
    openTime: index * 60_000,
    durationMs: 60_000,
    open: price,
    high: price.add(Decimal.ONE),
    low: price.sub(Decimal.ONE),
    close: price,
    volume: Decimal.fromInteger(10),
  };
}
