import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotListing } from '../../../supervisor/control/fleet-control.ts';
import { botTokenPath } from '../../../supervisor/paths.ts';
import { FleetHarness, manifest, QUIET_STRATEGY, quietBot } from './fleet-harness.ts';
import type { BotFolder } from './fleet-harness.ts';

const PERIOD_STRATEGY = `import { z } from 'zod';
import { defineStrategy } from 'flotilla/strategy';

export default defineStrategy({
  interfaceVersion: 1,
  parameters: z.strictObject({ period: z.number().int().min(2) }),
  create() {
    return { onCandle: () => [] };
  },
});
`;

/** Fixture folders, deliberately broken in one way each (after Freqtrade's broken fixture strategies). */
const FOLDERS: BotFolder[] = [
  quietBot('good'),
  { folder: 'bad-json', manifest: '{ "id": "badjson", "name": ' },
  { folder: 'unknown-key', manifest: manifest('unknownkey', { colour: 'red' }) },
  { folder: 'no-strategy', manifest: manifest('nostrategy'), strategy: null },
  { folder: 'no-manifest' },
  { folder: 'throws-on-import', manifest: manifest('throwsonimport'), strategy: `throw new Error('exploded while importing');\nexport default {};\n` },
  { folder: 'bad-parameters', manifest: manifest('badparameters', { parameters: { period: 1 } }), strategy: PERIOD_STRATEGY },
  { folder: 'extra-parameter', manifest: manifest('extraparameter', { parameters: { period: 5, colour: 'red' } }), strategy: PERIOD_STRATEGY },
  { folder: 'no-default-export', manifest: manifest('nodefault'), strategy: `export const strategy = 1;\n` },
  { folder: 'wrong-interface', manifest: manifest('wronginterface'), strategy: PERIOD_STRATEGY.replace('interfaceVersion: 1', 'interfaceVersion: 2').replace('min(2)', 'min(0)').replace('{ period: z.number().int().min(0) }', '{}') },
  { folder: 'unknown-instrument', manifest: manifest('unknowninstr', { instruments: ['FOOUSDT.BYBIT'] }) },
  { folder: 'twin-a', manifest: manifest('twin', { subAccount: 'twin-a' }) },
  { folder: 'twin-b', manifest: manifest('twin', { subAccount: 'twin-b' }) },
  { folder: 'shares-a', manifest: manifest('sharesa', { subAccount: 'shared' }) },
  { folder: 'shares-b', manifest: manifest('sharesb', { subAccount: 'shared' }) },
  // The order manager wants a sub-account unique across venues; a pair that is not must not stop the fleet.
  { folder: 'venue-bybit', manifest: manifest('venuebybit', { subAccount: 'twovenues' }) },
  { folder: 'venue-alpaca', manifest: manifest('venuealpaca', { venue: 'ALPACA', subAccount: 'twovenues', instruments: ['QQQ.ALPACA'] }) },
  { folder: 'risk-over-open', manifest: manifest('riskoveropen', { risk: { ...(manifest('x').risk as object), riskPerTrade: '0.05', maxOpenRisk: '0.02' } }) },
  { folder: 'risk-not-fraction', manifest: manifest('risknotfrac', { risk: { ...(manifest('x').risk as object), riskPerTrade: '2', maxOpenRisk: '3' } }) },
  { folder: 'zero-notional', manifest: manifest('zeronotional', { risk: { ...(manifest('x').risk as object), maxNotionalPerOrder: '0' } }) },
  { folder: 'imports-net', manifest: manifest('importsnet'), strategy: `import 'node:net';\n${QUIET_STRATEGY}` },
  { folder: 'imports-elsewhere', manifest: manifest('importselse'), strategy: `import '../../../supervisor/paths.ts';\n${QUIET_STRATEGY}` },
  { folder: 'reads-home-at-import', manifest: manifest('readshome'), strategy: `import { readFileSync } from 'node:fs';\nreadFileSync(process.env.FLOTILLA_BOT_TOKEN_FILE ?? '/etc/hostname');\n${QUIET_STRATEGY}` },
  { folder: 'spawns-at-import', manifest: manifest('spawns'), strategy: `process.binding('spawn_sync');\n${QUIET_STRATEGY}` },
  { folder: '_helpers', manifest: manifest('helpers') },
  { folder: '.hidden', manifest: manifest('hidden') },
];

describe('bot discovery through Fleet.open', () => {
  let h: FleetHarness;
  let listing: Map<string, BotListing>;

  beforeAll(async () => {
    h = await FleetHarness.open({ bots: FOLDERS });
    listing = new Map((await h.fleet.control.bots()).map((bot) => [bot.folder, bot]));
    // A dozen strategies, each loaded by its own probe process on a cold compile cache.
  }, 60_000);
  afterAll(async () => {
    await h.dispose();
  });

  const row = (folder: string): BotListing => {
    const found = listing.get(folder);
    if (found === undefined) throw new Error(`no row for ${folder}`);
    return found;
  };

  it('test_discover_when_folders_are_broken_then_the_good_bot_still_loads_and_runs', async () => {
    // Assert
    expect([...h.fleet.manifests.keys()]).toEqual(['good']);
    expect(row('good')).toMatchObject({ status: 'LOADED', reason: null, botId: 'good' });
    const good = await h.connectedBot('good');
    expect(good.client.connected).toBe(true);
  });

  it('test_discover_when_helper_or_hidden_folder_then_not_listed', () => {
    expect(listing.has('_helpers')).toBe(false);
    expect(listing.has('.hidden')).toBe(false);
    expect(listing.size).toBe(FOLDERS.length - 2);
  });

  it.each([
    ['bad-json', /manifest\.json: .*JSON/i],
    ['unknown-key', /colour/],
    ['no-strategy', /no strategy\.ts/],
    ['no-manifest', /no manifest\.json/],
    ['throws-on-import', /exploded while importing/],
    ['bad-parameters', /parameters: period: /],
    ['extra-parameter', /parameters: .*colour/],
    ['no-default-export', /must default-export defineStrategy/],
    ['wrong-interface', /interfaceVersion 2/],
    ['unknown-instrument', /FOOUSDT\.BYBIT/],
    ['risk-over-open', /manifest\.json: .*riskPerTrade: 0\.05 is larger than maxOpenRisk \(0\.02\)/],
    ['risk-not-fraction', /manifest\.json: .*riskPerTrade: must be a fraction/],
    ['zero-notional', /manifest\.json: .*maxNotionalPerOrder: must be greater than zero/],
    ['imports-net', /may not import "node:net"/],
    ['imports-elsewhere', /may not import "\.\.\/\.\.\/\.\.\/supervisor\/paths\.ts"/],
    ['reads-home-at-import', /ERR_ACCESS_DENIED: Access to this API has been restricted/],
    ['spawns-at-import', /ERR_ACCESS_DENIED: process\.binding/],
  ])('test_discover_when_folder_%s_is_broken_then_load_failed_with_a_reason_naming_the_problem', (folder, reason) => {
    expect(row(folder)).toMatchObject({ folder, status: 'LOAD_FAILED' });
    expect(row(folder).reason).toMatch(reason);
  });

  it('test_discover_when_two_folders_claim_one_bot_id_then_both_duplicate_naming_each_other', () => {
    expect(row('twin-a')).toMatchObject({ status: 'DUPLICATE', botId: 'twin' });
    expect(row('twin-b')).toMatchObject({ status: 'DUPLICATE', botId: 'twin' });
    expect(row('twin-a').reason).toContain('twin-b');
    expect(row('twin-b').reason).toContain('twin-a');
  });

  it('test_discover_when_two_bots_claim_one_sub_account_then_both_duplicate', () => {
    expect(row('shares-a')).toMatchObject({ status: 'DUPLICATE' });
    expect(row('shares-b')).toMatchObject({ status: 'DUPLICATE' });
    expect(row('shares-a').reason).toContain('sub-account');
  });

  it('test_discover_when_two_bots_on_different_venues_share_a_sub_account_then_both_duplicate_and_the_fleet_starts', () => {
    expect(row('venue-bybit')).toMatchObject({ status: 'DUPLICATE' });
    expect(row('venue-alpaca')).toMatchObject({ status: 'DUPLICATE' });
    expect(row('venue-bybit').reason).toMatch(/sub-account twovenues is also claimed by venue-alpaca/);
    expect(h.fleet.omConfig.bots.size).toBe(1);
  });

  it('test_hello_when_bot_did_not_load_then_it_has_no_token_and_is_refused_unknown_bot', async () => {
    // Arrange
    expect(existsSync(botTokenPath(h.home, 'twin'))).toBe(false);
    expect(existsSync(botTokenPath(h.home, 'badparameters'))).toBe(false);
    const raw = await h.raw();
    // Act
    raw.hello('twin', h.token('good'));
    const refused = await raw.waitFor((line) => line.t === 'refused', 'a refusal');
    // Assert
    expect(refused).toMatchObject({ code: 'UNKNOWN_BOT' });
  });

  it('test_open_when_folders_fail_then_each_is_logged_with_its_reason', () => {
    const logged = h.logs.filter((entry) => entry.message === 'bot folder not loaded').map((entry) => entry.fields.folder);
    expect(new Set(logged)).toEqual(new Set([...listing.values()].filter((bot) => bot.status !== 'LOADED').map((bot) => bot.folder)));
  });
});
