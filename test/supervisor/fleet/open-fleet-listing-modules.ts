import { registerHooks } from 'node:module';

/**
 * Run as its own process by supervisor-loads-no-bot-code.test.ts: opens a Fleet exactly as the supervisor does
 * and prints every module URL this process loaded meanwhile, so the test can see whether any came from a bot folder.
 */
const loaded: string[] = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
const { Fleet } = await import('../../../supervisor/fleet/fleet.ts');
const { silentLogger } = await import('../../../core/logger.ts');
const [home = '', botsRoot = '', configPath = ''] = process.argv.slice(2);
const fleet = await Fleet.open({ home, botsRoot, configPath, logger: silentLogger, pm2: null, ports: { control: 0, metrics: 0 } });
const report = { loaded, bots: fleet.discovered.map((bot) => [bot.folder, bot.status, bot.reason]), notes: Object.fromEntries(fleet.strategyNotes) };
await fleet.close();
process.stdout.write(`${JSON.stringify(report)}\n`);
