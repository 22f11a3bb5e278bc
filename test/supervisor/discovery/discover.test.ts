import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverBots } from '../../../supervisor/discovery/discover.ts';
import { makeBotsRoot, manifest, removeBotsRoot } from '../fleet/fleet-harness.ts';

describe('discoverBots', () => {
  const botsRoot = makeBotsRoot([
    { folder: 'linked', manifest: manifest('linked') },
    { folder: 'deep-link', manifest: manifest('deeplink') },
    { folder: 'plain', manifest: manifest('plain') },
  ]);
  afterAll(() => removeBotsRoot(botsRoot));

  it('test_discover_when_a_bot_folder_holds_a_symbolic_link_then_load_failed_naming_it', () => {
    // Arrange: links to where another bot's secrets would be, at the top and deeper down.
    symlinkSync('/tmp', join(botsRoot, 'linked', 'home'));
    mkdirSync(join(botsRoot, 'deep-link', 'models'));
    symlinkSync('../../plain/manifest.json', join(botsRoot, 'deep-link', 'models', 'model.json'));
    // Act
    const found = new Map(discoverBots(botsRoot).map((bot) => [bot.folder, bot]));
    // Assert
    expect(found.get('linked')).toMatchObject({ status: 'LOAD_FAILED', reason: expect.stringMatching(/^home is a symbolic link/) });
    expect(found.get('deep-link')).toMatchObject({ status: 'LOAD_FAILED', reason: expect.stringMatching(/^models\/model\.json is a symbolic link/) });
    expect(found.get('plain')).toMatchObject({ status: 'LOADED' });
  });
});
