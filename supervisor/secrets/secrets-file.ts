import { closeSync, existsSync, fsyncSync, lstatSync, openSync, readFileSync, realpathSync, renameSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigurationError } from '../../core/errors.ts';
import { parseSubAccountId, type SubAccountId } from '../../core/ids.ts';
import { PROJECT_ROOT } from '../paths.ts';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../private-files.ts';

/**
 * The venue keys: one API key per sub-account, and the master key that provisions them, in one JSON file that only
 * the supervisor and the operator CLI read. It lives outside the repository (a commit can never carry it), is the
 * owner's alone (0600, refused when wider or owned by someone else), and is written whole or not at all. Nothing
 * read from it is ever part of a message: errors name the file, the venue and the sub-account, never a value.
 *
 * {
 *   "version": 1,
 *   "venues": {
 *     "BYBIT": {
 *       "master": { "key": "...", "secret": "..." },
 *       "accounts": { "aggressive": { "key": "...", "secret": "...", "uid": "10123", "capitalTransferId": "..." } }
 *     }
 *   }
 * }
 */

export interface VenueKey {
  readonly key: string;
  readonly secret: string;
}

/** A sub-account's key and, where the venue numbers its accounts, the account's number there. */
export interface AccountKey extends VenueKey {
  readonly uid?: string;
  /**
   * The venue's ID of the transfer that gave the account its starting capital, once the venue confirmed it: what
   * tells `supervisor accounts provision` the account is funded, long after the venue stops listing the transfer.
   */
  readonly capitalTransferId?: string;
}

export interface VenueSecrets {
  readonly master?: VenueKey;
  readonly accounts: ReadonlyMap<SubAccountId, AccountKey>;
}

// Printable ASCII only: a key that is not is a copy-paste accident, and saying which key without showing it helps.
const keyText = z.string().regex(/^[\x21-\x7e]{1,256}$/, { message: 'must be 1-256 printable characters without spaces' });
const venueKeySchema = z.strictObject({ key: keyText, secret: keyText });
const accountKeySchema = venueKeySchema.extend({
  uid: z.string().regex(/^[0-9]{1,20}$/, { message: 'must be the account number Bybit gave it' }).optional(),
  capitalTransferId: z.string().regex(/^[0-9A-Za-z-]{1,64}$/, { message: 'must be the transfer ID the venue confirmed' }).optional(),
});
const secretsSchema = z.strictObject({
  version: z.literal(1),
  venues: z.record(
    z.string().regex(/^[A-Z][A-Z0-9]{1,15}$/, { message: 'a venue name is 2-16 capitals and digits, as in instrument IDs' }),
    z.strictObject({ master: venueKeySchema.optional(), accounts: z.record(z.string(), accountKeySchema).default({}) }),
  ),
});

/** $FLOTILLA_SECRETS, else ~/.config/flotilla/secrets.json ($XDG_CONFIG_HOME honoured): never inside the checkout. */
export function defaultSecretsPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLOTILLA_SECRETS !== undefined && env.FLOTILLA_SECRETS !== '') return resolve(env.FLOTILLA_SECRETS);
  const configHome = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(configHome, 'flotilla', 'secrets.json');
}

/** The nearest existing folder of a path, symlinks resolved, so a link into the checkout is seen for what it is. */
function realFolder(path: string): string {
  let folder = dirname(resolve(path));
  while (!existsSync(folder)) folder = dirname(folder);
  return realpathSync(folder);
}

function insideProject(path: string, projectRoot: string): boolean {
  const inside = relative(realpathSync(projectRoot), realFolder(path));
  return inside === '' || (!inside.startsWith('..') && !isAbsolute(inside));
}

/** Why the file may not hold keys, or null: inside the checkout, wider than 0600, someone else's, not a file. */
function placeProblem(path: string, projectRoot: string): string | null {
  if (insideProject(path, projectRoot)) return `lies inside the project folder ${projectRoot}, where a commit or a bot could reach it; keep it elsewhere (default ${defaultSecretsPath({})})`;
  if (!existsSync(path)) return null;
  const stat = lstatSync(path);
  if (!stat.isFile()) return 'is not a regular file';
  if ((stat.mode & 0o077) !== 0) return `is readable or writable by others (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}); run chmod 600 on it`;
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) return 'belongs to another user';
  return null;
}

export class Secrets {
  readonly path: string;
  readonly #venues: Map<string, VenueSecrets>;

  constructor(path: string, venues: Map<string, VenueSecrets>) {
    this.path = path;
    this.#venues = venues;
  }

  venue(name: string): VenueSecrets {
    return this.#venues.get(name) ?? { accounts: new Map() };
  }

  /** The sub-account keys of one venue, as its adapter takes them. */
  credentials(name: string): Map<SubAccountId, VenueKey> {
    return new Map([...this.venue(name).accounts].map(([subAccountId, account]) => [subAccountId, { key: account.key, secret: account.secret }]));
  }

  /** A copy with one sub-account's key set; the file is not touched until writeSecrets. */
  withAccount(name: string, subAccountId: SubAccountId, account: AccountKey): Secrets {
    const venues = new Map(this.#venues);
    const venue = this.venue(name);
    venues.set(name, { ...venue, accounts: new Map([...venue.accounts, [subAccountId, account]]) });
    return new Secrets(this.path, venues);
  }

  /** A copy with a venue's master key set. */
  withMaster(name: string, master: VenueKey): Secrets {
    const venues = new Map(this.#venues);
    venues.set(name, { ...this.venue(name), master });
    return new Secrets(this.path, venues);
  }

  toJSON(): z.input<typeof secretsSchema> {
    return {
      version: 1,
      venues: Object.fromEntries(
        [...this.#venues].map(([name, venue]) => [
          name,
          {
            ...(venue.master === undefined ? {} : { master: { key: venue.master.key, secret: venue.master.secret } }),
            accounts: Object.fromEntries([...venue.accounts].map(([subAccountId, account]) => [
                subAccountId,
                {
                  key: account.key,
                  secret: account.secret,
                  ...(account.uid === undefined ? {} : { uid: account.uid }),
                  ...(account.capitalTransferId === undefined ? {} : { capitalTransferId: account.capitalTransferId }),
                },
              ])),
          },
        ]),
      ),
    };
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key ${issue.keys.join(', ')}`;
  // A record key's own message ("a venue name is ...") sits one level down.
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  return issue.message;
}

/** Reads the keys; a file that does not exist yet holds none. Every problem is a ConfigurationError naming the file and where in it. */
export function readSecrets(path: string, projectRoot: string = PROJECT_ROOT): Secrets {
  const problem = placeProblem(path, projectRoot);
  if (problem !== null) throw new ConfigurationError(`secrets file ${path} ${problem}`);
  if (!existsSync(path)) return new Secrets(path, new Map());
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // JSON.parse quotes the text around a mistake, and here that text is a key: only the fact is said.
    throw new ConfigurationError(`secrets file ${path} is not valid JSON`);
  }
  const parsed = secretsSchema.safeParse(input);
  if (!parsed.success) {
    const where = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${describeIssue(issue)}`);
    throw new ConfigurationError(`secrets file ${path}: ${where.join('; ')}`);
  }
  const venues = new Map<string, VenueSecrets>();
  for (const [name, venue] of Object.entries(parsed.data.venues)) {
    const accounts = new Map<SubAccountId, AccountKey>();
    for (const [subAccount, account] of Object.entries(venue.accounts)) {
      let subAccountId: SubAccountId;
      try {
        subAccountId = parseSubAccountId(subAccount);
      } catch (error) {
        throw new ConfigurationError(`secrets file ${path}: venues.${name}.accounts: ${(error as Error).message}`);
      }
      accounts.set(subAccountId, account);
    }
    venues.set(name, { ...(venue.master === undefined ? {} : { master: venue.master }), accounts });
  }
  return new Secrets(path, venues);
}

/** Writes the whole file anew (0600, its folder 0700 when created) through a temporary file and a rename: never half a file. */
export function writeSecrets(secrets: Secrets, projectRoot: string = PROJECT_ROOT): void {
  const { path } = secrets;
  const problem = placeProblem(path, projectRoot);
  if (problem !== null) throw new ConfigurationError(`secrets file ${path} ${problem}`);
  const folder = dirname(path);
  if (!existsSync(folder)) ensurePrivateDir(folder);
  const temporary = `${path}.${process.pid}.tmp`;
  const descriptor = openSync(temporary, 'wx', PRIVATE_FILE_MODE);
  try {
    writeSync(descriptor, `${JSON.stringify(secrets.toJSON(), null, 2)}\n`);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  renameSync(temporary, path);
}
