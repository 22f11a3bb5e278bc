/**
 * Every module a bot process loads besides its own strategy, named once so the load probe (probe-strategy.ts)
 * compiles exactly what bot-main.ts will need into the bot's compile cache.
 */
export * as decimal from '../core/decimal.ts';
export * as logger from '../core/logger.ts';
export * as protocol from '../core/protocol.ts';
export * as manifest from '../supervisor/discovery/manifest.ts';
export * as channel from './channel-client.ts';
export * as confine from './confine-process.ts';
export * as guard from './import-guard.ts';
export * as loader from './strategy-loader.ts';
export * as host from './strategy-host.ts';
export * as sizing from './sizing.ts';
