import type { SubAccountId } from '../core/ids.ts';

/**
 * What `supervisor accounts` asks of a venue's adapter: each sub-account as the venue sees it, and provisioning
 * (the account, its trading key in the secrets file, its starting capital). An adapter that can provision
 * implements AccountProvisioner in its own folder; the command picks one by the venue's `adapter`, so nothing
 * here names a venue.
 */

/** One step of provisioning a sub-account, in the order they run. */
export type ProvisionStep =
  /** Reading the master key's own account: checks before anything is created. */
  | 'CHECK_MASTER_KEY'
  /** Reading an account with its own key pair, where the venue cannot create accounts (Alpaca): the key works. */
  | 'CHECK_ACCOUNT_KEY'
  /** Listing the accounts the master already has. */
  | 'LIST_ACCOUNTS'
  | 'CREATE_ACCOUNT'
  | 'CREATE_API_KEY'
  /** Writing the new key into the secrets file, before anything else happens to the account. */
  | 'SAVE_KEY'
  | 'ENABLE_TRANSFER'
  | 'TRANSFER_CAPITAL'
  /** Writing the confirmed transfer's ID into the secrets file: the account is provisioned. */
  | 'RECORD_TRANSFER';

export interface PlannedStep {
  step: ProvisionStep;
  /** For people: what exactly happens ("create sub-member flaggress1234567, a unified trading account"). */
  detail: string;
}

export interface AccountPlan {
  subAccountId: SubAccountId;
  /** The venue's number of the account, when it exists already. */
  uid: string | null;
  /** The steps still to run, in order; empty when the account is provisioned or is not provisioning's to touch. */
  steps: PlannedStep[];
  /** Where the account stands now, in a sentence. */
  state: string;
}

export interface ProvisionPlan {
  venue: string;
  accounts: AccountPlan[];
  /** Things the operator should know before going ahead (a master key that may withdraw, keys that expire). */
  warnings: string[];
}

export interface AccountOutcome {
  subAccountId: SubAccountId;
  uid: string | null;
  /** The steps that ran and succeeded, in order. */
  done: ProvisionStep[];
  /** Where the account stands after the run, in a sentence. */
  state: string;
}

export interface ProvisionOutcome {
  venue: string;
  accounts: AccountOutcome[];
  warnings: string[];
  /** The failure that stopped the run, or null; what ran before it is in `accounts` and stays done. */
  failure: ProvisioningError | null;
}

/** A sub-account as the venue and the secrets file see it, for `supervisor accounts`. */
export interface AccountView {
  subAccountId: SubAccountId;
  /** The venue's number of the account: from the secrets file, else as the master key finds it. */
  uid: string | null;
  /** USDT in the account (cash, without unrealized PnL), as the venue answered; null when it could not be read. */
  balance: string | null;
  /** Why there is no balance, or what is unusual; null when nothing is. */
  note: string | null;
}

export interface AccountsView {
  venue: string;
  /** The master account's number, when a master key is stored and the venue answered. */
  masterUid: string | null;
  accounts: AccountView[];
  /** What kept the venue from answering (unreachable, the master key refused), or null. */
  problem: string | null;
}

/** Hooks for tests: a crash between two steps is a hook that throws. */
export interface ProvisionHooks {
  afterStep?(step: ProvisionStep, subAccountId: SubAccountId | null): void | Promise<void>;
}

export interface AccountProvisioner {
  /** Each sub-account as the venue sees it; never throws for an account the venue cannot read (see `note`). */
  view(subAccountIds: readonly SubAccountId[]): Promise<AccountsView>;
  /** What provision would do; asks the venue, changes nothing. */
  plan(subAccountIds: readonly SubAccountId[]): Promise<ProvisionPlan>;
  /** Provisions every sub-account that is not yet; running it again does nothing new. */
  provision(subAccountIds: readonly SubAccountId[], hooks?: ProvisionHooks): Promise<ProvisionOutcome>;
  close(): void;
}

/**
 * Provisioning failed at one step. The message names the venue, the sub-account (if any), the step and the venue's
 * answer (its code and message), and never a key or a secret; what happens next is running provision again.
 */
export class ProvisioningError extends Error {
  override name = 'ProvisioningError';
  readonly step: ProvisionStep;
  readonly subAccountId: SubAccountId | null;

  constructor(venue: string, step: ProvisionStep, subAccountId: SubAccountId | null, detail: string) {
    super(`${venue}${subAccountId === null ? '' : `/${subAccountId}`}: ${step} failed: ${detail}`);
    this.step = step;
    this.subAccountId = subAccountId;
  }
}
