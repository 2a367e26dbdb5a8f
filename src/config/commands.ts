/**
 * Does each stdio server's `command` exist here? `validate` warns about the ones that do not (the
 * proxy itself marks such a server failed at start-up and serves the rest). A warning, not an
 * error: the config may be meant for another machine, or for an MCP client with another PATH.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type ConfigProblem, makeProblem, type SourcePosition } from './problems.js';
import type { Config } from './schema.js';
import type { JsonPath } from './substitute.js';

export interface CommandCheckOptions {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  cwd: string;
  /** Is there a file at this path? Defaults to a real check. */
  isFile?: (p: string) => boolean;
}

function defaultIsFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** An environment variable, case-insensitively on Windows (Path vs PATH). */
function envGet(env: NodeJS.ProcessEnv, name: string, platform: NodeJS.Platform): string | undefined {
  if (platform !== 'win32') return env[name];
  const key = Object.keys(env).find((k) => k.toUpperCase() === name);
  return key === undefined ? undefined : env[key];
}

/** Where `command` resolves to, as a child started with this env would find it; undefined if nowhere. */
export function resolveCommand(
  command: string,
  opts: CommandCheckOptions & { pathValue?: string },
): { found?: string; searched: string[] } {
  const api = opts.platform === 'win32' ? path.win32 : path.posix;
  const isFile = opts.isFile ?? defaultIsFile;
  const exts =
    opts.platform === 'win32'
      ? ['', ...(envGet(opts.env, 'PATHEXT', 'win32') ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)]
      : [''];
  const candidates = (base: string) => exts.map((e) => base + e);
  const hasSep = command.includes('/') || (opts.platform === 'win32' && command.includes('\\'));
  if (hasSep || api.isAbsolute(command)) {
    const full = api.resolve(opts.cwd, command);
    return { found: candidates(full).find(isFile), searched: [api.dirname(full)] };
  }
  const pathValue = opts.pathValue ?? envGet(opts.env, 'PATH', opts.platform) ?? '';
  const dirs = pathValue.split(opts.platform === 'win32' ? ';' : ':').filter(Boolean);
  for (const dir of dirs) {
    const hit = candidates(api.join(dir, command)).find(isFile);
    if (hit) return { found: hit, searched: dirs };
  }
  return { found: undefined, searched: dirs };
}

export function checkCommands(
  config: Config,
  opts: CommandCheckOptions & { locate: (path: JsonPath) => SourcePosition | undefined },
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const api = opts.platform === 'win32' ? path.win32 : path.posix;
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
