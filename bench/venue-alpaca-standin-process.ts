import { AlpacaStandin } from '../venues/alpaca/standin/standin.ts';

/**
 * The Alpaca stand-in for the venue benchmark, in its own process as an exchange would be: the fleet's catalog, QQQ
 * at 480, one account. Prints {url, key, secret} as one JSON line, then serves until its stdin closes.
 */
const standin = await AlpacaStandin.start({ market: { kind: 'manual' } });
const account = standin.createAccount();
standin.pushBar('QQQ', { open: '480', high: '480', low: '480', close: '480' });
process.stdout.write(`${JSON.stringify({ url: standin.url, key: account.key, secret: account.secret })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void standin.stop().then(() => process.exit(0)));
