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

/**
 * Packages that only the help and usage layout needs (yargs -> cliui -> string-width) but that do costly
 * work when they load: string-width builds an Intl.Segmenter and Unicode-set regular expressions (ICU
 * data), a large share of `run`'s start-up for text that `run` never renders. Each import of them gets a
 * stand-in whose default export loads the real module on its first call (a require() inside the bundle,
 * which esbuild evaluates only then). The build fails if a package grows exports beyond the default.
 */
/** Where esbuild would resolve a module the lazy plugins stand in for (the real file, behind the stand-in). */
function resolveReal(build, args) {
  return build.resolve(args.path, {
    kind: args.kind,
    resolveDir: args.resolveDir,
    importer: args.importer,
    pluginData: { lazyReal: true },
  });
}

const LAZY_DEFAULT_EXPORTS = /^string-width$/;
const lazyModules = {
  name: 'lazy-modules',
  setup(build) {
    build.onResolve({ filter: LAZY_DEFAULT_EXPORTS }, async (args) => {
      if (args.pluginData?.lazyReal) return undefined;
      const real = await resolveReal(build, args);
      if (real.errors.length) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy-module' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-module' }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const exported = [...text.matchAll(/^export\s+(default\s+)?/gm)];
      if (exported.length !== 1 || !exported[0][1]) {
        throw new Error(`build: ${args.path} must have exactly one export, a default one (lazy-modules)`);
      }
      return {
        contents: `let real;\nexport default function lazy(...a) {\n  real ??= require(${JSON.stringify(args.path)}).default;\n  return real(...a);\n}\n`,
        loader: 'js',
        resolveDir: path.dirname(args.path),
      };
    });
  },
};

/**
 * eventsource-parser/stream declares `class EventSourceParserStream extends TransformStream` when it loads,
 * which makes Node load its web streams implementation; the MCP client SDK imports it for HTTP upstreams
 * only, so every stdio proxy paid for it at start-up. The stand-in class builds the real stream on `new`
 * (loading the module then). The build fails if the module's exports change.
 */
const LAZY_CLASSES = { 'eventsource-parser/stream': ['EventSourceParserStream', 'ParseError'] };
const lazyClasses = {
  name: 'lazy-classes',
  setup(build) {
    build.onResolve({ filter: /^eventsource-parser\/stream$/ }, async (args) => {
      if (args.pluginData?.lazyReal) return undefined;
      const real = await resolveReal(build, args);
      if (real.errors.length) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy-class', pluginData: { spec: args.path } };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-class' }, (args) => {
      const [cls, ...others] = LAZY_CLASSES[args.pluginData.spec];
      const text = readFileSync(args.path, 'utf8');
      const exported = /export\s*\{([^}]*)\}/
        .exec(text)?.[1]
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      if (JSON.stringify(exported?.sort()) !== JSON.stringify([cls, ...others].sort())) {
        throw new Error(`build: ${args.path} exports ${exported} (lazy-classes expects ${[cls, ...others]})`);
      }
      const real = `require(${JSON.stringify(args.path)})`;
      return {
        contents: [
          `export class ${cls} { constructor(...a) { return new (${real}.${cls})(...a); } }`,
          ...others.map(
            (name) => `export { ${name} } from ${JSON.stringify(path.join(path.dirname(args.path), 'index.js'))};`,
          ),
        ].join('\n'),
        loader: 'js',
        resolveDir: path.dirname(args.path),
      };
    });
  },
};

/**
 * yargs' factory calls `.version()` on every instance it makes, which guesses the version by walking up
 * the directories from where yargs thinks the program lives (in a bundle: the directory holding
 * node_modules, or the working directory), reading each one, and parsing the first package.json found:
 * work on the way to a stdio proxy's first answer, for a flag the CLI turns off (`.version(false)`;
 * `mcp-proxy version` prints the build constants). The stand-in factory leaves that call out. The build
 * fails if the factory no longer has it, so a yargs upgrade is looked at again.
 */
const YARGS_GUESS = '        yargs.help();\n        yargs.version();\n';
const yargsNoVersionGuess = {
  name: 'yargs-no-version-guess',
  setup(build) {
    build.onLoad({ filter: /[\\/]yargs[\\/]build[\\/]lib[\\/]yargs-factory\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (text.split(YARGS_GUESS).length !== 2) {
        throw new Error(
          `build: ${args.path} no longer calls yargs.version() once in its factory (yargs-no-version-guess)`,
        );
      }
      return { contents: text.replace(YARGS_GUESS, '        yargs.help();\n'), loader: 'js' };
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
  plugins: [nativeAddonStubs, lazyModules, lazyClasses, yargsNoVersionGuess, onlyBuiltinsExternal],
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
