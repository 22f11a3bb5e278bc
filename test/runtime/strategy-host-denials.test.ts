import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { BotCodeError } from '../../core/errors.ts';
import { parseBotId, parseInstrumentId } from '../../core/ids.ts';
import { defineStrategy } from '../../core/strategy.ts';
import type { EntryDenial, StrategyModule } from '../../core/strategy.ts';
import { StrategyHost } from '../../runtime/strategy-host.ts';

const BTC = parseInstrumentId('BTCUSDT.BYBIT');

function hostWith(onEntryDenied: ((denial: EntryDenial) => void) | undefined): { host: StrategyHost; errors: BotCodeError[] } {
  const errors: BotCodeError[] = [];
  const module = defineStrategy({
    interfaceVersion: 1,
    parameters: z.strictObject({}),
    create: () => (onEntryDenied === undefined ? { onCandle: () => [] } : { onCandle: () => [], onEntryDenied }),
  }) as StrategyModule;
  const host = new StrategyHost({ botId: parseBotId('alpha'), module, parameters: {}, instruments: [BTC], timeframes: ['1m'], onBotCodeError: (error) => errors.push(error) });
  return { host, errors };
}

describe('the strategy host tells a strategy of its denied entries', () => {
  it('hands the strategy a copy of each denial', () => {
    const seen: EntryDenial[] = [];
    const { host, errors } = hostWith((denial) => {
      seen.push(denial);
      (denial as { reason: string }).reason = 'SCRIBBLED';
    });
    const denial: EntryDenial = { instrumentId: BTC, reason: 'IN_FLIGHT_LOCK', decidedAt: 1 };
    host.entryDenied(denial);
    expect(seen).toHaveLength(1);
    expect(denial.reason).toBe('IN_FLIGHT_LOCK');
    expect(errors).toEqual([]);
  });

  it('turns a throw in onEntryDenied into a BotCodeError, and a strategy without the hook is left alone', () => {
    const { host, errors } = hostWith(() => {
      throw new Error('boom');
    });
    expect(() => host.entryDenied({ instrumentId: BTC, reason: 'WOULD_HEDGE', decidedAt: 1 })).not.toThrow();
    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining('onEntryDenied threw on BTCUSDT.BYBIT WOULD_HEDGE: boom')]);
    const quiet = hostWith(undefined);
    quiet.host.entryDenied({ instrumentId: BTC, reason: 'WOULD_HEDGE', decidedAt: 1 });
    expect(quiet.errors).toEqual([]);
  });
});
