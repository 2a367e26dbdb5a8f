/**
 * The published entry point: dist/mcp-proxy.mjs (npm, npx, Docker) and the standalone binaries' main
 * script. It is deliberately tiny: the real CLI (src/main.ts with every dependency) is carried inside
 * this file as a brotli-compressed CommonJS "core" and compiled only when a command needs it. Why: V8
 * parses every byte of a script it loads, lazily-imported or not, and reading the compressed core is far
 * cheaper than parsing all of it before the first line runs (`npm run bench` measures start-up). Once
 * `run` has started, the decompressed source is kept beside V8's code cache (src/boot/codeCache.ts), and
 * later starts read it from there instead of decompressing.
 *
 * Fast paths (answered here, without the core, yargs or pino):
 *   - `version` and `version --json`: the same handler as the full CLI (src/cli/commands/version.ts);
 *   - `--help` / `-h`: the top-level help text, rendered by the real CLI at build time for the widths
 *     yargs would use (80, 100 for pipes, 110); other terminal widths fall through to the core.
 * Everything else (and everything when MCP_PROXY_NO_FAST_PATH=1) runs the core, which is src/main.ts
 * unchanged: it reads process.argv and owns process.exit.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { versionCommand } from '../cli/commands/version.js';
import { realContext } from '../cli/context.js';
import { startupMark } from '../observability/startupTrace.js';
import { lazyBuiltin, lazyV8 as v8 } from '../util/builtin.js';
import { VERSION } from '../version.js';
import { type CodeCache, coreCodeCache } from './codeCache.js';
import { governOldGeneration } from './oldGeneration.js';
import { serveV8Flags } from './v8flags.js';
import { governYoungGeneration } from './youngGeneration.js';

// Built-ins only `run` needs (the core's load): `version` and `--help` never load them.
const vm = lazyBuiltin<typeof import('node:vm')>('node:vm');
// Only a first start decompresses the core: a warm one reads the copy kept beside the code cache.
const zlib = lazyBuiltin<typeof import('node:zlib')>('node:zlib');

/**
 * Carries the brotli-compressed CommonJS core, base64, as a comment in its body (scripts/launcher.mjs
 * appends it to this file). Read through the function's source text: V8 hands that out as a slice of
 * the script source it holds anyway, where a string literal would be a second, interned copy.
 */
declare function __mcpCoreCarrier(): void;
/** Length of the core in bytes (scripts/launcher.mjs): brotli then writes it into one buffer of that size. */
declare const __MCP_PROXY_CORE_BYTES__: number;
declare const __MCP_PROXY_CORE_HASH__: string;

/** The base64 text of the compressed core. */
function corePayload(): string {
  const text = Function.prototype.toString.call(__mcpCoreCarrier);
  return text.slice(text.indexOf('/*') + 2, text.lastIndexOf('*/'));
}

/** Top-level `--help` output keyed by wrap width (scripts/build.mjs). */
declare const __MCP_PROXY_HELP__: Record<string, string>;
/** True in the standalone binary's main script (CommonJS, run by Node's SEA loader). */
declare const __MCP_PROXY_SEA__: boolean;

/** The file name the core reports in stack traces and sees as `__filename` / `import.meta.url`. */
function selfPath(): string {
  if (__MCP_PROXY_SEA__) return process.execPath;
  return fileURLToPath(import.meta.url);
}

/**
 * The core's source: as an earlier start kept it next to the code cache, or decompressed from this file.
 * The core is ASCII (scripts/build.mjs: charset ascii), so latin1 decodes it exactly and V8 keeps it as a
 * one-byte string.
 */
function coreSource(cache: CodeCache | undefined): { source: string; kept: boolean } {
  const kept = cache?.source(__MCP_PROXY_CORE_BYTES__);
  if (kept !== undefined) return { source: kept, kept: true };
  // One output chunk of the exact size: by default brotli decodes into small chunks and concatenates
  // them, and the freed chunks plus the freed copy leave malloc heap resident for the process's life.
  const { brotliDecompressSync } = zlib();
  const compressed = Buffer.from(corePayload(), 'base64');
  const source = brotliDecompressSync(compressed, { chunkSize: __MCP_PROXY_CORE_BYTES__ }).toString('latin1');
  return { source, kept: false };
}

/** Decompresses and runs the full CLI. Its own main() takes over from here (argv, exit code). */
export function runCore(): void {
  const v8Flags = serveV8Flags(process.argv.slice(2), process.env);
  for (const flag of v8Flags.atLoad) v8().setFlagsFromString(flag);
  const cache = coreCodeCache(
    process.env,
    `${VERSION}-${process.version}-${process.arch}-${__MCP_PROXY_CORE_HASH__}${__MCP_PROXY_SEA__ ? '-sea' : ''}`,
  );
  const { source, kept } = coreSource(cache);
  startupMark(`core ${kept ? 'read' : 'decompressed'}`);
  const filename = selfPath();
  const coreModule = { exports: {} as unknown };
  // A Script rather than vm.compileFunction: only a Script can hand out its code cache after it ran,
  // with the functions the start-up compiled in it.
  const script = new (vm().Script)(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: `${filename}#core`,
    cachedData: cache?.data,
    importModuleDynamically: vm().constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  startupMark(`core compiled (code cache ${cache?.data ? (script.cachedDataRejected ? 'rejected' : 'used') : 'none'})`);
  // The core requires only Node built-ins (scripts/build.mjs fails the build otherwise).
  const req = createRequire(filename);
  fn.call(coreModule.exports, coreModule.exports, req, coreModule, filename, path.dirname(filename));
  if (v8Flags.governYoungGeneration) {
    governYoungGeneration();
    governOldGeneration();
  }
  // `run` writes the caches once its start-up has been compiled (a shorter command would leave most of it out).
  const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const needCode = !cache?.data || script.cachedDataRejected === true;
  if (cache && (needCode || !kept) && command === 'run') {
    // Once: a few seconds in, or at exit if that comes first (a client that only looked at the tools).
    let saved = false;
    const save = () => {
      if (saved) return;
      saved = true;
      process.off('exit', save);
      if (needCode) cache.save(script.createCachedData());
      if (!kept) cache.saveSource(source);
    };
    setTimeout(save, CODE_CACHE_AFTER_MS).unref();
    process.once('exit', save);
  }
}

/** How long after the core started `run` stores V8's code cache: its start-up is compiled by then. */
const CODE_CACHE_AFTER_MS = 3000;

/** Width yargs wraps help at (src/cli/createCli.ts: min(110, columns ?? 100)). */
function helpWidth(): number {
  return Math.min(110, process.stdout.columns ?? 100);
}

/** Resolves with an exit code when the request was answered here, undefined to run the core. */
export async function fastPath(argv: string[]): Promise<number | undefined> {
  if (process.env.MCP_PROXY_NO_FAST_PATH) return undefined;
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
    const text = __MCP_PROXY_HELP__[String(helpWidth())];
    if (text === undefined) return undefined;
    // The CLI's own output, through the CLI's context like every command's (stdout is the protocol's in `run`).
    realContext().stdout.write(text);
    return 0;
  }
  if (argv[0] === 'version' && (argv.length === 1 || (argv.length === 2 && argv[1] === '--json'))) {
    return (await versionCommand.handler({ json: argv.length === 2 }, realContext())) ?? 0;
  }
  return undefined;
}

/**
 * `run` over stdio: an `initialize` answered now when an earlier start of this config remembered the
 * answer (src/cli/run/launcherAnswer.ts), and the first stdio servers started, to boot while the core
 * loads (src/cli/run/preread.ts). Loaded only for `run`: the other commands pay nothing for it.
 */
async function preread(argv: string[]): Promise<void> {
  if (argv[0] !== 'run') return;
  const [{ prereadRun, readRawRun, realHost }, { answerFromMemory }] = await Promise.all([
    import('../cli/run/preread.js'),
    import('../cli/run/launcherAnswer.js'),
  ]);
  const host = realHost();
  const run = readRawRun(argv, host);
  // The answer first: a client that wrote `initialize` at once has it in the pipe by now.
  await answerFromMemory(run, host, process.stdin, process.stdout);
  const started = prereadRun(argv, undefined, host, run);
  if (started) startupMark(`pre-read: ${started} stdio servers started`);
}

startupMark('launcher');
preread(process.argv.slice(2))
  .catch(() => {}) // the core starts every server itself
  .then(() => fastPath(process.argv.slice(2)))
  .then((code) => {
    if (code === undefined) runCore();
    else process.exitCode = code;
  })
  .catch((e) => {
    process.stderr.write(`internal error: ${String((e as Error)?.stack ?? e)}\n`);
    process.exitCode = 1;
  });
