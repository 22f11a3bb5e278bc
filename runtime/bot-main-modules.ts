/**
 * Every module a bot process loads besides its own strategy, named once so warm-compile-cache.ts compiles
 * exactly what bot-main.ts will need.
 */
export * as decimal from '../core/decimal.ts';
export * as logger from '../core/logger.ts';
export * as protocol from '../core/protocol.ts';
export * as discover from '../supervisor/discovery/discover.ts';
export * as manifest from '../supervisor/discovery/manifest.ts';
export * as paths from '../supervisor/paths.ts';
export * as channel from './channel-client.ts';
export * as host from './strategy-host.ts';
export * as sizing from './sizing.ts';
