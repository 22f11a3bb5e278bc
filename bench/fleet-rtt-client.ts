import { readFileSync } from 'node:fs';
import type { BotId } from '../core/ids.ts';
import { silentLogger } from '../core/logger.ts';
import type { SupervisorMessage, WireCommand } from '../core/protocol.ts';
import { ChannelClient } from '../runtime/channel-client.ts';
import { botSocketPath, botTokenPath } from '../supervisor/paths.ts';

/**
 * A bot process for the round-trip benchmark: sends intents one at a time over the real channel and times each
 * from send to decision. Prints the latencies (µs) as one JSON array on stdout.
 */
const home = process.env.FLOTILLA_HOME ?? '';
const botId = (process.env.BENCH_BOT ?? 'rtt') as BotId;
const count = Number(process.env.BENCH_INTENTS ?? 5000);
const instruments = (process.env.BENCH_INSTRUMENTS ?? 'BTCUSDT.BYBIT').split(',');
const latencies: number[] = [];
let sentAt = 0n;
let sent = 0;

function next(): void {
  if (sent === count) {
    process.stdout.write(JSON.stringify(latencies));
    client.close();
    return;
  }
  const instrumentId = instruments[sent % instruments.length] ?? 'BTCUSDT.BYBIT';
  sent++;
  // Entries with a stop far away: the order manager runs every rule on each; most end denied by a lock or a limit.
  const command: WireCommand = {
    type: 'SUBMIT_ORDER',
    intent: { intentId: `rtt-${process.pid}-${sent}`, botId, instrumentId, side: sent % 2 === 0 ? 'BUY' : 'SELL', size: { kind: 'RISK', riskFraction: '0.001' }, orderType: 'LIMIT', limitPrice: sent % 2 === 0 ? '1' : '1000000', reduceOnly: false, bracket: { stopLoss: sent % 2 === 0 ? '0.5' : '1100000' }, reason: 'rtt' },
  };
  sentAt = process.hrtime.bigint();
  client.send(command);
}

const client = new ChannelClient({
  socketPath: botSocketPath(home),
  botId,
  token: readFileSync(botTokenPath(home, botId), 'utf8').trim(),
  logger: silentLogger,
  onRefused: (code, message) => {
    process.stderr.write(`refused ${code}: ${message}\n`);
    process.exit(1);
  },
  onMessage: (message: SupervisorMessage) => {
    if (message.t === 'welcome') next();
    if (message.t === 'result') {
      latencies.push(Number(process.hrtime.bigint() - sentAt) / 1000);
      next();
    }
  },
});
client.start();
