/**
 * The raw pre-read of `run`, done by the launcher before the core loads: the config file is read as
 * plain JSON and the first stdio servers are started at once, so they boot while the proxy decompresses,
 * compiles and loads the core, its config schemas and the real config loader. The early phase
 * (early.ts) adopts them into its registry; a connection takes one only if its resolved parameters
 * match exactly (prespawn.ts), and whatever nobody takes is stopped, as when the config then turns out
 * to be invalid.
 *
 * Deliberately conservative: it gives up (and leaves everything to the early phase) on anything it
 * cannot read exactly as the real loader will: options other than the few below, YAML, text that is not
 * plain JSON, a transport other than stdio; and it skips servers that use `$` (variables, resolved
 * through the credential chain later), that are not plainly stdio, lazy, disabled or replicated.
 * Light on purpose: Node built-ins and small modules only (no zod, no SDK).
 */
import os from 'node:os';
import { locateConfig } from '../../config/locate.js';
import { isObject } from '../../protocol/hotParams.js';
import { serversEnv } from '../../upstream/childEnv.js';
import { HeldChild, resolveStdio, type StdioParams, spawnStdioChild } from '../../upstream/childProcess.js';
import { readTextFileSync } from '../../util/textFile.js';

/** What the pre-read started, for the early phase to adopt. */
export interface Preread {
  /** The processes, in config order. */
  children: HeldChild[];
  /** Stops holding SIGINT and SIGTERM; returns the signal that arrived meanwhile, if one did. */
  release(): string | undefined;
}

export interface Host {
  env: NodeJS.ProcessEnv;
  cwd: string;
  homedir: string;
  platform: NodeJS.Platform;
}

/** Shared by the launcher's copy of this module and the core's (two bundles, one process). */
const HANDOFF = Symbol.for('mcp-proxy.preread');
type Slot = { [HANDOFF]?: Preread };

/**
 * How many servers with a cached catalog start early: one per core the proxy's own loading leaves idle.
 * More would boot on the proxy's core too and slow the loading and the first answers (a listing served
 * from the catalog cache waits for the proxy, not for its servers); the rest start once it is answered.
 */
export function earlyLimit(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

/** `argv` without node and script. Starts up to `limit` servers; returns how many it started. */
export function prereadRun(
  argv: string[],
  limit = earlyLimit(),
  host: Host = realHost(),
  run = readRawRun(argv, host),
): number {
  const params = prereadParams(argv, host, run).slice(0, limit);
  if (!params.length) return 0;
  const children: HeldChild[] = [];
  for (const p of params) {
    try {
      children.push(new HeldChild(spawnStdioChild(p), p));
    } catch {
      break; // the connection will try, and report what fails
    }
  }
  if (!children.length) return 0;
  (globalThis as Slot)[HANDOFF] = { children, release: holdSignals().release };
  return children.length;
}

/** What the pre-read started, once (undefined when it started nothing or was taken already). */
export function takePreread(): Preread | undefined {
  const slot = globalThis as Slot;
  const taken = slot[HANDOFF];
  delete slot[HANDOFF];
  return taken;
}

/** A `run` over stdio as the pre-read reads it: its flags and its config file, plain JSON. */
export interface RawRun {
  flags: { config?: string; transport?: string };
  /** The config file, absolute. */
  path: string;
  text: string;
  raw: Record<string, unknown> & { mcpServers: Record<string, unknown> };
}

/** Undefined when the pre-read gives up (see above): the core then does it all. */
export function readRawRun(argv: string[], host: Host): RawRun | undefined {
  const flags = runFlags(argv);
  if (!flags) return undefined;
  try {
    const located = locateConfig({ path: flags.config, ...host });
    if (!located || !/\.json$/i.test(located.path)) return undefined;
    const text = readTextFileSync(located.path);
    const raw: unknown = JSON.parse(text);
    if (!isObject(raw) || !isObject(raw.mcpServers)) return undefined;
    const transport = isObject(raw.proxy) ? raw.proxy.transport : undefined;
    if ((flags.transport ?? transport ?? 'stdio') !== 'stdio') return undefined;
    return { flags, path: located.path, text, raw: raw as RawRun['raw'] };
  } catch {
    // Unreadable, not found, not JSON: the real loader reports it.
    return undefined;
  }
}

/** The spawn parameters of the servers the pre-read may start, in config order; none when it gives up. */
export function prereadParams(argv: string[], host: Host, run = readRawRun(argv, host)): StdioParams[] {
  if (!run) return [];
  const { raw } = run;
  try {
    const env = serversEnv(host, isObject(raw.proxy) ? raw.proxy : undefined);
    const out: StdioParams[] = [];
    for (const entry of Object.values(raw.mcpServers)) {
      const params = plainStdio(entry, { ...host, env });
      if (params) out.push(params);
    }
    return out;
  } catch {
    return []; // the real loader reports what is wrong
  }
}

/** Options of `run` the pre-read understands; undefined for anything else (including other commands). */
function runFlags(argv: string[]): { config?: string; transport?: string } | undefined {
  if (argv[0] !== 'run') return undefined;
  const out: { config?: string; transport?: string } = {};
  const seen = new Set<string>();
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (BOOLEAN_FLAGS.has(arg)) continue;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key = VALUE_FLAGS[name];
    if (!key || seen.has(key)) return undefined;
    seen.add(key);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value.startsWith('-')) return undefined;
    if (key === 'config' || key === 'transport') out[key] = value;
  }
  return out;
}

const BOOLEAN_FLAGS = new Set(['--no-watch', '--watch', '--verbose', '-v', '--debug']);
const VALUE_FLAGS: Record<string, string> = {
  '--config': 'config',
  '-c': 'config',
  '--transport': 'transport',
  '-t': 'transport',
  '--log-level': 'logLevel',
  '--log-format': 'logFormat',
};

/** A server entry that is stdio as written and starts with the proxy, resolved as the transport resolves it. */
function plainStdio(entry: unknown, host: Host): StdioParams | undefined {
  if (!isObject(entry)) return undefined;
  if (entry.type !== undefined ? entry.type !== 'stdio' : entry.transport !== undefined) return undefined;
  if (entry.disabled !== undefined || entry.lazy !== undefined || entry.replicas !== undefined) return undefined;
  const { command, args, env, cwd } = entry;
  if (typeof command !== 'string' || command === '' || command.includes('$')) return undefined;
  if (args !== undefined && !(Array.isArray(args) && args.every(plainString))) return undefined;
  if (env !== undefined && !(isObject(env) && Object.values(env).every(plainString))) return undefined;
  if (cwd !== undefined && !plainString(cwd)) return undefined;
  const config = {
    type: 'stdio' as const,
    command,
    args: args as string[] | undefined,
    cwd: cwd as string | undefined,
  };
  const resolved = resolveStdio({ ...config, env: env as Record<string, string> | undefined }, host.env, host.cwd);
  return 'params' in resolved ? resolved.params : undefined;
}

/** A string the config loader leaves as it is (a `$` may be a variable). */
function plainString(v: unknown): boolean {
  return typeof v === 'string' && !v.includes('$');
}

export function realHost(): Host {
  return { env: process.env, cwd: process.cwd(), homedir: os.homedir(), platform: process.platform };
}

/** SIGINT and SIGTERM held rather than acted on; `release` stops holding and returns the one that came. */
export interface HeldSignals {
  release(): string | undefined;
}

/**
 * Holds SIGINT and SIGTERM while servers started early boot, rather than killing the proxy under them:
 * the lifecycle shuts down for a held one later. A second one forces the exit (`exit(130)`; the exit hook
 * stops every server's process group). `takeOver`: releases an earlier holder and keeps what it held;
 * called once these listeners are in place, since while a signal has none Node stops watching it and one
 * caught but not yet delivered is lost.
 */
export function holdSignals(
  exit: (code: number) => void = (code) => process.exit(code),
  takeOver?: () => string | undefined,
  proc: NodeJS.EventEmitter = process,
): HeldSignals {
  let pending: string | undefined;
  const listeners = (['SIGINT', 'SIGTERM'] as const).map((sig) => {
    const fn = () => {
      if (pending) exit(130);
      pending = sig;
    };
    proc.on(sig, fn);
    return [sig, fn] as const;
  });
  pending = takeOver?.() ?? pending;
  return {
    release() {
      for (const [sig, fn] of listeners) proc.off(sig, fn);
      return pending;
    },
  };
}
