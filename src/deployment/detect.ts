/**
 * How this copy of the proxy was deployed: a standalone binary, an `npx` run from the npm exec cache,
 * a Docker (or other OCI) container, or plain node. The credential chain orders its sources by it, and
 * `version` / `status` report it with the evidence.
 *
 * Rules, first match wins:
 *  1. `MCP_PROXY_DEPLOYMENT=binary|npx|docker|node` (the Docker image sets it). An unknown value is
 *     ignored and said so in the evidence.
 *  2. binary: Node's single-executable marker (`require('node:sea').isSea()`), or `process.pkg` (vercel/pkg).
 *  3. npx: the entry script lives in the npm exec cache (`.../_npx/<hash>/...`, e.g. `~/.npm/_npx/` or
 *     `npm-cache/_npx` on Windows).
 *  4. docker (Linux only), from container evidence:
 *     - strong: `/proc/self/cgroup` or `/proc/1/cgroup` shows a docker / containerd / kubepods / libpod path;
 *     - strong: `/proc/self/mountinfo` shows the root as an overlay whose layers live under
 *       docker/containerd storage, or a root bound from such a directory (vfs: `/var/lib/docker/vfs/dir/<id>`),
 *       or `/etc/hostname`, `/etc/hosts`, `/etc/resolv.conf` bind-mounted from a container runtime's
 *       directory (`/var/lib/docker/containers/<id>/hostname`, ...);
 *     - weak: `/.dockerenv` exists. Some microVMs (e.g. Firecracker sandboxes) ship an empty
 *       `/.dockerenv` on an ext4 root, so it counts only together with another hint: either a strong one
 *       above or an overlay root filesystem.
 *     Only the root mount and those three files are inspected: a Docker *host* also lists its containers'
 *     overlay mounts in mountinfo, and that must not make a host process look containerised.
 *  5. node: anything else (a global npm install, a git checkout, `node dist/mcp-proxy.mjs`).
 */
import fs from 'node:fs';

export type DeploymentKind = 'binary' | 'npx' | 'docker' | 'node';

export interface Deployment {
  kind: DeploymentKind;
  /** Why we think so (for `version` and `status`). */
  evidence: string;
}

export interface DetectInput {
  env: NodeJS.ProcessEnv;
  execPath: string;
  entry: string;
  /** Defaults to process.platform; container checks run on Linux only. */
  platform?: NodeJS.Platform;
  /** Overridable for tests. */
  exists?: (path: string) => boolean;
  /** Returns the file's text, or undefined when it cannot be read. Overridable for tests. */
  readFile?: (path: string) => string | undefined;
  isSea?: () => boolean;
  /** True inside a vercel/pkg executable (`process.pkg`). */
  isPkg?: () => boolean;
}

export const DEPLOYMENT_KINDS: readonly DeploymentKind[] = ['binary', 'npx', 'docker', 'node'];

/** Container runtimes' names as they appear in cgroup paths and mount sources. */
const RUNTIME_HINT = /docker|containerd|kubepods|libpod|cri-o|crio-/;
const RUNTIME_FILES = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);

export function detectDeployment(input: DetectInput): Deployment {
  const notes: string[] = [];
  const marker = input.env.MCP_PROXY_DEPLOYMENT;
  if (marker) {
    if ((DEPLOYMENT_KINDS as readonly string[]).includes(marker)) {
      return { kind: marker as DeploymentKind, evidence: `MCP_PROXY_DEPLOYMENT=${marker}` };
    }
    notes.push(`ignored MCP_PROXY_DEPLOYMENT=${marker}: expected one of ${DEPLOYMENT_KINDS.join(', ')}`);
  }
  const withNotes = (d: Deployment): Deployment =>
    notes.length ? { kind: d.kind, evidence: `${d.evidence}; ${notes.join('; ')}` } : d;

  if ((input.isSea ?? defaultIsSea)()) {
    return withNotes({ kind: 'binary', evidence: `Node single executable application ${input.execPath}` });
  }
  if ((input.isPkg ?? defaultIsPkg)()) {
    return withNotes({ kind: 'binary', evidence: `pkg executable ${input.execPath}` });
  }

  const entry = input.entry.replace(/\\/g, '/');
  if (/\/_npx\//.test(entry)) {
    return withNotes({ kind: 'npx', evidence: `entry ${input.entry} is in the npm exec cache (_npx)` });
  }

  const platform = input.platform ?? process.platform;
  if (platform === 'linux') {
    const container = containerEvidence(input.exists ?? fs.existsSync, input.readFile ?? defaultReadFile);
    if (container.docker) return withNotes({ kind: 'docker', evidence: container.evidence });
    if (container.evidence) notes.push(container.evidence);
  }
  return withNotes({ kind: 'node', evidence: `node ${input.execPath} running ${input.entry || '(no entry script)'}` });
}

interface ContainerEvidence {
  docker: boolean;
  /** Why (or, when not docker, what was seen and discounted). */
  evidence: string;
}

/** Weighs /.dockerenv, cgroup and mountinfo hints as described in the module comment. */
export function containerEvidence(
  exists: (path: string) => boolean,
  readFile: (path: string) => string | undefined,
): ContainerEvidence {
  const strong: string[] = [];
  for (const file of ['/proc/self/cgroup', '/proc/1/cgroup']) {
    const hit = cgroupHint(readFile(file));
    if (hit) {
      strong.push(`${file} shows ${hit}`);
      break;
    }
  }
  const mounts = parseMountinfo(readFile('/proc/self/mountinfo'));
  const root = mounts.find((m) => m.mountPoint === '/');
  const overlayRoot = root !== undefined && root.fsType === 'overlay';
  if (overlayRoot && root && RUNTIME_HINT.test(`${root.source} ${root.superOptions}`)) {
    strong.push(`root filesystem is an overlay from ${runtimeName(`${root.source} ${root.superOptions}`)} storage`);
  } else if (root && RUNTIME_HINT.test(root.root)) {
    // Storage drivers that bind a directory as the root (vfs, btrfs, zfs): `/var/lib/docker/vfs/dir/<id>`.
    strong.push(`root filesystem is ${root.root}`);
  }
  const bind = mounts.find((m) => RUNTIME_FILES.has(m.mountPoint) && RUNTIME_HINT.test(m.root));
  if (bind) strong.push(`${bind.mountPoint} is mounted from ${bind.root}`);
  const dockerenv = exists('/.dockerenv');

  if (strong.length) {
    return { docker: true, evidence: shortenIds([...(dockerenv ? ['/.dockerenv'] : []), ...strong].join(', ')) };
  }
  if (dockerenv && overlayRoot) {
    return { docker: true, evidence: '/.dockerenv and an overlay root filesystem' };
  }
  if (dockerenv) {
    return {
      docker: false,
      evidence: `/.dockerenv exists but no container cgroup or mount was found (root is ${root?.fsType ?? 'unknown'}), so it was not taken as Docker`,
    };
  }
  return { docker: false, evidence: '' };
}

/** The first cgroup path naming a container runtime, e.g. `/docker/3f2a…` or `/kubepods/…`. */
function cgroupHint(text: string | undefined): string | undefined {
  if (!text) return undefined;
  for (const line of text.split('\n')) {
    // hierarchy-ID:controllers:path
    const path = line.split(':').slice(2).join(':');
    if (path && RUNTIME_HINT.test(path)) return path.length > 80 ? `${path.slice(0, 77)}...` : path;
  }
  return undefined;
}

interface MountEntry {
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  superOptions: string;
}

/** proc(5): `id parent major:minor root mountpoint opts [optional...] - fstype source superopts`. */
export function parseMountinfo(text: string | undefined): MountEntry[] {
  if (!text) return [];
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const dash = fields.indexOf('-');
    if (fields.length < 5 || dash < 0) continue;
    out.push({
      root: unescapeMount(fields[3]),
      mountPoint: unescapeMount(fields[4]),
      fsType: fields[dash + 1] ?? '',
      source: fields[dash + 2] ?? '',
      superOptions: fields[dash + 3] ?? '',
    });
  }
  return out;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** 64-hex container and layer ids, shortened as `docker ps` shows them. */
function shortenIds(text: string): string {
  return text.replace(/\b([0-9a-f]{12})[0-9a-f]{52}\b/g, '$1…');
}

function runtimeName(text: string): string {
  const m = RUNTIME_HINT.exec(text);
  return m ? m[0].replace(/-$/, '') : 'container';
}

function defaultReadFile(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function defaultIsSea(): boolean {
  try {
    // node:sea exists from Node 20.12 / 21.7; absent module means not a SEA.
    const req = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
    const sea = req?.('node:sea') as { isSea?: () => boolean } | undefined;
    return sea?.isSea?.() ?? false;
  } catch {
    return false;
  }
}

function defaultIsPkg(): boolean {
  return Boolean((process as { pkg?: unknown }).pkg);
}
