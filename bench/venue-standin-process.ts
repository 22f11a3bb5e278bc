import { DEFAULT_INSTRUMENTS } from '../supervisor/config/fleet-config.ts';
import { BybitStandin } from '../venues/bybit/standin/standin.ts';

/**
 * The stand-in for the venue benchmark, in its own process as an exchange would be: BTCUSDT at 60000, rate limits
 * off. Prints {url, key, secret, uid} (the master key) as one JSON line, then serves until its stdin closes.
 */
const standin = await BybitStandin.start({ instruments: DEFAULT_INSTRUMENTS.filter((entry) => entry.id === 'BTCUSDT.BYBIT'), market: { kind: 'manual' }, rateLimits: {} });
standin.pushCandle('BTCUSDT', { open: '60000', high: '60000', low: '60000', close: '60000' });
process.stdout.write(`${JSON.stringify({ url: standin.url, ...standin.master })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void standin.stop().then(() => process.exit(0)));
