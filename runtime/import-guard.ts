import { realpathSync } from 'node:fs';
import { isBuiltin, registerHooks } from 'node:module';
import { sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The import rule for strategy code, enforced as modules resolve (so a strategy that breaks it fails to load):
 * a module in a bot's folder imports only files in that folder, the packages below, and the builtins below. The
 * builtins are the ones whose reach the permission model already confines: node:fs reads only the bot's own
 * folder and writes nothing. Everything else (node:net, node:http, node:child_process, node:module, ...) is refused.
 */
export const STRATEGY_PACKAGES: readonly string[] = ['flotilla/strategy', 'trading-signals', 'zod'];
export const STRATEGY_BUILTINS: readonly string[] = ['node:fs', 'node:fs/promises', 'node:path', 'node:url'];

/** Bot folders whose modules are held to the rule, as file URL prefixes of their real paths. */
const guarded: string[] = [];
let registered = false;

export class ImportRefused extends Error {
  override name = 'ImportRefused';
  readonly code = 'ERR_ACCESS_DENIED';
}

const RULE = `a strategy imports only ${STRATEGY_PACKAGES.join(', ')}, ${STRATEGY_BUILTINS.join(', ')} and files in its own folder`;

function builtinName(specifier: string): string {
  return specifier.startsWith('node:') ? specifier : `node:${specifier}`;
}

export function isAllowedBuiltin(specifier: string): boolean {
  return STRATEGY_BUILTINS.includes(builtinName(specifier));
}

function isAllowedPackage(specifier: string): boolean {
  return STRATEGY_PACKAGES.some((name) => specifier === name || (name !== 'flotilla/strategy' && specifier.startsWith(`${name}/`)));
}

function isBare(specifier: string): boolean {
  return !/^(\.{1,2}\/|\/|[a-z][a-z0-9+.-]*:)/i.test(specifier);
}

/** Holds every module under `folder` to the import rule from now on, in this process. */
export function guardStrategyImports(folder: string): void {
  const root = pathToFileURL(realpathSync(folder) + sep).href;
  if (!guarded.includes(root)) guarded.push(root);
  if (registered) return;
  registered = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const parent = context.parentURL;
      const rootOfParent = parent === undefined ? undefined : guarded.find((prefix) => parent.startsWith(prefix));
      if (rootOfParent === undefined) return nextResolve(specifier, context);
      const refuse = (): never => {
        throw new ImportRefused(`${parent}: may not import ${JSON.stringify(specifier)}: ${RULE}`);
      };
      if (specifier.startsWith('node:') || isBuiltin(specifier)) {
        if (!isAllowedBuiltin(specifier)) refuse();
        return nextResolve(specifier, context);
      }
      if (isBare(specifier)) {
        if (!isAllowedPackage(specifier)) refuse();
        return nextResolve(specifier, context);
      }
      // A path or URL: it must land in the same bot folder (no data: URLs, no files elsewhere in the project).
      const resolved = nextResolve(specifier, context);
      if (!resolved.url.startsWith(rootOfParent)) refuse();
      return resolved;
    },
  });
}
