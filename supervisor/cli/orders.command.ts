import type { OrderInfo } from '../control/fleet-control.ts';
import { flag, optionalBot, optionalLimit } from './arguments.ts';
import type { CliCommand } from './command.ts';
import { orDash, table, time } from './format.ts';
import { emit } from './output.ts';

/** `supervisor orders`: recent orders from the bots' ledgers, newest first. */

export function renderOrders(orders: readonly OrderInfo[], openOnly: boolean): string {
  if (orders.length === 0) return openOnly ? 'No open orders.' : 'No orders.';
  return table(
    [
      { header: 'CREATED (MARKET TIME)' },
      { header: 'BOT' },
      { header: 'CLIENT ORDER ID' },
      { header: 'INSTRUMENT' },
      { header: 'ROLE' },
      { header: 'SIDE' },
      { header: 'TYPE' },
      { header: 'QUANTITY', align: 'right' },
      { header: 'FILLED', align: 'right' },
      { header: 'LIMIT', align: 'right' },
      { header: 'TRIGGER', align: 'right' },
      { header: 'STATUS' },
    ],
    orders.map((order) => [
      time(order.createdAt),
      order.botId,
      order.clientOrderId,
      order.instrumentId,
      order.role,
      order.side,
      order.type,
      order.quantity,
      order.filledQuantity,
      orDash(order.limitPrice),
      orDash(order.triggerPrice),
      order.status,
    ]),
  );
}

export const commands: CliCommand[] = [
  {
    name: 'orders',
    summary: 'list recent orders (all bots, or one with --bot)',
    configure: (command) => {
      command.option('--bot <id>', 'only this bot').option('--open', 'only orders still open').option('--limit <n>', 'at most this many, newest first (default 50)');
    },
    run: async (invocation) => {
      const bot = optionalBot(invocation.options);
      const openOnly = flag(invocation.options, 'open');
      const limit = optionalLimit(invocation.options);
      const orders = await invocation.supervisor().get<OrderInfo[]>('/v1/orders', { bot, open: openOnly ? '1' : undefined, limit });
      emit(invocation, orders, (data) => renderOrders(data, openOnly));
    },
  },
];
