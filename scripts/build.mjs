#!/usr/bin/env node
// Builds the one bundle every distribution runs: dist/mcp-proxy.mjs (ESM, Node >= 20, every runtime
// dependency and template inlined). The build fails if anything but a Node built-in is left external.
// Two steps (see src/boot/launcher.ts for why): the full CLI is bundled as a CommonJS "core"
// (dist/mcp-proxy-core.cjs, runnable on its own), then scripts/launcher.mjs embeds it, compressed, in the
// small launcher that is dist/mcp-proxy.mjs (and dist/mcp-proxy-sea.cjs, the binaries' main script).

import { execSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { buildLauncher, nativeAddonStubs, writeThirdPartyNotices } from './launcher.mjs';
import { lazyClasses, lazyModules, lazyValidator, yargsNoVersionGuess } from './standIns.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const sdkPkg = JSON.parse(
  readFileSync(path.join(root, 'node_modules/@modelcontextprotocol/server/package.json'), 'utf8'),
);

let commit = 'unknown';
try {
  commit = execSync('git rev-parse --short HEAD', { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();
} catch {}

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** Fails the build on any import that is neither bundled nor a Node built-in. */
const onlyBuiltinsExternal = {
  name: 'only-builtins-external',
  setup(build) {
    build.onEnd((result) => {
      const externals = Object.keys(result.metafile?.inputs ?? {}).filter((p) => p.startsWith('external:'));
      if (externals.length) throw new Error(`non-builtin externals: ${externals.join(', ')}`);
    });
  },
};

/** Templates (templates/*) are imported with `?raw`-style text loader. */
const outdir = path.join(root, 'dist');
mkdirSync(outdir, { recursive: true });

/** Build-time constants (src/version.ts), shared by the core and the launcher. */
const buildConstants = {
  __MCP_PROXY_VERSION__: JSON.stringify(pkg.version),
  __MCP_PROXY_BUILD__: JSON.stringify(commit),
  __MCP_SDK_VERSION__: JSON.stringify(sdkPkg.version),
};

/** The web dashboard's files (src/dashboard/ui), minified and embedded as one object (src/dashboard/ui.ts). */
async function dashboardAssets() {
  const dir = path.join(root, 'src/dashboard/ui');
  const out = {};
  for (const file of readdirSync(dir).sort()) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    const loader = file.endsWith('.js') ? 'js' : file.endsWith('.css') ? 'css' : undefined;
    out[file] = loader ? (await esbuild.transform(text, { loader, minify: true, target: 'chrome111' })).code : text;
  }
  return out;
}
const uiAssets = await dashboardAssets();

const result = await esbuild.build({
  entryPoints: [path.join(root, 'src/main.ts')],
  outfile: path.join(outdir, 'mcp-proxy-core.cjs'),
  bundle: true,
  platform: 'node',
  // CommonJS so the launcher can compile it on demand (vm.compileFunction) and a SEA can run it.
  format: 'cjs',
  // import() of a Node built-in becomes require(): the core is compiled by vm, without a module loader.
  supported: { 'dynamic-import': false },
  target: 'node20',
  sourcemap: false,
  // Whitespace and syntax only: names stay readable in stack traces. The source string stays in the
  // heap for the process's life (V8 compiles lazily from it), so every byte here is resident memory.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  loader: { '.md': 'text', '.yaml': 'text', '.tmpl': 'text', '.hbs': 'text' },
  // ESM dependencies (yargs 18) read import.meta.url; in the CommonJS core it is the file's own URL
  // (the launcher passes its own path as __filename, the binary its executable).
  banner: { js: "var __mcpImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: {
    'import.meta.url': '__mcpImportMetaUrl',
    __DASHBOARD_ASSETS__: JSON.stringify(uiAssets),
    ...buildConstants,
  },
  plugins: [nativeAddonStubs, lazyModules, lazyClasses, lazyValidator, yargsNoVersionGuess, onlyBuiltinsExternal],
});

const externals = new Set();
for (const out of Object.values(result.metafile.outputs)) {
  for (const imp of out.imports ?? []) if (imp.external) externals.add(imp.path);
}
const bad = [...externals].filter((p) => !builtins.has(p));
if (bad.length) {
  console.error(`build: these imports were left external but are not Node built-ins: ${bad.join(', ')}`);
  process.exit(1);
}
const launcher = await buildLauncher({ root, outdir, coreMetafile: result.metafile, define: buildConstants });
chmodSync(path.join(outdir, 'mcp-proxy.mjs'), 0o755);
writeFileSync(path.join(outdir, 'meta.json'), JSON.stringify(launcher.metafile));
writeThirdPartyNotices({ root, metafile: result.metafile, outFile: path.join(outdir, 'THIRD_PARTY_LICENSES.txt') });
const size = result.metafile.outputs['dist/mcp-proxy-core.cjs']?.bytes ?? 0;
const uiBytes = Object.values(uiAssets).reduce((n, t) => n + Buffer.byteLength(t), 0);
const uiGzip = Object.values(uiAssets).reduce((n, t) => n + gzipSync(t).length, 0);
console.error(`build: dashboard assets ${(uiBytes / 1024).toFixed(1)} KiB (${(uiGzip / 1024).toFixed(1)} KiB gzipped)`);
console.error(
  `build: dist/mcp-proxy.mjs ${(launcher.bytes / 1024).toFixed(0)} KiB (core ${(size / 1024).toFixed(0)} KiB, embedded compressed)`,
);
