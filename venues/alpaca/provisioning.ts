import type { SubAccountId } from '../../core/ids.ts';
import { readSecrets } from '../../supervisor/secrets/secrets-file.ts';
import { ProvisioningError, type AccountOutcome, type AccountPlan, type AccountProvisioner, type AccountsView, type ProvisionOutcome, type ProvisionPlan } from '../provisioning.ts';
import { AccountApi } from './account-api.ts';
import { classify, createClient, Redactor } from './client.ts';
import { resolveEnvironment, resolveTimeouts } from './config.ts';
import type { AlpacaSettings } from './settings.ts';

/**
 * `supervisor accounts provision --venue ALPACA`. Alpaca cannot create accounts for an ordinary user (no
 * sub-accounts; the Broker API is another product), so each bot's account and key pair are made by hand
 * (docs/live.md) and put in the secrets file. Provisioning checks each configured key pair with GET /v2/account and
 * shows the account it opens (number, status, paper or live, buying power); a missing or refused key pair fails,
 * named by its sub-account, never by its key. It changes nothing, at Alpaca or in the secrets file.
 */

export interface AlpacaProvisionerOptions {
  name: string;
  settings: AlpacaSettings;
  secretsPath: string;
}

type Checked = { ok: true; accountNumber: string; state: string; cash: string } | { ok: false; state: string };

export class AlpacaProvisioner implements AccountProvisioner {
  readonly #name: string;
  readonly #settings: AlpacaSettings;
  readonly #secretsPath: string;
  readonly #redactor = new Redactor();

  constructor(options: AlpacaProvisionerOptions) {
    this.#name = options.name;
    this.#settings = options.settings;
    this.#secretsPath = options.secretsPath;
  }

  /** "paper", "live", or "a stand-in" (a URL environment): which Alpaca the keys are for. */
  get #environment(): string {
    const { environment } = this.#settings;
    return environment === 'paper' || environment === 'live' ? environment : 'a stand-in';
  }

  async #check(subAccountId: SubAccountId): Promise<Checked> {
    const held = readSecrets(this.#secretsPath).venue(this.#name).accounts.get(subAccountId);
    if (held === undefined) return { ok: false, state: `no key pair in ${this.#secretsPath} (venues.${this.#name}.accounts.${subAccountId}): make the account and its keys at Alpaca and add them (docs/live.md)` };
    this.#redactor.add(held);
    const timeouts = resolveTimeouts({ ...this.#settings.timeouts });
    // No retries: a check that fails says so at once.
    const api = new AccountApi(createClient(resolveEnvironment(this.#settings.environment), held, timeouts));
    try {
      const account = await api.account();
      const state = `account ${account.accountNumber}, ${account.status}, ${this.#environment}, buying power ${account.buyingPower.toString()}`;
      if (account.status !== 'ACTIVE') return { ok: false, state: `${state}: the account is not ACTIVE, so it cannot trade` };
      return { ok: true, accountNumber: account.accountNumber, state, cash: account.cash.toString() };
    } catch (error) {
      const failure = classify(error, this.#redactor);
      if (failure.kind === 'REFUSED' && (failure.status === 401 || failure.status === 403)) {
        return { ok: false, state: `the key pair was refused by Alpaca (${this.#environment}; HTTP ${failure.status}): check it is this account's ${this.#environment} key pair, not revoked` };
      }
      return { ok: false, state: `Alpaca could not be asked: ${failure.message}` };
    }
  }

  async view(subAccountIds: readonly SubAccountId[]): Promise<AccountsView> {
    const accounts = [];
    for (const subAccountId of subAccountIds) {
      const checked = await this.#check(subAccountId);
      accounts.push(checked.ok ? { subAccountId, uid: checked.accountNumber, balance: checked.cash, note: checked.state } : { subAccountId, uid: null, balance: null, note: checked.state });
    }
    return { venue: this.#name, masterUid: null, accounts, problem: null };
  }

  /** The dry run: which key pairs would be checked; asks Alpaca nothing. */
  async plan(subAccountIds: readonly SubAccountId[]): Promise<ProvisionPlan> {
    const held = readSecrets(this.#secretsPath).venue(this.#name).accounts;
    const accounts: AccountPlan[] = subAccountIds.map((subAccountId) =>
      held.has(subAccountId)
        ? { subAccountId, uid: null, steps: [{ step: 'CHECK_ACCOUNT_KEY', detail: `read the account of ${subAccountId}'s key pair (GET /v2/account, ${this.#environment})` }], state: 'key pair in the secrets file, not yet checked' }
        : { subAccountId, uid: null, steps: [], state: `no key pair in the secrets file: Alpaca cannot create accounts; make one by hand and add its keys (docs/live.md)` },
    );
    return { venue: this.#name, accounts, warnings: [ALPACA_WARNING] };
  }

  async provision(subAccountIds: readonly SubAccountId[]): Promise<ProvisionOutcome> {
    const accounts: AccountOutcome[] = [];
    const failed: SubAccountId[] = [];
    for (const subAccountId of subAccountIds) {
      const checked = await this.#check(subAccountId);
      accounts.push({ subAccountId, uid: checked.ok ? checked.accountNumber : null, done: checked.ok ? ['CHECK_ACCOUNT_KEY'] : [], state: checked.state });
      if (!checked.ok) failed.push(subAccountId);
    }
    const first = failed[0];
    const failure = first === undefined ? null : new ProvisioningError(this.#name, 'CHECK_ACCOUNT_KEY', first, `${failed.length} of ${subAccountIds.length} key pair${subAccountIds.length === 1 ? '' : 's'} failed the check (${failed.join(', ')}); see each account above`);
    return { venue: this.#name, accounts, warnings: [ALPACA_WARNING], failure };
  }

  close(): void {}
}

const ALPACA_WARNING = 'Alpaca cannot create accounts or move money between them: each bot needs its own Alpaca account and key pair, made and funded by hand';
