/**
 * A child process for the durability test: it decides one approved entry and dies (SIGKILL) the moment the order
 * manager calls the venue, which is the window a crash could once leave an order without its decision.
 */
import { parseIntentId } from '../../../../core/ids.ts';
import { ALPHA, BTC, intent, makeHarness } from '../fixture.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: crash-at-send.ts <dir>');
const h = makeHarness(undefined, { dir });
h.price(BTC, '50000');
h.venue.submitOrder = async () => {
  process.kill(process.pid, 'SIGKILL');
};
h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { intentId: parseIntentId('crash-1'), quantity: '0.01', stop: '49000' }));
// Never reached: the process is gone inside submitIntent.
process.exit(3);
