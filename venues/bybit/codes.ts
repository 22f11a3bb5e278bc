import type { RejectionReason } from '../../core/order.ts';

/**
 * Bybit's retCodes, sorted by what the adapter does next. A reply with a non-zero retCode (HTTP 200) was refused
 * and not carried out, except for the server-side timeouts and errors, whose outcome is unknown.
 */

export type CodeClass =
  | { kind: 'OK' }
  /** Refused for good: report the refusal with this reason. */
  | { kind: 'REFUSED'; reason: RejectionReason; hint: string }
  /** The key, its permissions or its IP binding: a human must act; report the refusal. */
  | { kind: 'ACCESS'; hint: string }
  /** The per-UID limit: not carried out; wait for the reset and send again. */
  | { kind: 'RATE_LIMITED' }
  /** The timestamp was outside the receive window: measure the clock offset again and send once more. */
  | { kind: 'CLOCK' }
  /** Bybit may or may not have carried it out: ask by orderLinkId before anything else. */
  | { kind: 'UNKNOWN_OUTCOME' }
  /** The named order does not exist, or has already ended. */
  | { kind: 'NOT_FOUND' }
  /** The orderLinkId is taken: the order exists; ask for it. */
  | { kind: 'DUPLICATE' };

const TABLE: Record<number, CodeClass> = {
  0: { kind: 'OK' },
  10000: { kind: 'UNKNOWN_OUTCOME' },
  10016: { kind: 'UNKNOWN_OUTCOME' },
  10019: { kind: 'UNKNOWN_OUTCOME' },
  10014: { kind: 'UNKNOWN_OUTCOME' },
  10001: { kind: 'REFUSED', reason: 'INVALID_ORDER', hint: 'a parameter Bybit refused' },
  10002: { kind: 'CLOCK' },
  10003: { kind: 'ACCESS', hint: 'the API key is not known to this Bybit environment: check the sub-account key and the environment (demo, testnet, mainnet)' },
  10004: { kind: 'ACCESS', hint: 'the signature did not match: check the sub-account secret' },
  10005: { kind: 'ACCESS', hint: 'the API key lacks a permission: it needs ContractTrade Order and Position' },
  10007: { kind: 'ACCESS', hint: 'user authentication failed' },
  10010: { kind: 'ACCESS', hint: "this machine's IP is not among the key's bound IPs" },
  10027: { kind: 'ACCESS', hint: 'trading is banned on this account' },
  10028: { kind: 'ACCESS', hint: 'the sub-account is not a unified trading account' },
  33004: { kind: 'ACCESS', hint: 'the API key has expired' },
  10006: { kind: 'RATE_LIMITED' },
  10018: { kind: 'RATE_LIMITED' },
  110001: { kind: 'NOT_FOUND' },
  110008: { kind: 'NOT_FOUND' },
  110010: { kind: 'NOT_FOUND' },
  110072: { kind: 'DUPLICATE' },
  110003: { kind: 'REFUSED', reason: 'INVALID_ORDER', hint: 'the price is outside the allowed range' },
  110004: { kind: 'REFUSED', reason: 'INSUFFICIENT_BALANCE', hint: 'insufficient wallet balance' },
  110007: { kind: 'REFUSED', reason: 'INSUFFICIENT_BALANCE', hint: 'insufficient available balance' },
  110012: { kind: 'REFUSED', reason: 'INSUFFICIENT_BALANCE', hint: 'insufficient available balance' },
  110017: { kind: 'REFUSED', reason: 'REDUCE_ONLY_WOULD_INCREASE', hint: 'there is no opposite position for a reduce-only order to reduce' },
  110020: { kind: 'REFUSED', reason: 'VENUE_ERROR', hint: 'too many active orders on the symbol' },
  110092: { kind: 'REFUSED', reason: 'INVALID_ORDER', hint: 'the last price has already risen past the trigger price of this rising stop' },
  110093: { kind: 'REFUSED', reason: 'INVALID_ORDER', hint: 'the last price has already fallen past the trigger price of this falling stop' },
  110094: { kind: 'REFUSED', reason: 'INVALID_ORDER', hint: 'the notional is below the minimum order value' },
};

export function classifyCode(retCode: number): CodeClass {
  // Any other non-zero code is a refusal: Bybit did not carry the request out.
  return TABLE[retCode] ?? { kind: 'REFUSED', reason: 'VENUE_ERROR', hint: 'refused by Bybit' };
}

/** "Bybit 110093 (expect Falling, ...): the last price has already fallen past ..." */
export function refusalDetail(retCode: number, retMsg: string, hint?: string): string {
  const words = hint ?? (() => {
    const found = classifyCode(retCode);
    return found.kind === 'REFUSED' || found.kind === 'ACCESS' ? found.hint : '';
  })();
  return `Bybit ${retCode} (${retMsg})${words === '' ? '' : `: ${words}`}`;
}
