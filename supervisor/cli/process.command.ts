import type { ProcessInfo } from '../control/fleet-control.ts';
import { botArgument } from './arguments.ts';
import type { CliCommand } from './command.ts';
import { orDash } from './format.ts';
import { emit } from './output.ts';

/** `supervisor start|stop|restart <bot>`: one bot's process under the process manager. */

function processCommand(action: 'start' | 'stop' | 'restart', summary: string): CliCommand {
  return {
    name: action,
    summary,
    configure: (command) => {
      command.argument('<bot>', 'bot id, as listed by "supervisor bots"');
    },
    run: async (invocation) => {
      const botId = botArgument(invocation.args[0], '<bot>');
      const info = await invocation.supervisor().post<ProcessInfo>(`/v1/bots/${botId}/${action}`, {});
      emit(invocation, info, (data) => `${botId}: ${data.status} (pid ${orDash(data.pid)}, restarts ${data.restarts})`);
    },
  };
}

export const commands: CliCommand[] = [
  processCommand('start', 'start a bot'),
  processCommand('stop', 'stop a bot (its open orders and positions stay as they are)'),
  processCommand('restart', 'restart a bot'),
];
