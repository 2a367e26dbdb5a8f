/**
 * Does each stdio server's `command` exist here? `validate` warns about the ones that do not (the
 * proxy itself marks such a server failed at start-up and serves the rest). A warning, not an
 * error: the config may be meant for another machine, or for an MCP client with another PATH.
 */
import { pathApi } from '../util/paths.js';
import { resolveCommand } from '../util/which.js';
import { type ConfigProblem, makeProblem, type SourcePosition } from './problems.js';
import type { Config } from './schema.js';
import type { JsonPath } from './substitute.js';

export interface CommandCheckOptions {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  cwd: string;
  /** Is this a file the current user may run? Defaults to a real check. */
  isRunnable?: (p: string) => boolean;
}

export function checkCommands(
  config: Config,
  opts: CommandCheckOptions & { locate: (path: JsonPath) => SourcePosition | undefined },
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const api = pathApi(opts.platform);
  for (const [name, server] of Object.entries(config.mcpServers)) {
    if (server.type !== 'stdio' || server.disabled) continue;
    const serverCwd = server.cwd ? api.resolve(opts.cwd, server.cwd) : opts.cwd;
    const pathValue = server.env?.PATH ?? server.env?.Path;
    const r = resolveCommand(server.command, { ...opts, cwd: serverCwd, pathValue });
    if (r.found) continue;
    const where: JsonPath = ['mcpServers', name, 'command'];
    const searched = r.searched.length ? r.searched.join(opts.platform === 'win32' ? ';' : ':') : '(PATH is empty)';
    out.push(
      makeProblem('rule', where, `command not found: ${server.command} (searched ${searched})`, opts.locate(where), {
        severity: 'warning',
        hint: 'install it, or give its absolute path; note that an MCP client may start the proxy with a shorter PATH than your shell',
      }),
    );
  }
  return out;
}
