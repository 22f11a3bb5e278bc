// pm2's view of the fleet: the supervisor and one app per bot folder that loads. `npm start` is the usual way
// in; this file lets `npx pm2 start ecosystem.config.js` do the same by hand. Folders that fail to load are
// left out here, and `npx supervisor bots` says why.
import { discoverBots } from './supervisor/discovery/discover.ts';
import { botApp, fleetEnvironment, supervisorApp } from './supervisor/pm2/apps.ts';

const fleet = fleetEnvironment();
const loaded = discoverBots(fleet.botsRoot).filter((bot) => bot.status === 'LOADED');

export const apps = [supervisorApp(fleet), ...loaded.map((bot) => botApp(fleet, bot))];
export default { apps };
