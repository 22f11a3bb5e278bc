import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { STRATEGY_INTERFACE_VERSION } from '../core/strategy.ts';
import type { StrategyModule } from '../core/strategy.ts';
import type { BotManifest } from '../supervisor/discovery/manifest.ts';
import { STRATEGY_FILE } from '../supervisor/discovery/manifest.ts';
import { guardStrategyImports } from './import-guard.ts';

/**
 * Imports a bot's strategy module and checks it against the contract and its manifest's parameters. Bot code runs
 * here, so this is called only where bot code may run: the bot's own process, its load probe, and the operator's
 * own commands (backtest, new-bot); never in the supervisor. The import rule is enforced wherever it is called.
 */
export async function loadStrategy(bot: { path: string; manifest: BotManifest }): Promise<{ module: StrategyModule; parameters: unknown }> {
  guardStrategyImports(bot.path);
  const imported = (await import(pathToFileURL(join(bot.path, STRATEGY_FILE)).href)) as { default?: unknown };
  const module = imported.default as Partial<StrategyModule> | undefined;
  if (module === undefined || typeof module !== 'object' || typeof module.create !== 'function' || module.parameters === undefined) {
    throw new Error(`${STRATEGY_FILE} must default-export defineStrategy({ interfaceVersion, parameters, create })`);
  }
  if (module.interfaceVersion !== STRATEGY_INTERFACE_VERSION) {
    throw new Error(`${STRATEGY_FILE} implements interfaceVersion ${String(module.interfaceVersion)}, not ${STRATEGY_INTERFACE_VERSION}`);
  }
  const parsed = module.parameters.safeParse(bot.manifest.parameters);
  if (!parsed.success) {
    throw new Error(`parameters: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  }
  return { module: module as StrategyModule, parameters: parsed.data };
}
