import type { BotStatus, FleetStatus, ScopeStateInfo } from '../control/fleet-control.ts';
import type { CliCommand } from './command.ts';
import { age, duration, percentOfFraction, table } from './format.ts';
import { emit } from './output.ts';

/** `supervisor status`: the fleet's state and kill switch, then one row per bot. */

function describeState(state: ScopeStateInfo): string {
  const reason = state.reason === null ? '' : ` ${state.reason}`;
  const detail = state.detail === '' ? '' : `: ${state.detail}`;
  const flatten = state.flattenPending ? ' (flatten pending)' : '';
  return `${state.state}${reason}${detail}${flatten}`;
}

function botRow(bot: BotStatus, now: number): string[] {
  // A bot held back by the fleet rather than by itself is marked, so the operator resumes the right scope.
  const state = bot.effectiveState === bot.state.state ? bot.effectiveState : `${bot.effectiveState} (fleet)`;
  return [
    bot.botId,
    bot.process.status,
    state,
    bot.equity,
    `${percentOfFraction(bot.drawdown.current)} / ${percentOfFraction(bot.drawdown.threshold)}`,
    String(bot.openPositions.length),
    String(bot.openOrders),
    `${age(bot.lastHeartbeatAt, now)}${bot.connected ? '' : ' (disconnected)'}`,
  ];
}

export function renderStatus(status: FleetStatus, now: number): string {
  const lines = [
    `Fleet        ${status.mode}, ${describeState(status.state)}`,
    `Kill switch  ${status.killSwitchEngaged ? 'ENGAGED' : 'off'}`,
    ...(status.metricsExposedOn === undefined ? [] : [`Metrics      EXPOSED beyond loopback on ${status.metricsExposedOn}`]),
    `Equity       ${status.equity}, drawdown ${percentOfFraction(status.drawdown.current)} of ${percentOfFraction(status.drawdown.threshold)} ` +
      `(then ${status.drawdown.action}, ${duration(status.drawdown.windowMs)} window)`,
    `Supervisor   pid ${status.supervisor.pid}, up ${duration(now - status.supervisor.startedAt)}` +
      (status.supervisor.clockSpeed === 1 ? '' : `, clock x${status.supervisor.clockSpeed}`),
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
        { header: 'HEARTBEAT' },
      ],
      status.bots.map((bot) => botRow(bot, now)),
    ),
  );
  const restricted = status.bots.filter((bot) => bot.state.state !== 'ACTIVE');
  if (restricted.length > 0) {
    lines.push('', ...restricted.map((bot) => `${bot.botId}: ${describeState(bot.state)} (${age(bot.state.changedAt, now)})`));
  }
  return lines.join('\n');
}

export const commands: CliCommand[] = [
  {
    name: 'status',
    summary: 'show the fleet state, the kill switch and every bot',
    run: async (invocation) => {
      const status = await invocation.supervisor().get<FleetStatus>('/v1/status');
      emit(invocation, status, (data) => renderStatus(data, invocation.now()));
    },
  },
];
