import { describe, expect, it } from 'vitest';
import { makeClientOrderId, parseBotId } from '../../../core/ids.ts';
import { chainClientOrderId, flotillaIdOf, ocoClientOrderId, resentClientOrderId } from '../../../venues/alpaca/mapping.ts';

/** Alpaca's limit on client_order_id (VENUES.md); the composite wire IDs must stay inside it. */
const ALPACA_CLIENT_ORDER_ID_MAX = 128;

describe('Alpaca wire client_order_id of an exit pair', () => {
  // The longest Flotilla IDs there can be: a 16-character bot, the 8-digit epoch, and a 9-digit sequence.
  const bot = parseBotId('abcdefghijklmnop');
  const takeProfit = makeClientOrderId(bot, 'zzzzzzzz', 'TAKE_PROFIT', 36 ** 9 - 2);
  const stop = makeClientOrderId(bot, 'zzzzzzzz', 'STOP', 36 ** 9 - 1);

  it('fits Alpaca limit with the longest IDs, a resend and the last replace generation', () => {
    expect(takeProfit).toHaveLength(36);
    const resent = resentClientOrderId(ocoClientOrderId(takeProfit, stop), Number.MAX_SAFE_INTEGER, 35);
    const wire = chainClientOrderId(resent, 999_999);
    expect(wire.length).toBeLessThanOrEqual(ALPACA_CLIENT_ORDER_ID_MAX);
    expect(flotillaIdOf(wire)).toEqual({ id: takeProfit, generation: 999_999, stopLeg: stop, sentAs: resent });
  });

  it('names both Flotilla orders, so a restarted adapter pairs the leg from Alpaca alone', () => {
    expect(flotillaIdOf(ocoClientOrderId(takeProfit, stop))).toEqual({ id: takeProfit, generation: 0, stopLeg: stop, sentAs: `${takeProfit}.oco.${stop}` });
  });

  it('is never taken for a Flotilla order when either half is foreign', () => {
    expect(flotillaIdOf(`manual-order.oco.${stop}`)).toBeNull();
    expect(flotillaIdOf(`${takeProfit}.oco.manual-order`)).toBeNull();
  });
});
