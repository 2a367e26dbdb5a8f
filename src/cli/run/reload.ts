/**
 * Live reload: the config is read again and applied to the running proxy. Reloads never overlap;
 * a change that arrives during one is applied right after it. A config that does not load leaves
 * the proxy serving the previous one.
 */
import type { LoadConfigOptions, LoadedConfig } from '../../config/load.js';
import { loadConfig } from '../../config/load.js';
import type { Config, UpstreamConfig } from '../../config/schema.js';
import { AppError, errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { UpstreamPool } from '../../upstream/pool.js';
import { registerConfigSecrets } from '../configSecrets.js';
import type { CliContext } from '../context.js';

export interface ReloaderDeps {
  ctx: CliContext;
  logger: Logger;
  pool: UpstreamPool;
  loaded: LoadedConfig;
  loadOpts: LoadConfigOptions;
  /** A log level chosen on the command line or by environment: proxy.logLevel does not override it. */
  levelFixed: boolean;
  isShuttingDown: () => boolean;
  /** Applies the parts of a reloaded config the pool does not hold (the access policy, the audit settings). */
  onConfig?: (config: Config) => void;
}

export function createReloader(deps: ReloaderDeps): (reason: string) => Promise<void> {
  const { ctx, logger, pool } = deps;
  const log = logger.child({ component: 'run' });
  let loaded = deps.loaded;
  let reloading: Promise<void> | undefined;
  let again: string | undefined;

  async function apply(reason: string): Promise<void> {
    try {
      const next = await loadConfig({ ...deps.loadOpts, path: loaded.path });
      registerConfigSecrets(next.config.mcpServers, ctx.redactor);
      for (const w of next.warnings) log.warn(`${w.path ? `${w.path}: ` : ''}${w.message}`);
      for (const key of restartOnlySettings(loaded.config.proxy, next.config.proxy)) {
        log.warn(`proxy.${key} changed: restart the proxy to apply it (the rest of the config is applied now)`);
      }
      const level = next.config.proxy?.logLevel ?? 'info';
      if (!deps.levelFixed && level !== logger.level) {
        logger.level = level;
        log.info({ logLevel: level }, 'log level changed (proxy.logLevel)');
      }
      const result = await pool.apply(next.config.mcpServers as Record<string, UpstreamConfig>, next.config.proxy);
      deps.onConfig?.(next.config);
      loaded = next;
      log.info({ reason, ...result }, 'config reloaded');
    } catch (e) {
      const msg = e instanceof AppError ? e.format() : errorMessage(e);
      log.error({ reason }, `config reload failed; still serving the previous config:\n${msg}`);
    }
  }

  return async function reload(reason: string): Promise<void> {
    if (deps.isShuttingDown()) return;
    if (reloading) {
      again = reason;
      return reloading;
    }
    reloading = (async () => {
      await apply(reason);
      reloading = undefined;
      if (again && !deps.isShuttingDown()) {
        const next = again;
        again = undefined;
        await reload(next);
      }
    })();
    return reloading;
  };
}

/** Proxy settings a reload cannot apply to a running proxy (the listener, the public names). */
function restartOnlySettings(before: Config['proxy'], after: Config['proxy']): string[] {
  const keys = ['transport', 'host', 'port', 'name', 'separator', 'tools', 'http', 'auth'] as const;
  return keys.filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k]));
}
