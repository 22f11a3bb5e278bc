/**
 * Errors are named by what happens next (after Freqtrade): the catcher decides by class, not by message.
 * Messages name the problem and never carry secrets; see redact.ts for what is scrubbed from foreign errors.
 */

/** Input from outside (configuration, CLI arguments, candles, venue replies) is unusable; refuse it and say why. */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

/** Configuration cannot be used; a human must fix it before this component starts. */
export class ConfigurationError extends InvalidInputError {
  override name = 'ConfigurationError';
}

/** A broken invariant: stop the process so that crash recovery rebuilds state from the stores. */
export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

/** Another process already writes this file; this one must not start. */
export class StoreLockedError extends Error {
  override name = 'StoreLockedError';
}

/** A venue call failed in a way that may pass; retry with backoff, then reconcile by client order ID. */
export class TemporaryVenueError extends Error {
  override name = 'TemporaryVenueError';
}

/**
 * A request may have reached the venue and its outcome could not be learned, even by asking the venue by client
 * order ID: leave the order as the ledger has it (PENDING_SUBMIT, its in-flight lock held) and let reconciliation
 * settle it by client order ID. Never send it again under a new ID.
 */
export class OutcomeUnknownError extends TemporaryVenueError {
  override name = 'OutcomeUnknownError';
}

/** A venue reply did not have the shape its protocol promises; do not trust it, reconcile instead. */
export class VenueReplyError extends InvalidInputError {
  override name = 'VenueReplyError';
}

/** A bot's own strategy code threw or returned nonsense; the call is discarded (no order), counted and reported. */
export class BotCodeError extends Error {
  override name = 'BotCodeError';
}
