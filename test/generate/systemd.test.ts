/**
 * `generate systemd`: the unit's content (hardening, credentials through LoadCredential=, the stop signal
 * to the proxy alone), the command itself in-process, and `systemd-analyze verify` / `security` on the
 * result when systemd's tools are installed (skipped loudly otherwise).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderSystemdUnit, systemdWord } from '../../src/generate/systemd.js';
import { makeContext, runInProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';

const tmp = tempDir('mcp-proxy-systemd-');
afterAll(tmp.cleanup);

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;
if (!analyze) console.warn('\n!!! systemd-analyze is not installed: the `systemd-analyze verify` checks are SKIPPED\n');

const BASE = {
  version: '1.2.3',
  launch: [process.execPath, '/opt/mcp-proxy/mcp-proxy.mjs'],
  configPath: '/etc/mcp-proxy/config.json',
  credentialsPath: '/etc/mcp-proxy/credentials.json',
};

/** The unit's settings as [key, value] pairs in order (comments and section headers left out). */
function settings(unit: string): [string, string][] {
  return unit
    .split('\n')
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}

function value(unit: string, key: string): string | undefined {
  return settings(unit).find(([k]) => k === key)?.[1];
}

function verify(unit: string, name = 'mcp-proxy.service'): { status: number | null; stderr: string } {
  const file = path.join(tmp.dir, name);
  fs.writeFileSync(file, unit);
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr.trim() };
}

describe('renderSystemdUnit', () => {
  const unit = renderSystemdUnit(BASE);

  it('is hardened: a dynamic user, a read-only system, no privileges, no capabilities', () => {
    expect(value(unit, 'DynamicUser')).toBe('yes');
    expect(value(unit, 'User')).toBeUndefined();
    expect(value(unit, 'ProtectSystem')).toBe('strict');
    expect(value(unit, 'ProtectHome')).toBe('yes');
    expect(value(unit, 'NoNewPrivileges')).toBe('yes');
    expect(value(unit, 'PrivateTmp')).toBe('yes');
    expect(value(unit, 'CapabilityBoundingSet')).toBe('');
    expect(value(unit, 'RestrictAddressFamilies')).toBe('AF_UNIX AF_INET AF_INET6');
    expect(value(unit, 'UMask')).toBe('0077');
    // V8's JIT needs W+X memory.
    expect(value(unit, 'MemoryDenyWriteExecute')).toBeUndefined();
  });

  it('takes its secrets through LoadCredential=, never from the environment', () => {
    expect(value(unit, 'LoadCredential')).toBe('credentials.json:/etc/mcp-proxy/credentials.json');
    expect(value(unit, 'ExecStart')).toBe(
      `${process.execPath} /opt/mcp-proxy/mcp-proxy.mjs run --transport http --host 127.0.0.1 --port 8765 ` +
        '--config /etc/mcp-proxy/config.json --credentials %d/credentials.json',
    );
    const env = settings(unit)
      .filter(([k]) => k === 'Environment')
      .map(([, v]) => v)
      .join(' ');
    expect(env).not.toMatch(/TOKEN|SECRET|KEY/);
    expect(env).toContain('HOME=%S/mcp-proxy');
  });

  it('sends SIGTERM to the proxy alone, which drains and stops its own upstreams; SIGHUP reloads', () => {
    expect(value(unit, 'KillMode')).toBe('mixed');
    expect(value(unit, 'KillSignal')).toBe('SIGTERM');
    expect(Number(value(unit, 'TimeoutStopSec'))).toBeGreaterThanOrEqual(15);
    expect(value(unit, 'ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(value(unit, 'Restart')).toBe('on-failure');
  });

  it('a named user, another address and port; a bundle under /home keeps ProtectHome read-only', () => {
    const named = renderSystemdUnit({
      ...BASE,
      launch: [process.execPath, '/home/me/mcp-proxy-server/dist/mcp-proxy.mjs'],
      user: 'mcpproxy',
      host: '0.0.0.0',
      port: 9000,
    });
    expect(value(named, 'User')).toBe('mcpproxy');
    expect(value(named, 'DynamicUser')).toBeUndefined();
    expect(value(named, 'ProtectHome')).toBe('read-only');
    expect(value(named, 'ExecStart')).toContain('--host 0.0.0.0 --port 9000');
  });

  it('quotes ExecStart words with spaces, quotes or specifiers', () => {
    expect(systemdWord('/usr/bin/node')).toBe('/usr/bin/node');
    expect(systemdWord('/opt/my proxy/x.mjs')).toBe('"/opt/my proxy/x.mjs"');
    expect(systemdWord('/opt/100%/x')).toBe('/opt/100%%/x');
    expect(systemdWord('/opt/a"b $c')).toBe('"/opt/a\\"b $$c"');
  });

  it.skipIf(!analyze)('passes `systemd-analyze verify` (which does catch a broken unit)', () => {
    expect(verify(unit)).toEqual({ status: 0, stderr: '' });
    const spaced = renderSystemdUnit({ ...BASE, launch: [process.execPath, '/opt/my proxy/x.mjs'], user: 'root' });
    expect(verify(spaced)).toEqual({ status: 0, stderr: '' });
    const broken = verify(unit.replace('ProtectSystem=strict', 'ProtectSystem=bogus'), 'broken.service');
    expect(broken.stderr).toContain('bogus');
    const missing = verify(unit.replace(process.execPath, '/nonexistent/node'), 'missing.service');
    expect(missing.status).not.toBe(0);
  });

  it.skipIf(!analyze)('rates as well exposed as "OK" or better by `systemd-analyze security`', () => {
    const file = path.join(tmp.dir, 'mcp-proxy.service');
    fs.writeFileSync(file, unit);
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', file], { encoding: 'utf8' });
    const level = /Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout)?.[1];
    expect(level, r.stdout + r.stderr).toBeDefined();
    expect(Number(level)).toBeLessThanOrEqual(3);
  });
});

describe('mcp-proxy generate systemd', () => {
  const home = path.join(tmp.dir, 'home');
  fs.mkdirSync(home, { recursive: true });

  it('prints the unit for this copy: its node and bundle', async () => {
    const t = makeContext({ home, cwd: home, entry: '/opt/mcp-proxy/mcp-proxy.mjs' });
    const r = await runInProcess(t, ['generate', 'systemd']);
    expect(r.status).toBe(0);
    expect(value(r.stdout, 'ExecStart')).toMatch(
      new RegExp(`^${process.execPath} /opt/mcp-proxy/mcp-proxy.mjs run --transport http`),
    );
    expect(value(r.stdout, 'LoadCredential')).toBe('credentials.json:/etc/mcp-proxy/credentials.json');
  });

  it('the binary alone; --output writes the file; --config, --credentials and --user are used', async () => {
    const t = makeContext({ home, cwd: home, deployment: 'binary', execPath: '/usr/local/bin/mcp-proxy' });
    const r = await runInProcess(t, [
      'generate',
      'systemd',
      '--output',
      'mcp-proxy.service',
      '--config',
      '/srv/mcp/config.yaml',
      '--credentials',
      '/srv/mcp/creds.json',
      '--user',
      'mcp',
    ]);
    expect(r.status).toBe(0);
    const unit = fs.readFileSync(path.join(home, 'mcp-proxy.service'), 'utf8');
    expect(value(unit, 'ExecStart')).toMatch(/^\/usr\/local\/bin\/mcp-proxy run .* --config \/srv\/mcp\/config.yaml /);
    expect(value(unit, 'LoadCredential')).toBe('credentials.json:/srv/mcp/creds.json');
    expect(value(unit, 'User')).toBe('mcp');
    expect(r.stdout).toContain('created');
    expect(r.stderr).toContain('systemctl enable --now mcp-proxy');
  });

  it('refuses a copy run by npx (its files go away): exit 2, nothing written', async () => {
    const t = makeContext({ home, cwd: home, deployment: 'npx' });
    const r = await runInProcess(t, ['generate', 'systemd', '--output', 'npx.service']);
    expect(r.status).toBe(2);
    expect(r.error).toContain('needs an installed copy');
    expect(fs.existsSync(path.join(home, 'npx.service'))).toBe(false);
  });
});
