/** The config file a command works on: `--config`, else the usual places for this user and platform. */
import { type LocatedConfig, locateConfig } from '../config/locate.js';
import type { CliContext } from './context.js';

export function locateConfigFor(ctx: CliContext, path?: string): LocatedConfig | undefined {
  return locateConfig({ path, env: ctx.env, cwd: ctx.cwd, homedir: ctx.homedir, platform: ctx.platform });
}
