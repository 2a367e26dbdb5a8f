import { describe, expect, it } from 'vitest';
import { type DetectInput, detectDeployment, parseMountinfo } from '../../src/deployment/detect.js';

/** A simulated machine: which files exist and what they contain. */
function machine(files: Record<string, string>, over: Partial<DetectInput> = {}): DetectInput {
  return {
    env: {},
    execPath: '/usr/bin/node',
    entry: '/usr/lib/node_modules/mcp-proxy-server/dist/mcp-proxy.mjs',
    platform: 'linux',
    exists: (p) => Object.hasOwn(files, p),
    readFile: (p) => (Object.hasOwn(files, p) ? files[p] : undefined),
    isSea: () => false,
    isPkg: () => false,
    ...over,
  };
}

const HOST_CGROUP_V1 = '9:name=systemd:/\n4:memory:/\n1:cpu:/\n0::/\n';
const CGROUP_V2_PRIVATE = '0::/\n';
const EXT4_ROOT = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard',
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
].join('\n');
const DOCKER_OVERLAY_ROOT = [
  '1042 950 0:112 / / rw,relatime master:292 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/ABC:/var/lib/docker/overlay2/l/DEF,upperdir=/var/lib/docker/overlay2/123/diff,workdir=/var/lib/docker/overlay2/123/work',
  '1043 1042 0:115 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
].join('\n');
const PLAIN_OVERLAY_ROOT =
  '30 1 0:40 / / rw,relatime - overlay overlay rw,lowerdir=/lower,upperdir=/upper/diff,workdir=/upper/work';
const DOCKER_HOSTNAME_BIND = [
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '1061 27 254:1 /var/lib/docker/containers/abc123def/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw',
].join('\n');
/** A Docker *host*: its own root is ext4, but it lists its containers' overlay mounts. */
const DOCKER_HOST = [
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '500 27 0:90 / /var/lib/docker/overlay2/123/merged rw,relatime - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X,upperdir=/var/lib/docker/overlay2/123/diff,workdir=/var/lib/docker/overlay2/123/work',
].join('\n');

describe('detectDeployment', () => {
  it('an explicit MCP_PROXY_DEPLOYMENT wins over every heuristic', () => {
    const d = detectDeployment(
      machine({ '/.dockerenv': '' }, { env: { MCP_PROXY_DEPLOYMENT: 'npx' }, isSea: () => true }),
    );
    expect(d).toEqual({ kind: 'npx', evidence: 'MCP_PROXY_DEPLOYMENT=npx' });
  });

  it('ignores an unknown MCP_PROXY_DEPLOYMENT value and says so', () => {
    const d = detectDeployment(machine({}, { env: { MCP_PROXY_DEPLOYMENT: 'kubernetes' } }));
    expect(d.kind).toBe('node');
    expect(d.evidence).toContain('ignored MCP_PROXY_DEPLOYMENT=kubernetes');
    expect(d.evidence).toContain('binary, npx, docker, node');
  });

  it('a Node single executable application is a binary', () => {
    const d = detectDeployment(machine({}, { isSea: () => true, execPath: '/usr/local/bin/mcp-proxy' }));
    expect(d.kind).toBe('binary');
    expect(d.evidence).toContain('single executable');
    expect(d.evidence).toContain('/usr/local/bin/mcp-proxy');
  });

  it('a pkg executable (process.pkg) is a binary', () => {
    const d = detectDeployment(machine({}, { isPkg: () => true }));
    expect(d.kind).toBe('binary');
    expect(d.evidence).toContain('pkg');
  });

  it('an entry in the npm exec cache is npx (POSIX and Windows paths)', () => {
    const posix = detectDeployment(
      machine({}, { entry: '/home/me/.npm/_npx/4f1a2b/node_modules/mcp-proxy-server/dist/mcp-proxy.mjs' }),
    );
    expect(posix.kind).toBe('npx');
    expect(posix.evidence).toContain('/home/me/.npm/_npx/4f1a2b');
    const win = detectDeployment(
      machine(
        {},
        {
          platform: 'win32',
          entry:
            'C:\\Users\\me\\AppData\\Local\\npm-cache\\_npx\\4f1a2b\\node_modules\\mcp-proxy-server\\dist\\mcp-proxy.mjs',
        },
      ),
    );
    expect(win.kind).toBe('npx');
  });

  it('a global install or checkout is node', () => {
    const d = detectDeployment(machine({ '/proc/self/cgroup': HOST_CGROUP_V1, '/proc/self/mountinfo': EXT4_ROOT }));
    expect(d.kind).toBe('node');
    expect(d.evidence).toContain('/usr/bin/node');
    expect(d.evidence).not.toContain('dockerenv');
  });

  it('cgroup v1 paths naming docker mean docker, even without /.dockerenv', () => {
    const d = detectDeployment(
      machine({
        '/proc/self/cgroup': '12:memory:/docker/3f2ab9c0\n0::/docker/3f2ab9c0\n',
        '/proc/self/mountinfo': EXT4_ROOT,
      }),
    );
    expect(d.kind).toBe('docker');
    expect(d.evidence).toContain('/proc/self/cgroup shows /docker/3f2ab9c0');
  });

  it('kubepods and containerd cgroups mean a container', () => {
    const k8s = detectDeployment(
      machine({ '/proc/1/cgroup': '0::/kubepods/besteffort/pod1234/abcd\n', '/proc/self/mountinfo': EXT4_ROOT }),
    );
    expect(k8s.kind).toBe('docker');
    expect(k8s.evidence).toContain('/proc/1/cgroup shows /kubepods/besteffort');
  });

  it('cgroup v2 with a private namespace: the overlay root from docker storage decides', () => {
    const d = detectDeployment(
      machine({
        '/.dockerenv': '',
        '/proc/self/cgroup': CGROUP_V2_PRIVATE,
        '/proc/self/mountinfo': DOCKER_OVERLAY_ROOT,
      }),
    );
    expect(d.kind).toBe('docker');
    expect(d.evidence).toBe('/.dockerenv, root filesystem is an overlay from docker storage');
  });

  it('/etc/hostname bind-mounted from a container runtime directory means docker', () => {
    const d = detectDeployment(
      machine({ '/proc/self/cgroup': CGROUP_V2_PRIVATE, '/proc/self/mountinfo': DOCKER_HOSTNAME_BIND }),
    );
    expect(d.kind).toBe('docker');
    expect(d.evidence).toContain('/etc/hostname is mounted from /var/lib/docker/containers/abc123def/hostname');
  });

  it('a root bound from container storage (vfs driver) means docker; long ids are shortened', () => {
    const id = 'd35d41aeb4edb47a0bd027a99de777e0afe5de31b998d45a0bf5097033ecdb70';
    const d = detectDeployment(
      machine({
        '/proc/self/cgroup': CGROUP_V2_PRIVATE,
        '/proc/self/mountinfo': `67 44 254:0 /var/lib/docker/vfs/dir/${id} / rw,relatime master:1 - ext4 /dev/vda rw`,
      }),
    );
    expect(d.kind).toBe('docker');
    expect(d.evidence).toBe('root filesystem is /var/lib/docker/vfs/dir/d35d41aeb4ed…');
  });

  it('/.dockerenv together with an overlay root is docker', () => {
    const d = detectDeployment(
      machine({
        '/.dockerenv': '',
        '/proc/self/cgroup': CGROUP_V2_PRIVATE,
        '/proc/self/mountinfo': PLAIN_OVERLAY_ROOT,
      }),
    );
    expect(d.kind).toBe('docker');
    expect(d.evidence).toBe('/.dockerenv and an overlay root filesystem');
  });

  it('an empty /.dockerenv alone (a Firecracker-style microVM on ext4) is NOT docker, and the evidence says why', () => {
    const d = detectDeployment(
      machine({
        '/.dockerenv': '',
        '/proc/1/cgroup': HOST_CGROUP_V1,
        '/proc/self/cgroup': HOST_CGROUP_V1,
        '/proc/self/mountinfo': EXT4_ROOT,
      }),
    );
    expect(d.kind).toBe('node');
    expect(d.evidence).toContain('/.dockerenv exists but no container cgroup or mount was found (root is ext4)');
  });

  it('an overlay root alone (live systems, some VMs) is not docker', () => {
    const d = detectDeployment(
      machine({ '/proc/self/cgroup': CGROUP_V2_PRIVATE, '/proc/self/mountinfo': PLAIN_OVERLAY_ROOT }),
    );
    expect(d.kind).toBe('node');
  });

  it('a process on a Docker host is not taken for a container because of its containers mounts', () => {
    const d = detectDeployment(
      machine({
        '/proc/self/cgroup': '0::/user.slice/user-1000.slice/session-2.scope\n',
        '/proc/self/mountinfo': DOCKER_HOST,
      }),
    );
    expect(d.kind).toBe('node');
  });

  it('container checks run on Linux only', () => {
    const files = { '/.dockerenv': '', '/proc/self/cgroup': '1:cpu:/docker/abc\n' };
    expect(detectDeployment(machine(files, { platform: 'darwin' })).kind).toBe('node');
    expect(detectDeployment(machine(files, { platform: 'linux' })).kind).toBe('docker');
  });

  it('binary is decided before npx and docker', () => {
    const d = detectDeployment(
      machine({ '/proc/self/cgroup': '1:cpu:/docker/abc\n' }, { isSea: () => true, entry: '/x/_npx/1/a.mjs' }),
    );
    expect(d.kind).toBe('binary');
  });
});

describe('parseMountinfo', () => {
  it('reads root, mount point, fs type and super options, unescaping octal', () => {
    const [m] = parseMountinfo(
      '36 35 98:0 /mnt\\040dir /mnt/my\\040dir rw,noatime master:1 - ext3 /dev/root rw,errors=continue',
    );
    expect(m).toEqual({
      root: '/mnt dir',
      mountPoint: '/mnt/my dir',
      fsType: 'ext3',
      source: '/dev/root',
      superOptions: 'rw,errors=continue',
    });
  });
});
