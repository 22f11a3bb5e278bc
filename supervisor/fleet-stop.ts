import { botAppName, Pm2Client, SUPERVISOR_APP } from './pm2/pm2-client.ts';

/**
 * `npm stop`: removes Flotilla's apps from pm2 — the supervisor first, so nothing restarts the bots behind our
 * back, then every bot. The owner's other pm2 apps are never touched.
 */
const pm2 = new Pm2Client();
try {
  await pm2.connect();
  const names = (await pm2.list()).map((description) => description.name ?? '');
  const bots = names.filter((name) => name.startsWith(botAppName('')));
  if (names.includes(SUPERVISOR_APP)) await pm2.delete(SUPERVISOR_APP);
  for (const name of new Set(bots)) await pm2.delete(name);
  process.stdout.write(names.length === 0 ? 'Flotilla was not running.\n' : `Stopped ${names.includes(SUPERVISOR_APP) ? 'the supervisor and ' : ''}${new Set(bots).size} bot(s).\n`);
} finally {
  pm2.disconnect();
}
