import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { defaultCacheDir, serverCompileCacheDir, startOfferDir } from '../../src/util/cacheDir.js';

describe('defaultCacheDir (the catalogs)', () => {
  test('where it lives on each platform, and MCP_PROXY_CACHE_DIR', () => {
    expect(defaultCacheDir({}, 'linux', '/home/u')).toBe('/home/u/.cache/mcp-proxy/catalogs');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' }, 'linux', '/home/u')).toBe('/x/mcp-proxy/catalogs');
    expect(defaultCacheDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Caches/mcp-proxy/catalogs');
    expect(defaultCacheDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u')).toBe(
      'C:\\Users\\u\\AppData\\Local\\mcp-proxy\\catalogs',
    );
    expect(defaultCacheDir({ MCP_PROXY_CACHE_DIR: 'off' }, 'linux', '/home/u')).toBeUndefined();
    expect(defaultCacheDir({ MCP_PROXY_CACHE_DIR: '/c' }, 'linux', '/home/u')).toBe('/c');
  });
});

describe('serverCompileCacheDir', () => {
  test('beside the catalogs in the user cache folder', () => {
    expect(serverCompileCacheDir({}, 'linux', '/home/u')).toBe('/home/u/.cache/mcp-proxy/node-compile-cache');
    expect(serverCompileCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'linux', '/home/u')).toBe(
      '/xdg/mcp-proxy/node-compile-cache',
    );
    expect(serverCompileCacheDir({}, 'darwin', '/Users/u')).toBe(
      '/Users/u/Library/Caches/mcp-proxy/node-compile-cache',
    );
    expect(serverCompileCacheDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u')).toBe(
      'C:\\Users\\u\\AppData\\Local\\mcp-proxy\\node-compile-cache',
    );
  });

  test('inside $MCP_PROXY_CACHE_DIR when set; none when the cache is off', () => {
    expect(serverCompileCacheDir({ MCP_PROXY_CACHE_DIR: '/var/cache/proxy' }, 'linux', '/home/u')).toBe(
      path.resolve('/var/cache/proxy', 'node-compile-cache'),
    );
    for (const off of ['off', '0', 'false']) {
      expect(serverCompileCacheDir({ MCP_PROXY_CACHE_DIR: off }, 'linux', '/home/u')).toBeUndefined();
    }
  });
});

describe('startOfferDir (the initialize answers kept for the launcher)', () => {
  test('beside the catalogs, inside $MCP_PROXY_CACHE_DIR when set, none when the cache is off', () => {
    expect(startOfferDir({}, 'linux', '/home/u')).toBe('/home/u/.cache/mcp-proxy/offers');
    expect(startOfferDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Caches/mcp-proxy/offers');
    expect(startOfferDir({ MCP_PROXY_CACHE_DIR: '/c' }, 'linux', '/home/u')).toBe(path.resolve('/c', 'offers'));
    expect(startOfferDir({ MCP_PROXY_CACHE_DIR: 'off' }, 'linux', '/home/u')).toBeUndefined();
  });
});
