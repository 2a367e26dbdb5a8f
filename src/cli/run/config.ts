/** What `run` serves: the config found by the usual search, or the built-in example when there is none. */
import path from 'node:path';
import type { LoadConfigOptions, LoadedConfig } from '../../config/load.js';
import { findAndLoadConfig } from '../../config/load.js';
import { displayFile, formatProblem } from '../../config/problems.js';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import { userConfigDir } from '../../util/paths.js';
import type { CliContext } from '../context.js';

export interface RunConfig {
  loaded?: LoadedConfig;
  config: Config;
}

export async function loadRunConfig(opts: LoadConfigOptions, ctx: CliContext): Promise<RunConfig> {
  const loaded = await findAndLoadConfig(opts);
  return loaded ? { loaded, config: loaded.config } : { config: embeddedDefaultConfig(ctx, isSeaRuntime()) };
}

/** Logs what was loaded (once the log level the config may set is in force). */
export function reportRunConfig({ loaded }: RunConfig, ctx: CliContext, log: Logger): void {
  if (loaded) {
    for (const w of loaded.warnings) log.warn(formatProblem(w, displayFile(loaded.path, ctx.cwd)).join(' '));
    log.info({ config: loaded.path, servers: Object.keys(loaded.config.mcpServers).length }, 'config loaded');
    return;
  }
  const userConfig = path.join(userConfigDir(ctx), 'config.json');
  log.warn(
    `no config file found: serving the built-in example server. Put your servers in ./mcp-proxy.json or ${userConfig} (or pass --config FILE); see \`mcp-proxy --help\`.`,
  );
}

/** The config `run` serves when none exists anywhere: the example server, run from our own executable. */
export function embeddedDefaultConfig(ctx: Pick<CliContext, 'execPath' | 'entry'>, isSea: boolean): Config {
  const args = isSea || !ctx.entry ? ['__example-server'] : [ctx.entry, '__example-server'];
  return {
    mcpServers: {
      example: {
        type: 'stdio',
        command: ctx.execPath,
        args,
        description: 'The built-in example server (no config file was found)',
      },
    },
  };
}

function isSeaRuntime(): boolean {
  try {
    const get = (process as unknown as { getBuiltinModule?: (id: string) => any }).getBuiltinModule;
    return Boolean(get?.('node:sea')?.isSea?.());
  } catch {
    return false;
  }
}
