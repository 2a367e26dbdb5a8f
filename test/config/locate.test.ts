import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSearch, locateConfig, searchPlaces } from '../../src/config/locate.js';
import { AppError } from '../../src/errors.js';
import { userConfigDir } from '../../src/util/paths.js';
import { tmpDir } from '../helpers/files.js';

/** A fake file system: the set of paths that exist. */
function fsWith(...paths: string[]) {
  const set = new Set(paths);
  return (p: string) => set.has(p);
}

const posix = { cwd: '/work/proj', homedir: '/home/me', platform: 'linux' as const };

describe('locateConfig (pure, fake file system)', () => {
  it('uses --config first, resolved against cwd, even when other files exist', () => {
    const exists = fsWith('/work/proj/conf/p.json', '/work/proj/mcp-proxy.json', '/env.json');
    expect(locateConfig({ ...posix, env: { MCP_PROXY_CONFIG: '/env.json' }, path: 'conf/p.json', exists })).toEqual({
      path: '/work/proj/conf/p.json',
      source: 'flag',
    });
  });

  it('expands ~ in --config and $MCP_PROXY_CONFIG', () => {
    const exists = fsWith('/home/me/p.yaml');
    expect(locateConfig({ ...posix, env: {}, path: '~/p.yaml', exists })?.path).toBe('/home/me/p.yaml');
    expect(locateConfig({ ...posix, env: { MCP_PROXY_CONFIG: '~/p.yaml' }, exists })).toEqual({
      path: '/home/me/p.yaml',
      source: 'env',
    });
  });

  it('an explicit path that does not exist is CONFIG_NOT_FOUND naming the path and where it came from', () => {
    const exists = fsWith('/work/proj/mcp-proxy.json');
    const flag = () => locateConfig({ ...posix, env: {}, path: 'missing.json', exists });
    expect(flag).toThrow(AppError);
    expect(flag).toThrow(/config file not found: \/work\/proj\/missing\.json \(from --config\)/);
    try {
      flag();
    } catch (e) {
      expect((e as AppError).code).toBe('CONFIG_NOT_FOUND');
      expect((e as AppError).exitCode).toBe(2);
    }
    expect(() => locateConfig({ ...posix, env: { MCP_PROXY_CONFIG: 'gone.json' }, exists })).toThrow(
      /\/work\/proj\/gone\.json \(from \$MCP_PROXY_CONFIG\)/,
    );
  });

  it('$MCP_PROXY_CONFIG beats ./mcp-proxy.json', () => {
    const exists = fsWith('/etc/p.json', '/work/proj/mcp-proxy.json');
    expect(locateConfig({ ...posix, env: { MCP_PROXY_CONFIG: '/etc/p.json' }, exists })?.source).toBe('env');
  });

  it('finds ./mcp-proxy.json, then .yaml, then .yml in cwd', () => {
    expect(locateConfig({ ...posix, env: {}, exists: fsWith('/work/proj/mcp-proxy.yml') })).toEqual({
      path: '/work/proj/mcp-proxy.yml',
      source: 'cwd',
    });
    expect(
      locateConfig({ ...posix, env: {}, exists: fsWith('/work/proj/mcp-proxy.yaml', '/work/proj/mcp-proxy.json') })
        ?.path,
    ).toBe('/work/proj/mcp-proxy.json');
  });

  it('cwd beats the user config dir', () => {
    const exists = fsWith('/work/proj/mcp-proxy.yaml', '/home/me/.config/mcp-proxy/config.json');
    expect(locateConfig({ ...posix, env: {}, exists })?.source).toBe('cwd');
  });

  it('falls back to ~/.config/mcp-proxy/config.json, or .yaml', () => {
    expect(locateConfig({ ...posix, env: {}, exists: fsWith('/home/me/.config/mcp-proxy/config.json') })).toEqual({
      path: '/home/me/.config/mcp-proxy/config.json',
      source: 'user',
    });
    expect(locateConfig({ ...posix, env: {}, exists: fsWith('/home/me/.config/mcp-proxy/config.yaml') })?.path).toBe(
      '/home/me/.config/mcp-proxy/config.yaml',
    );
  });

  it('honours an absolute XDG_CONFIG_HOME and ignores a relative one (XDG spec)', () => {
    const exists = fsWith('/xdg/mcp-proxy/config.json', '/home/me/.config/mcp-proxy/config.json');
    expect(locateConfig({ ...posix, env: { XDG_CONFIG_HOME: '/xdg' }, exists })?.path).toBe(
      '/xdg/mcp-proxy/config.json',
    );
    expect(locateConfig({ ...posix, env: { XDG_CONFIG_HOME: 'rel' }, exists })?.path).toBe(
      '/home/me/.config/mcp-proxy/config.json',
    );
  });

  it('uses %APPDATA%\\mcp-proxy on Windows, with win32 path rules', () => {
    const win = { cwd: 'C:\\proj', homedir: 'C:\\Users\\me', platform: 'win32' as const };
    const env = { APPDATA: 'C:\\Users\\me\\AppData\\Roaming', XDG_CONFIG_HOME: '/ignored' };
    expect(userConfigDir({ ...win, env })).toBe('C:\\Users\\me\\AppData\\Roaming\\mcp-proxy');
    expect(userConfigDir({ ...win, env: {} })).toBe('C:\\Users\\me\\AppData\\Roaming\\mcp-proxy');
    const exists = fsWith('C:\\Users\\me\\AppData\\Roaming\\mcp-proxy\\config.json');
    expect(locateConfig({ ...win, env, exists })).toEqual({
      path: 'C:\\Users\\me\\AppData\\Roaming\\mcp-proxy\\config.json',
      source: 'user',
    });
    expect(locateConfig({ ...win, env, path: 'conf\\p.json', exists: fsWith('C:\\proj\\conf\\p.json') })?.path).toBe(
      'C:\\proj\\conf\\p.json',
    );
    expect(locateConfig({ ...win, env, exists: fsWith('C:\\proj\\mcp-proxy.json') })?.source).toBe('cwd');
  });

  it('returns undefined when there is no config anywhere, and says where it looked', () => {
    expect(locateConfig({ ...posix, env: {}, exists: fsWith() })).toBeUndefined();
    const places = describeSearch({ ...posix, env: {} });
    expect(places).toContain('/work/proj/mcp-proxy.json');
    expect(places).toContain('/home/me/.config/mcp-proxy/config.json');
    expect(searchPlaces({ ...posix, env: {} }).map((p) => p.source)).toEqual([
      'cwd',
      'cwd',
      'cwd',
      'user',
      'user',
      'user',
    ]);
  });
});

describe('locateConfig (real file system)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir('mcp-proxy-locate-');
    fs.mkdirSync(path.join(dir, 'home/.config/mcp-proxy'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'proj'));
    fs.writeFileSync(path.join(dir, 'home/.config/mcp-proxy/config.yaml'), 'mcpServers: {}\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds the user config, then prefers a cwd file once it exists', () => {
    const opts = { env: {}, cwd: path.join(dir, 'proj'), homedir: path.join(dir, 'home'), platform: process.platform };
    expect(locateConfig(opts)).toEqual({ path: path.join(dir, 'home/.config/mcp-proxy/config.yaml'), source: 'user' });
    fs.writeFileSync(path.join(dir, 'proj/mcp-proxy.json'), '{"mcpServers": {}}');
    expect(locateConfig(opts)).toEqual({ path: path.join(dir, 'proj/mcp-proxy.json'), source: 'cwd' });
  });
});
