/**
 * V8 heap settings for the long-running `run` command, applied by the launcher (src/boot/launcher.ts) around
 * the core's load; a module of its own so tests can import it without running the CLI.
 *
 * Node's defaults size the heap for throughput on big machines, and loading the core (the CLI with two
 * MCP SDKs and their schemas) is exactly the allocation burst that grows the young generation from
 * 2 x 1 MiB to 2 x 16 MiB, which then stays committed while the proxy sits idle. So:
 * - `--semi-space-growth-factor=1` keeps the young generation at 2 x 1 MiB while the core loads and
 *   afterwards; src/boot/youngGeneration.ts lets it grow (to 2 x 2 MiB at most) only while scavenges take a
 *   noticeable share of the time, i.e. under heavy traffic. Light traffic (a desktop client, a model
 *   calling a tool now and then, sessions sitting open) never grows it;
 * - `--heap-growing-percent=20`: the old generation may grow 20% over what the last full GC kept
 *   instead of V8's larger steps;
 * - `--no-incremental-marking`: full collections mark in one pause. The external memory of large messages
 *   (the pipe chunks a 256 KB call moves) starts incremental marking over and over, whose work on V8's
 *   helper threads then costs more than the call itself (about half of its CPU); a pause on a heap this
 *   size is a few ms. The price is a few MB more RSS (docs/http.md, memory).
 * They are set once, before the core loads (nothing is being marked yet); the governors change only
 * the numeric ones later. Those are read by the GC at each collection, so setting them at run time takes effect (heap
 * sizes fixed at VM start, like --max-semi-space-size, would not). Measured in `npm run bench`.
 * `MCP_PROXY_V8_FLAGS` replaces all of this with its own list, applied before the load and kept, with
 * no governor (space-separated; empty for V8's defaults throughout), e.g. `--semi-space-growth-factor=1
 * --heap-growing-percent=20` keeps the young generation small under any load (less memory, more GC).
 */
export interface ServeV8Flags {
  /** Set before the core loads. */
  atLoad: string[];
  /** Whether the young generation follows the traffic once the core has loaded (src/boot/youngGeneration.ts). */
  governYoungGeneration: boolean;
}

/** The old generation's growing step (src/boot/oldGeneration.ts loosens it under large messages, then restores it). */
export const HEAP_GROWING_PERCENT = 20;

export const SERVE_V8_FLAGS: ServeV8Flags = {
  atLoad: [
    '--semi-space-growth-factor=1',
    `--heap-growing-percent=${HEAP_GROWING_PERCENT}`,
    '--no-incremental-marking',
  ],
  governYoungGeneration: true,
};

const NONE: ServeV8Flags = { atLoad: [], governYoungGeneration: false };

/** The flags for this command line (argv without node and script) and environment. */
export function serveV8Flags(argv: string[], env: NodeJS.ProcessEnv): ServeV8Flags {
  // The command is the first word that is not an option (`mcp-proxy run`, `mcp-proxy --verbose run`).
  if (argv.find((a) => !a.startsWith('-')) !== 'run') return NONE;
  const custom = env.MCP_PROXY_V8_FLAGS;
  if (custom !== undefined) return { atLoad: custom.split(/\s+/).filter(Boolean), governYoungGeneration: false };
  return SERVE_V8_FLAGS;
}
