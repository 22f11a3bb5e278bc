import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InstrumentId } from '../../core/ids.ts';
import type { CommandResultWire, WireCommand } from '../../core/protocol.ts';
import { BTC, ETH, FleetHarness, SOL, botIdOf, ledgerView, omEvent, quietBot, restingLong, until, venueView } from '../supervisor/fleet/fleet-harness.ts';
import type { TestBot } from '../supervisor/fleet/fleet-harness.ts';

const INSTRUMENTS: InstrumentId[] = [BTC, ETH, SOL];
const QUANTITY: Record<string, string> = { [BTC]: '0.01', [ETH]: '0.5', [SOL]: '5' };

/**
 * The bot's end of the channel: an outbox of unanswered commands, sent again after every reconnect. The order
 * manager is idempotent on intent IDs, so across any drop each intent becomes exactly one set of orders.
 */
describe('channel client reconnects', () => {
  let h: FleetHarness;

  beforeEach(async () => {
    h = await FleetHarness.open({ bots: [quietBot('alpha', { instruments: INSTRUMENTS })] });
  });
  afterEach(async () => {
    await h.dispose();
  });

  /** One resting limit entry per instrument: each is three orders (entry, stop, take-profit), all open at the venue. */
  const commands = (prefix: string): WireCommand[] => INSTRUMENTS.map((instrument) => restingLong(h, 'alpha', `${prefix}-${instrument.split('.')[0]}`, instrument, QUANTITY[instrument]!));

  /** Steals alpha's session with a second connection, so the supervisor drops the client's socket. */
  async function dropConnection(bot: TestBot): Promise<void> {
    const intruder = await h.raw();
    intruder.hello('alpha', h.token('alpha'));
    await intruder.waitFor((line) => line.t === 'welcome', 'the intruder welcomed');
    await until(() => !bot.client.connected, 'the client sees its connection dropped');
    intruder.destroy();
  }

  async function expectExactlyOneOrderSetPerIntent(results: CommandResultWire[], intentIds: string[]): Promise<void> {
    await h.fleet.om.idle();
    expect(results.map((result) => (result.kind === 'decision' ? [result.decision.intentId, result.decision.outcome] : result))).toEqual(intentIds.map((id) => [id, 'APPROVED']));
    const ledger = h.fleet.om.ledger(botIdOf('alpha'));
    for (const intentId of intentIds) expect(ledger.ordersForIntent(intentId as never).map((order) => order.role)).toEqual(['ENTRY', 'STOP', 'TAKE_PROFIT']);
    expect(ledger.recentOrders(1_000)).toHaveLength(3 * intentIds.length);
    const books = ledgerView(h.fleet, 'alpha');
    expect(books.orders).toHaveLength(3 * intentIds.length);
    expect(await venueView(h.fleet, 'alpha')).toEqual(books);
  }

  it('test_send_when_disconnected_then_commands_go_out_after_reconnect_and_each_makes_exactly_one_order', async () => {
    // Arrange
    const bot = await h.connectedBot('alpha', { reconnectMs: 20 });
    const welcomesBefore = bot.messages.length;
    await dropConnection(bot);
    // Act: sent while disconnected.
    const batch = commands('offline');
    const seqs = batch.map((command) => bot.send(command));
    expect(bot.client.connected).toBe(false);
    expect(bot.client.pending()).toBe(batch.length);
    await bot.welcome(welcomesBefore);
    const results = await Promise.all(seqs.map((seq) => bot.result(seq)));
    // Assert
    expect(bot.client.pending()).toBe(0);
    await expectExactlyOneOrderSetPerIntent(results, batch.map((command) => (command.type === 'SUBMIT_ORDER' ? command.intent.intentId : '')));
  });

  it('test_send_when_connection_drops_in_flight_then_resent_commands_make_no_duplicate', async () => {
    // Arrange
    const bot = await h.connectedBot('alpha', { reconnectMs: 20 });
    const intruder = await h.raw();
    const welcomesBefore = bot.messages.length;
    const batch = commands('inflight');
    // Act: the commands and the hello that steals the session leave in the same tick; the supervisor may or may
    // not read the commands before it drops the old socket, and the client cannot know which.
    const seqs = batch.map((command) => bot.send(command));
    intruder.hello('alpha', h.token('alpha'));
    await bot.welcome(welcomesBefore);
    const results = await Promise.all(seqs.map((seq) => bot.result(seq)));
    // Assert
    expect(bot.welcomes()).toBe(2);
    await expectExactlyOneOrderSetPerIntent(results, batch.map((command) => (command.type === 'SUBMIT_ORDER' ? command.intent.intentId : '')));
  });

  it('test_resend_when_results_were_lost_with_the_connection_then_recorded_decisions_come_back_and_no_duplicate', async () => {
    // Arrange: a first connection sends the batch and dies without reading a single result.
    const batch = commands('lost');
    const intentIds = batch.map((command) => (command.type === 'SUBMIT_ORDER' ? command.intent.intentId : ''));
    let decided = 0;
    const allDecided = omEvent(h.fleet, (event) => (event.type === 'DECISION_MADE' && ++decided === batch.length ? true : undefined), 'the first batch decided');
    const first = await h.raw();
    first.hello('alpha', h.token('alpha'));
    batch.forEach((command, index) => first.write({ t: 'command', seq: index + 1, command }));
    first.destroy();
    await allDecided;
    const originals = h.fleet.om.recentDecisions(10).reverse();
    // Act: the restarted bot sends the same commands, same intent IDs.
    const bot = await h.connectedBot('alpha');
    const results = await Promise.all(batch.map((command) => bot.execute(command)));
    // Assert
    expect(results.map((result) => (result.kind === 'decision' ? result.decision.clientOrderId : null))).toEqual(originals.map((decision) => decision.clientOrderId));
    await expectExactlyOneOrderSetPerIntent(results, intentIds);
  });

  it('test_close_when_client_is_closed_then_it_never_reconnects', async () => {
    // Arrange
    const bot = await h.connectedBot('alpha', { reconnectMs: 5 });
    // Act
    bot.close();
    await until(() => !h.fleet.sessions.isConnected(bot.botId), 'the supervisor sees the bot gone');
    // A second, well-behaved connection proves the channel still accepts alpha, and nobody took its place since.
    const other = await h.connectedBot('alpha');
    await other.execute({ type: 'CANCEL_ORDER', botId: 'alpha', clientOrderId: 'alpha_00000000_E1' });
    // Assert
    expect(bot.client.connected).toBe(false);
    expect(bot.welcomes()).toBe(1);
    expect(other.client.connected).toBe(true);
  });
  // Regression: the supervisor wrote a new random token for every bot at every start, so a bot connected across a
  // supervisor restart was refused BAD_TOKEN and its outbox dropped.
  it('test_reconnect_when_supervisor_restarts_then_the_bot_is_welcomed_again_and_its_queued_command_is_decided', async () => {
    // Arrange
    const bot = await h.connectedBot('alpha', { reconnectMs: 20 });
    const [command] = commands('over-restart');
    await h.closeFleet();
    const welcomes = bot.welcomes();
    // Act: the command is queued while the supervisor is down, then the supervisor comes back.
    const seq = bot.send(command!);
    await h.reopen();
    const outcome = await Promise.race([bot.welcome(bot.messages.length).then(() => 'welcomed'), bot.refusal().then((refusal) => `refused ${refusal.code}`)]);
    const result = await bot.result(seq);
    // Assert
    expect(outcome).toBe('welcomed');
    expect(bot.welcomes()).toBe(welcomes + 1);
    expect(result).toMatchObject({ kind: 'decision', decision: { outcome: 'APPROVED' } });
    expect(h.fleet.om.ledger(botIdOf('alpha')).recentOrders(100)).toHaveLength(3);
  });
});
