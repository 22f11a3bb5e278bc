import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A scripted strategy: every `every`-th candle of its first timeframe with nothing open it enters in the direction of
 * the last close, with a stop and a take-profit; it notes the regime (UP or DOWN) on every candle and why it did not
 * enter; with `throwEvery` it throws on every such call, as buggy bot code does.
 */
export const SCRIPTED_STRATEGY = `
import { z } from 'zod';
import { Decimal, defineStrategy } from 'flotilla/strategy';

const parameters = z.strictObject({ every: z.number().int().positive(), throwEvery: z.number().int().min(0), stopFraction: z.number().positive(), rewardRisk: z.number().positive(), riskFraction: z.number().positive(), exitAfter: z.number().int().min(0) });

export default defineStrategy({
  interfaceVersion: 1,
  parameters,
  notes: { REGIME: ['UP', 'DOWN'], ENTRY_BLOCKED: ['IN_POSITION', 'COOLDOWN', 'ORDER_OPEN'] },
  create({ parameters: p, timeframes }) {
    let calls = 0;
    const last = new Map();
    const heldSince = new Map();
    return {
      onCandle(candle, state) {
        if (candle.timeframe !== timeframes[0]) return [];
        calls++;
        if (p.throwEvery > 0 && calls % p.throwEvery === 0) throw new Error('scripted failure');
        const previous = last.get(candle.instrumentId);
        last.set(candle.instrumentId, candle.close);
        if (previous === undefined) return [];
        const up = candle.close.gte(previous);
        const actions = [{ type: 'NOTE', name: 'REGIME', value: up ? 'UP' : 'DOWN', instrumentId: candle.instrumentId }];
        const position = state.positions.get(candle.instrumentId);
        if (position !== undefined && !position.quantity.isZero()) {
          if (!heldSince.has(candle.instrumentId)) heldSince.set(candle.instrumentId, calls);
          if (p.exitAfter > 0 && calls - heldSince.get(candle.instrumentId) >= p.exitAfter) return [...actions, { type: 'EXIT', instrumentId: candle.instrumentId, reason: 'held long enough' }];
          return [...actions, { type: 'NOTE', name: 'ENTRY_BLOCKED', value: 'IN_POSITION' }];
        }
        heldSince.delete(candle.instrumentId);
        if (state.openOrders.some((order) => order.instrumentId === candle.instrumentId)) return [...actions, { type: 'NOTE', name: 'ENTRY_BLOCKED', value: 'ORDER_OPEN' }];
        if (calls % p.every !== 0) return [...actions, { type: 'NOTE', name: 'ENTRY_BLOCKED', value: 'COOLDOWN' }];
        const close = candle.close.toNumber();
        const distance = close * p.stopFraction;
        return [...actions, {
          type: 'ENTER',
          instrumentId: candle.instrumentId,
          side: up ? 'BUY' : 'SELL',
          size: { kind: 'RISK', riskFraction: Decimal.fromNumber(p.riskFraction, 6) },
          orderType: 'MARKET',
          stopLoss: Decimal.fromNumber(up ? close - distance : close + distance, 8),
          takeProfit: Decimal.fromNumber(up ? close + p.rewardRisk * distance : close - p.rewardRisk * distance, 8),
          reason: 'scripted',
        }];
      },
    };
  },
});
`;

export interface BotSpec {
  id: string;
  timeframes: string[];
  instruments?: string[];
  /** BYBIT unless given (ALPACA for equities). */
  venue?: string;
  parameters?: Record<string, number>;
  maxNotionalPerOrder?: string;
}

export function writeBot(botsDir: string, spec: BotSpec): void {
  const folder = join(botsDir, spec.id);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'strategy.ts'), SCRIPTED_STRATEGY);
  writeFileSync(
    join(folder, 'manifest.json'),
    JSON.stringify({
      id: spec.id,
      name: `Scripted ${spec.id}`,
      interfaceVersion: 1,
      venue: spec.venue ?? 'BYBIT',
      subAccount: spec.id,
      instruments: spec.instruments ?? ['BTCUSDT.BYBIT', 'ETHUSDT.BYBIT'],
      timeframes: spec.timeframes,
      risk: {
        riskPerTrade: '0.01',
        maxOpenRisk: '0.05',
        maxNotionalPerOrder: spec.maxNotionalPerOrder ?? '40000',
        maxAdds: 0,
        orderRateLimit: { maxRequests: 100, windowMs: 1000 },
        drawdown: { threshold: '0.9', windowMs: 86_400_000, action: 'HALTED' },
      },
      parameters: { every: 7, throwEvery: 0, stopFraction: 0.004, rewardRisk: 1.5, riskFraction: 0.004, exitAfter: 0, ...spec.parameters },
    }),
  );
}

