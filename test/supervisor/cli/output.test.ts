import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BOTS, DECISIONS, KILL, MARKET_NOW, ORDERS, PNL, POSITIONS, STATUS, TREND_ACTIVITY } from '../control/fake-fleet.ts';
import { run, startFleet } from './harness.ts';
import type { RunningFleet } from './harness.ts';

describe('the supervisor CLI against a running control API', () => {
  let fleet: RunningFleet;
  beforeAll(async () => {
    fleet = await startFleet();
  });
  afterAll(() => fleet.close());
  beforeEach(() => {
    fleet.fleet.calls.length = 0;
  });

  const cli = (...argv: string[]) => run(argv, { home: fleet.home });

  describe('--json', () => {
    const cases: Array<[string[], unknown]> = [
      [['status'], STATUS],
      [['bots'], BOTS],
      [['orders'], ORDERS],
      [['positions'], POSITIONS],
      [['pnl'], PNL],
      [['decisions'], DECISIONS],
      [['kill', '--flatten'], KILL],
    ];
    it.each(cases)('test_%s_when_json_then_stdout_is_exactly_one_document_equal_to_the_api_data', async (argv, expected) => {
      const result = await cli(...argv, '--json');
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(expected);
    });

    it('test_commands_that_change_state_when_json_then_print_the_api_reply', async () => {
      expect(JSON.parse((await cli('start', 'grid', '--json')).stdout)).toEqual({
        status: 'online',
        pid: 5151,
        restarts: 0,
        memoryBytes: null,
        cpuPercent: null,
        uptimeMs: null,
      });
      expect(JSON.parse((await cli('halt', '--reason', 'maintenance', '--json')).stdout)).toMatchObject({ state: 'HALTED', detail: 'maintenance' });
      expect(JSON.parse((await cli('resume', '--bot', 'grid', '--json')).stdout)).toMatchObject({ state: 'ACTIVE' });
      expect(JSON.parse((await cli('drawdown', '--json')).stdout)).toHaveLength(2);
      expect(JSON.parse((await cli('drawdown', '--bot', 'trend', '--set', '7.5', '--json')).stdout)).toMatchObject({ scope: 'trend', threshold: '0.075' });
    });
  });

  describe('arguments reach the fleet', () => {
    it('test_options_when_given_then_the_fleet_receives_them_parsed', async () => {
      const runs: Array<[string[], [string, unknown]]> = [
        [['orders', '--bot', 'trend', '--open', '--limit', '5'], ['orders', { botId: 'trend', openOnly: true, limit: 5 }]],
        [['orders'], ['orders', { openOnly: false, limit: 50 }]],
        [['decisions', '--denied', '--limit', '1000'], ['decisions', { deniedOnly: true, limit: 1000 }]],
        [['positions', '--bot', 'grid'], ['positions', { botId: 'grid' }]],
        [['pnl', '--bot', 'trend'], ['pnl', { botId: 'trend' }]],
        [['kill'], ['kill', { flatten: false }]],
        [['kill', '--bot', 'grid', '--flatten'], ['kill', { botId: 'grid', flatten: true }]],
        [['halt', '--bot', 'grid', '--reason', '  news at 14:30  '], ['halt', { botId: 'grid', reason: 'news at 14:30' }]],
        [['resume'], ['resume', {}]],
        [['drawdown', '--set', '12.5%'], ['setDrawdown', { thresholdPercent: '12.5' }]],
        [['drawdown', '--bot', 'trend', '--window', '30d', '--set', '12'], ['setDrawdown', { botId: 'trend', window: '30d', thresholdPercent: '12' }]],
        [['drawdown', '--bot', 'trend'], ['drawdown', { botId: 'trend' }]],
        [['stop', 'grid'], ['stopBot', 'grid']],
        [['restart', 'trend'], ['restartBot', 'trend']],
      ];
      for (const [argv, expected] of runs) {
        fleet.fleet.calls.length = 0;
        const result = await cli(...argv);
        expect(result.code, `${argv.join(' ')}: ${result.stderr}`).toBe(0);
        expect(fleet.fleet.calls, argv.join(' ')).toEqual([expected]);
      }
    });
  });

  describe('human output', () => {
    it('test_status_when_human_then_shows_fleet_kill_switch_and_a_row_per_bot', async () => {
      const result = await cli('status');
      expect(result.code).toBe(0);
      const out = result.stdout;
      expect(out).toMatch(/Fleet\s+paper, ACTIVE/);
      expect(out).toMatch(/Kill switch\s+off/);
      expect(out).toContain('drawdown 1.20% of 10.00% (then HALTED, 24h 00m window)');
      expect(out).toContain('pid 777, up 2h 05m (real time)');
      expect(out).toContain('Market time  2026-03-31 12:00:00Z, clock x300; state changes are aged in market time, heartbeats in real time');
      const lines = out.split('\n');
      const header = lines.find((line) => line.startsWith('BOT'));
      expect(header).toMatch(/^BOT\s+PROCESS\s+STATE\s+EQUITY\s+DRAWDOWN\/LIMIT\s+POSITIONS\s+ORDERS\s+HEARTBEAT \(REAL TIME\)$/);
      const trend = lines.find((line) => line.startsWith('trend '));
      expect(trend).toMatch(/^trend\s+online\s+ACTIVE\s+5020\.45\s+0\.34% \/ 8\.00%\s+1\s+2\s+4s ago$/);
      const grid = lines.find((line) => line.startsWith('grid '));
      expect(grid).toMatch(/^grid\s+stopped\s+HALTED \(drawdown\)\s+4590\s+8\.10% \/ 8\.00%\s+0\s+0\s+never \(disconnected\)$/);
      // The halt is 10 minutes old on the market clock, which runs 30 days ahead of the wall clock here.
      expect(out).toContain('grid: HALTED DRAWDOWN_HALT: drawdown 8.1% reached the 8% threshold (10m 00s ago in market time)');
      // Columns line up: every row's HEARTBEAT starts where the header's does.
      const column = header?.indexOf('HEARTBEAT') ?? -1;
      expect(trend?.indexOf('4s ago')).toBe(column);
      expect(grid?.indexOf('never')).toBe(column);
    });

    it('test_status_of_one_bot_when_human_then_its_row_risk_in_use_and_seven_aligned_hours', async () => {
      const result = await cli('status', 'trend');
      expect(result.code).toBe(0);
      expect(fleet.fleet.calls).toEqual([['status', { botId: 'trend' }]]);
      const out = result.stdout;
      const lines = out.split('\n');
      // Only that bot's row.
      expect(lines.filter((line) => /^(trend|grid) /.test(line)).map((line) => line.split(' ')[0])).toEqual(['trend']);
      expect(out).toContain('Risk in use  0.40% of equity, target at most 1.00% (open risk 20)');
      const header = lines.find((line) => line.startsWith('HOUR'));
      expect(header).toMatch(/^HOUR \(UTC, MARKET TIME\)\s+ACTIONABLE\s+FILLED\s+SUPPRESSED\s+FLIP-FLOPS\s+CLOSED\s+STOPPED OUT\s+STOP-OUT RATIO\s+PEAK RISK IN USE\s+SUPPRESSED BY$/);
      const rows = lines.slice(lines.indexOf(header as string) + 1, lines.indexOf(header as string) + 8);
      expect(rows[0]).toMatch(/^2026-03-31 12:00Z \(now\)\s+3\s+2\s+12\s+4\s+2\s+1\s+50\.00%\s+0\.82%\s+BELOW_BREADTH 10, NOT_FALLING 2$/);
      expect(rows[1]).toMatch(/^2026-03-31 11:00Z\s+1\s+1\s+0\s+0\s+1\s+1\s+100\.00%\s+0\.20%\s+-$/);
      expect(rows[6]).toMatch(/^2026-03-31 06:00Z\s+0\s+0\s+0\s+0\s+0\s+0\s+-\s+-\s+-$/);
      // Right-aligned numbers end under their header.
      const end = (line: string | undefined, text: string) => (line ?? '').indexOf(text) + text.length;
      expect(end(rows[0], '50.00%')).toBe(end(header, 'STOP-OUT RATIO'));
      expect(end(rows[1], '100.00%')).toBe(end(header, 'STOP-OUT RATIO'));
      expect(out).toContain('Blocked by the order manager in these hours: IN_FLIGHT_LOCK 18, WOULD_HEDGE 1');
    });

    it('test_status_of_a_bot_without_the_notes_when_human_then_note_columns_left_out_and_said_so', async () => {
      const out = (await cli('status', 'grid')).stdout;
      const header = out.split('\n').find((line) => line.startsWith('HOUR'));
      expect(header).toMatch(/^HOUR \(UTC, MARKET TIME\)\s+FILLED\s+CLOSED\s+STOPPED OUT\s+STOP-OUT RATIO\s+PEAK RISK IN USE$/);
      expect(out).toContain('The bot\'s strategy makes no "route", "suppress", "flip_flop" notes, so their columns are left out.');
      expect(out).not.toContain('Blocked by');
    });

    it('test_status_of_one_bot_when_json_then_the_api_reply_with_its_activity', async () => {
      const result = await cli('status', 'trend', '--json');
      const status = JSON.parse(result.stdout) as typeof STATUS;
      expect(status.bots.map((bot) => bot.botId)).toEqual(['trend']);
      expect(status.bots[0]?.activity).toEqual(TREND_ACTIVITY);
      expect(status.bots[0]?.riskInUse).toEqual({ openRisk: '20', fraction: '0.003984', target: '0.01' });
    });

    it('test_status_of_an_unknown_bot_then_exit_4', async () => {
      const result = await cli('status', 'nosuch');
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('no bot "nosuch"');
    });

    it('test_bots_when_human_then_shows_load_failures', async () => {
      const out = (await cli('bots')).stdout;
      expect(out).toMatch(/^FOLDER\s+BOT\s+NAME\s+STATUS\s+VENUE\s+INSTRUMENTS\s+TIMEFRAMES\s+REASON/);
      expect(out).toMatch(/trend\s+trend\s+Trend follower\s+LOADED\s+BYBIT\s+BTCUSDT\.BYBIT,ETHUSDT\.BYBIT\s+1h,4h/);
      expect(out).toMatch(/broken\s+-\s+-\s+LOAD_FAILED\s+-\s+-\s+-\s+strategy\.ts exports no Strategy/);
    });

    it('test_kill_when_human_then_lists_what_was_canceled_and_closed', async () => {
      const flattened = (await cli('kill', '--flatten')).stdout;
      expect(flattened).toContain('Kill switch engaged for fleet.');
      expect(flattened).toContain('Canceled 2 orders:\n  grid_0abcdefg_E7\n  trend_0abcdefg_E3');
      expect(flattened).toContain('Canceled 1 protective order:\n  trend_0abcdefg_S2');
      expect(flattened).toContain('Closing 1 position:\n  trend BTCUSDT.BYBIT 0.02');
      const kept = (await cli('kill', '--bot', 'trend')).stdout;
      expect(kept).toContain('Kill switch engaged for trend.');
      expect(kept).toContain('add --flatten to close them');
    });

    it('test_process_halt_resume_when_human_then_one_line_each', async () => {
      expect((await cli('start', 'grid')).stdout).toBe('grid: online (pid 5151, restarts 0)\n');
      expect((await cli('stop', 'grid')).stdout).toBe('grid: stopped (pid -, restarts 0)\n');
      expect((await cli('halt', '--bot', 'grid', '--reason', 'news')).stdout).toBe('grid: HALTED (OPERATOR_HALT): news\n');
      expect((await cli('resume')).stdout).toBe(
        'fleet: ACTIVE (OPERATOR_RESUME): resumed by the operator\n' +
          'Drawdown peak reset to the current equity 9610.45: drawdown is measured afresh from here (HALTED at 10.00% below it).\n',
      );
      expect((await cli('resume', '--bot', 'trend')).stdout).toContain('Drawdown peak reset to the current equity 5020.45');
    });

    it('test_status_when_one_bot_is_killed_then_its_row_and_the_kill_switch_line_say_so', async () => {
      const killedTrend = { ...STATUS.bots[0]!, state: { state: 'HALTED' as const, reason: 'KILL_SWITCH', detail: 'kill switch', changedAt: MARKET_NOW - 7_200_000, flattenPending: false }, effectiveState: 'HALTED' as const, killSwitchEngaged: true };
      const killed = await startFleet({ status: async () => ({ ...STATUS, bots: [killedTrend, STATUS.bots[1]!] }) });
      try {
        const out = (await run(['status'], { home: killed.home })).stdout;
        expect(out).toMatch(/Kill switch\s+off for the fleet; engaged for bot trend/);
        expect(out).toMatch(/^trend\s+online\s+HALTED \(kill switch\)\s+5020\.45/m);
        expect(out).toContain('trend: HALTED KILL_SWITCH: kill switch (2h 00m ago in market time)');
      } finally {
        await killed.close();
      }
    });

    it('test_status_when_the_fleet_is_halted_then_each_bot_row_names_the_fleet_as_the_cause', async () => {
      const fleetKilled = { state: 'HALTED' as const, reason: 'KILL_SWITCH', detail: 'kill switch', changedAt: MARKET_NOW - 60_000, flattenPending: false };
      const bots = STATUS.bots.map((bot) => (bot.botId === 'trend' ? { ...bot, effectiveState: 'HALTED' as const } : bot));
      const halted = await startFleet({ status: async () => ({ ...STATUS, state: fleetKilled, killSwitchEngaged: true, bots }) });
      try {
        const out = (await run(['status'], { home: halted.home })).stdout;
        expect(out).toMatch(/Fleet\s+paper, HALTED KILL_SWITCH: kill switch \(1m 00s ago in market time\)/);
        expect(out).toMatch(/Kill switch\s+ENGAGED for the fleet/);
        expect(out).toMatch(/^trend\s+online\s+HALTED \(fleet kill switch\)/m);
        expect(out).toMatch(/^grid\s+stopped\s+HALTED \(drawdown\)/m);
      } finally {
        await halted.close();
      }
    });

    it('test_tables_when_human_then_show_their_key_columns', async () => {
      const drawdown = (await cli('drawdown')).stdout;
      expect(drawdown).toMatch(/^SCOPE\s+WINDOW\s+CURRENT\s+THRESHOLD\s+PEAK EQUITY\s+ACTION/);
      expect(drawdown).toMatch(/fleet\s+1d\s+1\.20%\s+10\.00%\s+10400\s+HALTED/);
      expect((await cli('drawdown', '--set', '7.5')).stdout).toMatch(/fleet\s+1d\s+1\.20%\s+7\.50%/);

      const orders = (await cli('orders', '--open')).stdout;
      expect(orders).toMatch(/^CREATED \(MARKET TIME\)\s+BOT\s+CLIENT ORDER ID\s+INSTRUMENT\s+ROLE\s+SIDE\s+TYPE\s+QUANTITY\s+FILLED\s+LIMIT\s+TRIGGER\s+STATUS/);
      expect(orders).toMatch(/2026-03-01 11:59:00Z\s+trend\s+trend_0abcdefg_S2\s+BTCUSDT\.BYBIT\s+STOP\s+SELL\s+STOP_MARKET\s+0\.02\s+0\s+-\s+49000\s+ACCEPTED/);

      const positions = (await cli('positions')).stdout;
      expect(positions).toMatch(/^BOT\s+INSTRUMENT\s+QUANTITY\s+ENTRY\s+MARK\s+UNREALIZED\s+REALIZED\s+FEES/);
      expect(positions).toMatch(/trend\s+BTCUSDT\.BYBIT\s+0\.02\s+50000\s+51000\s+20\s+0\s+0\.55/);

      const pnl = (await cli('pnl')).stdout;
      expect(pnl).toMatch(/^BOT\s+CAPITAL\s+BALANCE\s+EQUITY\s+REALIZED\s+UNREALIZED\s+FEES/);
      expect(pnl).toMatch(/grid\s+5000\s+4590\s+4590\s+-405\s+0\s+5/);

      const decisions = (await cli('decisions', '--denied')).stdout;
      expect(decisions).toMatch(/^DECIDED \(MARKET TIME\)\s+BOT\s+INTENT\s+INSTRUMENT\s+OUTCOME\s+REASON/);
      expect(decisions).toMatch(/grid\s+grid-42\s+ETHUSDT\.BYBIT\s+DENIED\s+TRADING_HALTED\s+0\.5\s+-\s+-\s+85us\s+bot grid is HALTED/);
    });

    it('test_numbers_when_human_then_right_aligned', async () => {
      const lines = (await cli('pnl')).stdout.trimEnd().split('\n');
      const ends = lines.map((line) => line.length);
      // The last column (FEES) is right-aligned, so every line ends at the same place.
      expect(new Set(ends).size).toBe(1);
    });
  });
});
