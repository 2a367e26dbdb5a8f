#!/usr/bin/env node
// Builds the one bundle every distribution runs: dist/mcp-proxy.mjs (ESM, Node >= 20, every runtime
// dependency and template inlined). The build fails if anything but a Node built-in is left external.
import { readFileSync, mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { execSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const sdkPkg = JSON.parse(readFileSync(path.join(root, 'node_modules/@modelcontextprotocol/server/package.json'), 'utf8'));

let commit = 'unknown';
try {
  commit = execSync('git rev-parse --short HEAD', { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
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

const result = await esbuild.build({
  entryPoints: [path.join(root, 'src/main.ts')],
  outfile: path.join(outdir, 'mcp-proxy.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: false,
  minify: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  loader: { '.md': 'text', '.yaml': 'text', '.tmpl': 'text', '.hbs': 'text' },
  // A bundled ESM file still needs require() for CommonJS dependencies that call it.
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __mcpCreateRequire } from 'node:module';",
      'const require = __mcpCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  define: {
    __MCP_PROXY_VERSION__: JSON.stringify(pkg.version),
    __MCP_PROXY_BUILD__: JSON.stringify(commit),
    __MCP_SDK_VERSION__: JSON.stringify(sdkPkg.version),
  },
  plugins: [onlyBuiltinsExternal],
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
chmodSync(path.join(outdir, 'mcp-proxy.mjs'), 0o755);
writeFileSync(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));
const size = result.metafile.outputs['dist/mcp-proxy.mjs']?.bytes ?? 0;
console.error(`build: dist/mcp-proxy.mjs ${(size / 1024).toFixed(0)} KiB`);
