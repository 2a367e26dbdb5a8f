/**
 * Does each stdio server's `command` exist here? `validate` warns about the ones that do not (the
 * proxy itself marks such a server failed at start-up and serves the rest). A warning, not an
 * error: the config may be meant for another machine, or for an MCP client with another PATH.
 */
import { isDirectory, pathApi } from '../util/paths.js';
import { fallbackDirs, resolveCommand } from '../util/which.js';
import { type ConfigProblem, makeProblem, type SourcePosition } from './problems.js';
import type { Config } from './schema.js';
import type { JsonPath } from './substitute.js';

export interface CommandCheckOptions {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  cwd: string;
  /** Is this a file the current user may run? Defaults to a real check. */
  isRunnable?: (p: string) => boolean;
  /** Is this an existing directory? Defaults to a real check. */
  isDirectory?: (p: string) => boolean;
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
    if (server.cwd && !(opts.isDirectory ?? isDirectory)(serverCwd)) {
      const where: JsonPath = ['mcpServers', name, 'cwd'];
      out.push(
        makeProblem('rule', where, `working directory not found: ${serverCwd}`, opts.locate(where), {
          severity: 'warning',
          hint: 'create it or fix the path (the proxy marks this server failed at start-up)',
        }),
      );
      continue;
    }
    const pathValue = server.env?.PATH ?? server.env?.Path;
    // As the upstream resolves it (childProcess.ts): the usual directories too, unless the server sets PATH.
    const extraDirs = fallbackDirs(opts.env, opts.platform, server.env);
    const r = resolveCommand(server.command, { ...opts, cwd: serverCwd, pathValue, extraDirs });
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
