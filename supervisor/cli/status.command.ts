import type { BotActivityInfo, BotStatus, FleetStatus, HourActivityInfo, ScopeStateInfo } from '../control/fleet-control.ts';
import { botArgument } from './arguments.ts';
import type { CliCommand } from './command.ts';
import type { Column } from './format.ts';
import { age, duration, orDash, percentOfFraction, table, time } from './format.ts';
import { emit } from './output.ts';

/**
 * `supervisor status`: the fleet's state and kill switch, then one row per bot. Two clocks meet here: state
 * changes are recorded in market time (the paper clock runs faster than real time and resumes where it stood after a
 * restart), heartbeats and uptime in wall time. Each age is taken against its own clock's now and says which.
 */

/** Why a scope is restricted, in a few words for the STATE column. */
const REASON_WORDS: Readonly<Record<string, string>> = {
  KILL_SWITCH: 'kill switch',
  DRAWDOWN_HALT: 'drawdown',
  OPERATOR_HALT: 'operator halt',
  HEARTBEAT_LOST: 'heartbeat lost',
};

function marketAge(at: number, status: FleetStatus): string {
  return `${age(at, status.supervisor.marketTime)} in market time`;
}

function describeState(state: ScopeStateInfo, status: FleetStatus): string {
  const reason = state.reason === null ? '' : ` ${state.reason}`;
  const detail = state.detail === '' ? '' : `: ${state.detail}`;
  const flatten = state.flattenPending ? ' (flatten pending)' : '';
  const since = state.state === 'ACTIVE' ? '' : ` (${marketAge(state.changedAt, status)})`;
  return `${state.state}${reason}${detail}${flatten}${since}`;
}

/** The bot's effective state and what holds it there: its own state, or the fleet's (marked "fleet"). */
function stateCell(bot: BotStatus, fleet: ScopeStateInfo): string {
  const own = bot.effectiveState === bot.state.state;
  const reason = own ? bot.state.reason : fleet.reason;
  const words = reason === null ? undefined : REASON_WORDS[reason];
  if (own) return words === undefined ? bot.effectiveState : `${bot.effectiveState} (${words})`;
  return `${bot.effectiveState} (fleet${words === undefined ? '' : ` ${words}`})`;
}

function botRow(bot: BotStatus, status: FleetStatus, now: number): string[] {
  return [
    bot.botId,
    bot.process.status,
    stateCell(bot, status.state),
    bot.equity,
    `${percentOfFraction(bot.drawdown.current)} / ${percentOfFraction(bot.drawdown.threshold)}`,
    bot.unprotectedPositions.length === 0 ? String(bot.openPositions.length) : `${bot.openPositions.length} (${bot.unprotectedPositions.length} UNPROTECTED)`,
    String(bot.openOrders),
    `${age(bot.lastHeartbeatAt, now)}${bot.connected ? '' : ' (disconnected)'}`,
  ];
}

function killSwitch(status: FleetStatus): string {
  const killed = status.bots.filter((bot) => bot.killSwitchEngaged).map((bot) => bot.botId);
  const bots = killed.length === 0 ? '' : `; engaged for ${killed.length === 1 ? 'bot' : 'bots'} ${killed.join(', ')}`;
  return status.killSwitchEngaged ? 'ENGAGED for the fleet' : `off${killed.length === 0 ? '' : ' for the fleet'}${bots}`;
}

/** "BELOW_BREADTH 3, NOT_FALLING 1": most frequent first. */
function byReason(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts).filter(([, count]) => count > 0);
  entries.sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  return entries.map(([reason, count]) => `${reason} ${count}`).join(', ');
}

interface HourColumn extends Column {
  /** The note the column counts; the column is left out for a bot whose strategy does not declare it. */
  note?: string;
  cell(hour: HourActivityInfo, current: boolean): string;
}

const HOUR_COLUMNS: readonly HourColumn[] = [
  { header: 'HOUR (UTC, MARKET TIME)', cell: (hour, current) => `${time(hour.hour).slice(0, 16)}Z${current ? ' (now)' : ''}` },
  { header: 'ACTIONABLE', align: 'right', note: 'route', cell: (hour) => String(hour.actionable) },
  { header: 'FILLED', align: 'right', cell: (hour) => String(hour.filled) },
  { header: 'SUPPRESSED', align: 'right', note: 'suppress', cell: (hour) => String(hour.suppressed) },
  { header: 'FLIP-FLOPS', align: 'right', note: 'flip_flop', cell: (hour) => String(hour.flipFlops) },
  { header: 'CLOSED', align: 'right', cell: (hour) => String(hour.closed) },
  { header: 'STOPPED OUT', align: 'right', cell: (hour) => String(hour.stoppedOut) },
  { header: 'STOP-OUT RATIO', align: 'right', cell: (hour) => (hour.stopOutRatio === null ? '-' : percentOfFraction(hour.stopOutRatio)) },
  { header: 'PEAK RISK IN USE', align: 'right', cell: (hour) => (hour.peakRiskInUse === null ? '-' : percentOfFraction(hour.peakRiskInUse)) },
  { header: 'SUPPRESSED BY', note: 'suppress', cell: (hour) => orDash(byReason(hour.suppressedBy)) },
];

/** The per-hour table of one bot: the current hour first; note columns only for the notes its strategy declares. */
export function renderActivity(bot: BotStatus, activity: BotActivityInfo): string {
  const risk = bot.riskInUse;
  const columns = HOUR_COLUMNS.filter((column) => column.note === undefined || activity.countedNotes.includes(column.note));
  const lines = [
    `Risk in use  ${percentOfFraction(risk.fraction)} of equity, target at most ${percentOfFraction(risk.target)} (open risk ${risk.openRisk})`,
    '',
    table(columns, activity.hours.map((hour, index) => columns.map((column) => column.cell(hour, index === 0)))),
  ];
  const blocked: Record<string, number> = {};
  for (const hour of activity.hours) for (const [reason, count] of Object.entries(hour.blockedBy)) blocked[reason] = (blocked[reason] ?? 0) + count;
  if (activity.countedNotes.includes('block')) lines.push('', `Blocked by the order manager in these hours: ${byReason(blocked) === '' ? 'none' : byReason(blocked)}`);
  const missing = ['route', 'suppress', 'flip_flop'].filter((note) => !activity.countedNotes.includes(note));
  if (missing.length > 0) lines.push('', `The bot's strategy makes no ${missing.map((note) => `"${note}"`).join(', ')} notes, so ${missing.length === 1 ? 'its column is' : 'their columns are'} left out.`);
  return lines.join('\n');
}

/** `now` is wall time (the CLI's clock); market-time ages use the supervisor's market clock from the status. */
export function renderStatus(status: FleetStatus, now: number): string {
  const { supervisor } = status;
  const lines = [
    `Fleet        ${status.mode}, ${describeState(status.state, status)}`,
    `Kill switch  ${killSwitch(status)}`,
    ...(status.metricsExposedOn === undefined ? [] : [`Metrics      EXPOSED beyond loopback on ${status.metricsExposedOn}`]),
    `Equity       ${status.equity}, drawdown ${percentOfFraction(status.drawdown.current)} of ${percentOfFraction(status.drawdown.threshold)} ` +
      `(then ${status.drawdown.action}, ${duration(status.drawdown.windowMs)} window)`,
    `Supervisor   pid ${supervisor.pid}, up ${duration(now - supervisor.startedAt)} (real time)`,
    `Market time  ${time(supervisor.marketTime)}, clock x${supervisor.clockSpeed}; state changes are aged in market time, heartbeats in real time`,
    '',
  ];
  if (status.bots.length === 0) {
    lines.push('No bots are running.');
    return lines.join('\n');
  }
  lines.push(
    table(
      [
        { header: 'BOT' },
        { header: 'PROCESS' },
        { header: 'STATE' },
        { header: 'EQUITY', align: 'right' },
        { header: 'DRAWDOWN/LIMIT', align: 'right' },
        { header: 'POSITIONS', align: 'right' },
        { header: 'ORDERS', align: 'right' },
        { header: 'HEARTBEAT (REAL TIME)' },
      ],
      status.bots.map((bot) => botRow(bot, status, now)),
    ),
  );
  const unreconciled = status.bots.filter((bot) => bot.reconciliation.state !== 'RECONCILED').map((bot) => `${bot.botId}: ${bot.reconciliation.state === 'FAILED' ? 'NOT RECONCILED' : 'reconciling'} with its venue, so it does not trade: ${bot.reconciliation.detail}`);
  if (unreconciled.length > 0) lines.push('', ...unreconciled);
  const unprotected = status.bots.flatMap((bot) => bot.unprotectedPositions.map((gap) => `${bot.botId}: UNPROTECTED ${gap.quantity} ${gap.instrumentId}, ${gap.uncovered} without a working stop (${gap.cause}); being repaired, see "supervisor decisions --bot ${bot.botId}"`));
  if (unprotected.length > 0) lines.push('', ...unprotected);
  const restricted = status.bots.filter((bot) => bot.state.state !== 'ACTIVE');
  if (restricted.length > 0) {
    lines.push('', ...restricted.map((bot) => `${bot.botId}: ${describeState(bot.state, status)}`));
  }
  for (const bot of status.bots) if (bot.activity !== undefined) lines.push('', renderActivity(bot, bot.activity));
  return lines.join('\n');
}

export const commands: CliCommand[] = [
  {
    name: 'status',
    summary: 'show the fleet state, the kill switch and every bot; with a bot, that bot and its figures per hour',
    configure: (command) => {
      command.argument('[bot]', 'one bot id: its row, its risk in use and its figures for the current hour and the six before');
    },
    run: async (invocation) => {
      const bot = invocation.args[0] === undefined ? undefined : botArgument(invocation.args[0], '[bot]');
      const status = await invocation.supervisor().get<FleetStatus>('/v1/status', { bot });
      emit(invocation, status, (data) => renderStatus(data, invocation.now()));
    },
  },
];
