// The second build step (scripts/build.mjs runs it): embeds the CommonJS core bundle, brotli-compressed,
// into the small launcher (src/boot/launcher.ts) and pre-renders the top-level --help with the real CLI.
// Outputs: dist/mcp-proxy.mjs (ESM, the npm bin) and dist/mcp-proxy-sea.cjs (CommonJS, the main script
// of the standalone binaries; SEA main scripts must be CommonJS).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';
import * as esbuild from 'esbuild';

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** The message a user sees when DOCKER_HOST is ssh:// (dockerode would need the ssh2 native addon). */
export const SSH_UNSUPPORTED =
  'ssh:// DOCKER_HOST is not supported in this build of mcp-proxy (the ssh2 module and its native addons cannot be ' +
  'bundled); use a unix socket or tcp:// DOCKER_HOST, or forward the remote socket: ' +
  'ssh -nNT -L /tmp/docker.sock:/var/run/docker.sock user@host, then DOCKER_HOST=unix:///tmp/docker.sock';

/**
 * dockerode -> docker-modem requires `ssh2` at load time (lib/ssh.js: `require('ssh2').Client`) and uses it
 * only for ssh:// hosts; ssh2 in turn loads native addons (sshcrypto.node, cpu-features) that a
 * single-file bundle cannot carry. Both resolve to small stubs: loading works, connecting over ssh
 * throws a clear error (docker-modem calls `new Client()` inside dial, so the Docker call rejects with it).
 */
export const nativeAddonStubs = {
  name: 'native-addon-stubs',
  setup(build) {
    build.onResolve({ filter: /^(ssh2|cpu-features)$/ }, (args) => ({ path: args.path, namespace: 'native-stub' }));
    // dockerode's BuildKit support (lib/session.js: gRPC, lib/buildkit.js: protobuf) is a lot of code the
    // proxy never runs (it starts containers; it never builds images through the API). Stubbed like ssh2.
    build.onResolve({ filter: /^(@grpc\/grpc-js|@grpc\/proto-loader|protobufjs)$/ }, (args) => ({
      path: args.path,
      namespace: 'unused-stub',
    }));
    build.onLoad({ filter: /.*/, namespace: 'unused-stub' }, (args) => ({
      contents: `const e = () => { throw new Error(${JSON.stringify(`${args.path} is not bundled: building images with BuildKit through the Docker API is not supported by mcp-proxy`)}); };\nmodule.exports = new Proxy({}, { get: (_t, k) => (k === '__esModule' ? false : e) });`,
      loader: 'js',
    }));
    // prom-client loads the OpenTelemetry API for exemplars only (never enabled here): the two calls it makes.
    build.onResolve({ filter: /^@opentelemetry\/api$/ }, (args) => ({ path: args.path, namespace: 'otel-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'otel-stub' }, () => ({
      contents: 'module.exports = { trace: { getSpan: () => undefined }, context: { active: () => undefined } };',
      loader: 'js',
    }));
    // `debug` (used by docker-modem) tries `require('supports-color')` in a try/catch and does without it; it is
    // not installed, so it resolves to a module that throws as a missing module would. pg's native binding
    // (pg-native, needed only for `new pg.native.Pool`) is the same: the pure JavaScript client is used.
    build.onResolve({ filter: /^(supports-color|pg-native)$/ }, (args) => ({
      path: args.path,
      namespace: 'absent-optional',
    }));
    build.onLoad({ filter: /.*/, namespace: 'absent-optional' }, (args) => ({
      contents: `const e = new Error(${JSON.stringify(`Cannot find module '${args.path}' (optional, not bundled)`)}); e.code = 'MODULE_NOT_FOUND'; throw e;`,
      loader: 'js',
    }));
    build.onLoad({ filter: /.*/, namespace: 'native-stub' }, (args) => {
      const fail = `function unsupported() { const e = new Error(${JSON.stringify(SSH_UNSUPPORTED)}); e.code = 'MCP_PROXY_DOCKER_SSH_UNSUPPORTED'; throw e; }`;
      const contents =
        args.path === 'ssh2'
          ? `${fail}\nclass Client { constructor() { unsupported(); } }\nmodule.exports = { Client, unsupported: true };`
          : `${fail}\nmodule.exports = unsupported;`;
      return { contents, loader: 'js' };
    });
  },
};

/** Widths yargs can wrap the top-level help at (createCli: min(110, columns ?? 100)); others run the core. */
const HELP_WIDTHS = [80, 100, 110];

function renderHelp(coreFile, width) {
  const script = [
    `Object.defineProperty(process.stdout, 'columns', { value: ${width} });`,
    `process.argv = [process.argv[0], ${JSON.stringify(coreFile)}, '--help'];`,
    `require(${JSON.stringify(coreFile)});`,
  ].join('\n');
  const out = execFileSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, MCP_PROXY_NO_FAST_PATH: '1', NO_COLOR: '1' },
  });
  if (!out.includes('mcp-proxy')) throw new Error(`build: --help at width ${width} printed no usage:\n${out}`);
  return out;
}

function checkExternals(metafile, what) {
  const bad = new Set();
  for (const out of Object.values(metafile.outputs)) {
    for (const imp of out.imports ?? []) if (imp.external && !builtins.has(imp.path)) bad.add(imp.path);
  }
  if (bad.size) throw new Error(`build: ${what} left non-builtin imports external: ${[...bad].join(', ')}`);
}

/**
 * Builds dist/mcp-proxy.mjs and dist/mcp-proxy-sea.cjs around dist/mcp-proxy-core.cjs.
 * Returns the merged metafile (core + launchers) and the launcher's size in bytes.
 */
export async function buildLauncher({ root, outdir, coreMetafile, define }) {
  const coreFile = path.join(outdir, 'mcp-proxy-core.cjs');
  const core = readFileSync(coreFile);
  // The launcher decodes the core as latin1 (a one-byte V8 string, half the memory of a two-byte one).
  const nonAscii = core.findIndex((b) => b > 0x7f);
  if (nonAscii !== -1)
    throw new Error(`build: the core has a non-ASCII byte at offset ${nonAscii} (charset must be ascii)`);
  const help = Object.fromEntries(HELP_WIDTHS.map((w) => [String(w), renderHelp(coreFile, w)]));
  const compressed = zlib.brotliCompressSync(core, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 9,
      // A 1 MiB window: the decoder's ring buffer is malloc'd at the window's size and glibc keeps those
      // pages resident after it is freed; the default's larger window would cost that much more RSS for
      // the process's life, for a slightly smaller file.
      [zlib.constants.BROTLI_PARAM_LGWIN]: 20,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: core.length,
    },
  });
  // The compressed core travels as a comment in a function's body (src/boot/launcher.ts: __mcpCoreCarrier);
  // base64 never contains the comment's end.
  const carrier = `function __mcpCoreCarrier(){/*${compressed.toString('base64')}*/}`;
  const common = {
    entryPoints: [path.join(root, 'src/boot/launcher.ts')],
    footer: { js: carrier },
    bundle: true,
    platform: 'node',
    target: 'node20',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  };
  const constants = {
    ...define,
    __MCP_PROXY_CORE_BYTES__: String(core.length),
    // The code cache's key: V8 checks cached data against the source's length only, so a rebuilt core of
    // the same length would run the old compiled code; the content hash tells them apart.
    __MCP_PROXY_CORE_HASH__: JSON.stringify(createHash('sha256').update(core).digest('hex').slice(0, 16)),
    __MCP_PROXY_HELP__: JSON.stringify(help),
  };
  const esm = await esbuild.build({
    ...common,
    outfile: path.join(outdir, 'mcp-proxy.mjs'),
    format: 'esm',
    plugins: [builtinsByRequire],
    // The launcher starts `run`'s first servers through cross-spawn (CommonJS): its require()s of built-ins
    // need a real require in an ES module.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __mcpCreateRequire } from 'node:module';\nconst require = __mcpCreateRequire(import.meta.url);",
    },
    define: { ...constants, __MCP_PROXY_SEA__: 'false' },
  });
  const sea = await esbuild.build({
    ...common,
    outfile: path.join(outdir, 'mcp-proxy-sea.cjs'),
    format: 'cjs',
    // Not read in the binary (selfPath() returns process.execPath there); defined so CJS output is clean.
    define: { ...constants, __MCP_PROXY_SEA__: 'true', 'import.meta.url': '"file:///mcp-proxy-sea.cjs"' },
  });
  checkExternals(esm.metafile, 'the launcher');
  checkExternals(sea.metafile, 'the SEA launcher');
  const metafile = {
    inputs: { ...coreMetafile.inputs, ...esm.metafile.inputs },
    outputs: { ...coreMetafile.outputs, ...esm.metafile.outputs, ...sea.metafile.outputs },
  };
  return { metafile, bytes: esm.metafile.outputs['dist/mcp-proxy.mjs']?.bytes ?? 0 };
}

/**
 * The ES module launcher takes Node's built-ins with require() (the banner's), not `import`: Node builds an
 * ES module facade for each built-in imported, reading every export, and some exports are getters that load
 * more (node:fs's streams load node:stream). That was most of what `version` and `--help` spent beyond bare
 * Node. Each built-in becomes a CommonJS stand-in that requires the real one.
 */
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(build) {
    const isBuiltin = (spec) => spec.startsWith('node:') || builtinModules.includes(spec);
    build.onResolve({ filter: /.*/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      if (args.namespace === 'builtin-require') return { path: args.path, external: true };
      return { path: args.path, namespace: 'builtin-require' };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/**
 * Writes the licenses of every package inside the bundle (their notices must travel with copies of their
 * code; esbuild's `legalComments: 'none'` drops the inline ones). Returns how many packages it lists.
 */
export function writeThirdPartyNotices({ root, metafile, outFile }) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const m = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
    if (m) dirs.add(m[1]);
  }
  const entries = [];
  for (const dir of [...dirs].sort()) {
    const abs = path.join(root, dir);
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(path.join(abs, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    const licenseFile = readdirSync(abs).find((f) => /^(licen[cs]e|copying|notice)(\.|$|-)/i.test(f));
    const text = licenseFile
      ? readFileSync(path.join(abs, licenseFile), 'utf8').trim()
      : '(no license file in the package)';
    const license = typeof manifest.license === 'string' ? manifest.license : (manifest.license?.type ?? 'unknown');
    entries.push(`${manifest.name}@${manifest.version} (${license})\n\n${text}`);
  }
  const header =
    'mcp-proxy bundles the following packages. Their licenses and notices follow.\n' +
    'mcp-proxy itself is MIT licensed (see LICENSE).';
  writeFileSync(outFile, `${header}\n\n${entries.map((e) => `${'-'.repeat(78)}\n${e}\n`).join('\n')}`);
  return entries.length;
}
