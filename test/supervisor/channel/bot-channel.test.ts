import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BTC, FleetHarness, botIdOf, entryCommand, marketLong, quietBot, restingLong, venueView } from '../fleet/fleet-harness.ts';
import { PROTOCOL_VERSION } from '../../../core/protocol.ts';

/**
 * Who may speak on the bot channel: each bot proves itself with its own token, and whatever it sends is taken
 * as coming from that bot only. Real fleet, real Unix socket.
 */
describe('bot channel authentication', () => {
  let h: FleetHarness;

  beforeEach(async () => {
    h = await FleetHarness.open({ bots: [quietBot('alpha'), quietBot('bravo', { instruments: ['BTCUSDT.BYBIT', 'ETHUSDT.BYBIT'] })] });
  });
  afterEach(async () => {
    await h.dispose();
  });

  const decisionsOf = (botId: string) => h.fleet.om.recentDecisions(1_000).filter((decision) => decision.botId === botId);
  const ordersOf = (botId: string) => h.fleet.om.ledger(botIdOf(botId)).recentOrders(1_000);

  it('test_hello_when_token_is_wrong_then_refused_bad_token_and_no_command_is_ever_read', async () => {
    // Arrange
    const raw = await h.raw();
    const intent = entryCommand({ botId: 'alpha', intentId: 'sneaky-1', instrumentId: BTC, side: 'BUY', quantity: '0.01', stopLoss: h.priceAt(BTC, '0.9') });
    // Act: the hello and a command arrive in one write, so the command is already buffered when the hello fails.
    raw.write(`${JSON.stringify({ t: 'hello', botId: 'alpha', token: 'f'.repeat(64), protocol: PROTOCOL_VERSION })}\n${JSON.stringify({ t: 'command', seq: 1, command: intent })}\n`);
    const refused = await raw.waitFor((line) => line.t === 'refused', 'a refusal');
    await raw.closed;
    // Assert
    expect(refused).toMatchObject({ t: 'refused', code: 'BAD_TOKEN' });
    expect(raw.lines.map((line) => line.t)).toEqual(['refused']);
    expect(h.fleet.sessions.isConnected(botIdOf('alpha'))).toBe(false);
    expect(decisionsOf('alpha')).toEqual([]);
    expect(ordersOf('alpha')).toEqual([]);
  });

  it('test_channel_client_when_token_is_wrong_then_refused_for_good_and_its_commands_stay_unanswered', async () => {
    // Arrange
    const bot = h.bot('alpha', { token: '0'.repeat(64) });
    // Act
    const refused = await bot.refusal();
    bot.send(marketLong(h, 'alpha', 'after-refusal', BTC, '0.01'));
    // A well-behaved bot's round trip shows the channel is alive and has read everything sent before it.
    const bravo = await h.connectedBot('bravo');
    await bravo.execute(marketLong(h, 'bravo', 'bravo-1', BTC, '0.01'));
    // Assert
    expect(refused.code).toBe('BAD_TOKEN');
    expect(bot.client.connected).toBe(false);
    expect(bot.client.pending()).toBe(1);
    expect(bot.welcomes()).toBe(0);
    expect(h.fleet.sessions.isConnected(bot.botId)).toBe(false);
    expect(decisionsOf('alpha')).toEqual([]);
    expect(ordersOf('alpha')).toEqual([]);
    // Refused once, and the client did not keep knocking.
    expect(h.logs.filter((entry) => entry.message.startsWith('bot channel refused a connection')).length).toBe(1);
  });

  it('test_hello_when_bot_claims_another_bots_id_with_its_own_token_then_refused_bad_token', async () => {
    // Arrange
    const raw = await h.raw();
    // Act
    raw.hello('bravo', h.token('alpha'));
    const refused = await raw.waitFor((line) => line.t === 'refused', 'a refusal');
    await raw.closed;
    // Assert
    expect(refused).toMatchObject({ code: 'BAD_TOKEN' });
    const status = await h.fleet.control.status();
    expect(status.bots.map((bot) => [bot.botId, bot.connected])).toEqual([
      ['alpha', false],
      ['bravo', false],
    ]);
  });

  it('test_hello_when_bot_id_is_unknown_then_refused_unknown_bot', async () => {
    // Arrange
    const raw = await h.raw();
    // Act
    raw.hello('mallory', h.token('alpha'));
    const refused = await raw.waitFor((line) => line.t === 'refused', 'a refusal');
    await raw.closed;
    // Assert
    expect(refused).toMatchObject({ code: 'UNKNOWN_BOT' });
    expect(String(refused.message)).toContain('mallory');
  });

  it('test_first_message_when_not_hello_or_wrong_protocol_then_refused_protocol', async () => {
    // Arrange
    const first = await h.raw();
    const second = await h.raw();
    // Act
    first.write({ t: 'heartbeat', rssBytes: 1 });
    second.write({ t: 'hello', botId: 'alpha', token: h.token('alpha'), protocol: 99 });
    const [a, b] = await Promise.all([first.waitFor((line) => line.t === 'refused', 'a refusal'), second.waitFor((line) => line.t === 'refused', 'a refusal')]);
    // Assert
    expect(a).toMatchObject({ code: 'PROTOCOL' });
    expect(b).toMatchObject({ code: 'PROTOCOL' });
    expect(String(b.message)).toContain('99');
  });

  it('test_submit_order_when_intent_names_another_bot_then_denied_and_nothing_recorded_for_either', async () => {
    // Arrange
    const alpha = await h.connectedBot('alpha');
    // Act
    const result = await alpha.execute(marketLong(h, 'bravo', 'spoofed-1', BTC, '0.01'));
    // Assert
    expect(result).toMatchObject({ kind: 'command', outcome: 'DENIED', reason: 'INVALID_INTENT' });
    expect(result.kind === 'command' ? result.detail : '').toContain('bravo');
    expect(decisionsOf('bravo')).toEqual([]);
    expect(decisionsOf('alpha')).toEqual([]);
    expect(ordersOf('bravo')).toEqual([]);
    expect(ordersOf('alpha')).toEqual([]);
    expect(await venueView(h.fleet, 'alpha')).toEqual({ orders: [], positions: [] });
    expect(await venueView(h.fleet, 'bravo')).toEqual({ orders: [], positions: [] });
  });

  it('test_cancel_when_naming_another_bot_or_its_order_then_denied_and_the_order_stays_open', async () => {
    // Arrange: bravo has a resting order.
    const alpha = await h.connectedBot('alpha');
    const bravo = await h.connectedBot('bravo');
    const placed = await bravo.execute(restingLong(h, 'bravo', 'bravo-rest', BTC, '0.01'));
    if (placed.kind !== 'decision') throw new Error('expected a decision');
    const bravoOrder = String(placed.decision.clientOrderId);
    // Act
    const namingBravo = await alpha.execute({ type: 'CANCEL_ORDER', botId: 'bravo', clientOrderId: bravoOrder });
    const bravosOrder = await alpha.execute({ type: 'CANCEL_ORDER', botId: 'alpha', clientOrderId: bravoOrder });
    const moveBravos = await alpha.execute({ type: 'MOVE_STOP', botId: 'alpha', intentId: 'move-1', clientOrderId: bravoOrder, triggerPrice: h.priceAt(BTC, '0.4') });
    // Assert
    expect(namingBravo).toMatchObject({ kind: 'command', outcome: 'DENIED', reason: 'INVALID_INTENT' });
    expect(bravosOrder).toMatchObject({ kind: 'command', outcome: 'DENIED', reason: 'NOT_OWN_ORDER' });
    expect(moveBravos).toMatchObject({ kind: 'command', outcome: 'DENIED', reason: 'NOT_OWN_ORDER' });
    expect(h.fleet.om.ledger(bravo.botId).order(bravoOrder as never)?.status).toBe('ACCEPTED');
    expect(ordersOf('alpha')).toEqual([]);
  });

  it('test_second_hello_when_already_authenticated_then_ignored_and_the_session_stays_its_own', async () => {
    // Arrange
    const raw = await h.raw();
    raw.hello('alpha', h.token('alpha'));
    await raw.waitFor((line) => line.t === 'welcome', 'a welcome');
    // Act: a second hello claiming bravo, then a command naming bravo.
    raw.hello('bravo', h.token('alpha'));
    raw.write({ t: 'command', seq: 7, command: marketLong(h, 'bravo', 'spoofed-2', BTC, '0.01') });
    const result = await raw.waitFor((line) => line.t === 'result' && line.seq === 7, 'the result');
    // Assert
    expect(result.result).toMatchObject({ kind: 'command', outcome: 'DENIED', reason: 'INVALID_INTENT' });
    expect(decisionsOf('bravo')).toEqual([]);
    expect([...h.fleet.manifests.keys()].filter((id) => h.fleet.sessions.isConnected(id))).toEqual(['alpha']);
  });

  it('test_malformed_line_when_authenticated_then_ignored_and_the_session_goes_on', async () => {
    // Arrange
    const raw = await h.raw();
    raw.hello('alpha', h.token('alpha'));
    await raw.waitFor((line) => line.t === 'welcome', 'a welcome');
    // Act
    raw.write('this is not json\n');
    raw.write({ t: 'command', seq: 1, command: { type: 'SUBMIT_ORDER', intent: { botId: 'alpha' } } });
    raw.write({ t: 'command', seq: 2, command: marketLong(h, 'alpha', 'alpha-ok', BTC, '0.01') });
    const result = await raw.waitFor((line) => line.t === 'result' && line.seq === 2, 'the result');
    // Assert: the two malformed lines got no answer; the good command was decided.
    expect(raw.lines.filter((line) => line.t === 'result').map((line) => line.seq)).toEqual([2]);
    expect(result.result).toMatchObject({ kind: 'decision', decision: { outcome: 'APPROVED', botId: 'alpha' } });
  });
});
