import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS, limitHeaders, RateLimiter } from '../../../../venues/bybit/standin/rate-limits.ts';

describe('per-UID rate limits', () => {
  it("uses Bybit's default linear limits: 10/s for order create, amend and cancel, 50/s for order and position reads", () => {
    expect(DEFAULT_RATE_LIMITS['POST /v5/order/create']).toBe(10);
    expect(DEFAULT_RATE_LIMITS['POST /v5/order/amend']).toBe(10);
    expect(DEFAULT_RATE_LIMITS['POST /v5/order/cancel']).toBe(10);
    expect(DEFAULT_RATE_LIMITS['GET /v5/order/realtime']).toBe(50);
    expect(DEFAULT_RATE_LIMITS['GET /v5/position/list']).toBe(50);
  });

  it('counts a rolling one-second window per UID and route, and says when it frees a request again', () => {
    const limiter = new RateLimiter({ 'POST /v5/order/create': 3 });
    const route = 'POST /v5/order/create';
    expect(limiter.admit(1, route, 1_000)).toEqual({ limit: 3, remaining: 2, resetAt: 1_000, granted: 1 });
    limiter.admit(1, route, 1_400);
    expect(limiter.admit(1, route, 1_900)).toEqual({ limit: 3, remaining: 0, resetAt: 2_000, granted: 1 });
    expect(limiter.admit(1, route, 1_999)).toEqual({ limit: 3, remaining: 0, resetAt: 2_000, granted: 0 });
    // Another UID, or another route, has its own window.
    expect(limiter.admit(2, route, 1_999)?.granted).toBe(1);
    expect(limiter.admit(1, 'GET /v5/market/time', 1_999)).toBeNull();
    // At 2000 the request of 1000 has left the window.
    expect(limiter.admit(1, route, 2_000)).toEqual({ limit: 3, remaining: 0, resetAt: 2_400, granted: 1 });
  });

  it('grants a batch the units that fit and refuses the rest', () => {
    const limiter = new RateLimiter({ 'POST /v5/order/cancel-batch': 10 });
    expect(limiter.admit(1, 'POST /v5/order/cancel-batch', 0, 7)?.granted).toBe(7);
    expect(limiter.admit(1, 'POST /v5/order/cancel-batch', 10, 5)).toMatchObject({ granted: 3, remaining: 0, resetAt: 1_000 });
  });

  it('writes the X-Bapi-Limit headers', () => {
    expect(limitHeaders({ limit: 10, remaining: 4, resetAt: 123 })).toEqual({ 'X-Bapi-Limit': '10', 'X-Bapi-Limit-Status': '4', 'X-Bapi-Limit-Reset-Timestamp': '123' });
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new RateLimiter({ 'POST /v5/order/create': 0 })).toThrow(/positive integer/);
  });
});
