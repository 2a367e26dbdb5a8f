import { describe, expect, test } from 'vitest';
import { buildChildEnv, serversEnv, withCompileCache } from '../../src/upstream/childEnv.js';

describe('withCompileCache', () => {
  test('sets NODE_COMPILE_CACHE when the user has not', () => {
    expect(withCompileCache({ PATH: '/bin' }, '/c')).toEqual({ PATH: '/bin', NODE_COMPILE_CACHE: '/c' });
  });

  test("keeps the user's own setting, respects NODE_DISABLE_COMPILE_CACHE, and sets nothing without a folder", () => {
    expect(withCompileCache({ NODE_COMPILE_CACHE: '/mine' }, '/c')).toEqual({ NODE_COMPILE_CACHE: '/mine' });
    expect(withCompileCache({ NODE_DISABLE_COMPILE_CACHE: '1' }, '/c')).toEqual({ NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(withCompileCache({ PATH: '/bin' }, undefined)).toEqual({ PATH: '/bin' });
  });
});

describe('serversEnv', () => {
  const host = { env: { PATH: '/bin' }, platform: 'linux' as const, homedir: '/home/u' };

  test('reaches the servers through the inherited variables, unless the cache is off', () => {
    const on = buildChildEnv(serversEnv(host, {}), { A: '1' });
    expect(on).toEqual({ PATH: '/bin', NODE_COMPILE_CACHE: '/home/u/.cache/mcp-proxy/node-compile-cache', A: '1' });
    expect(buildChildEnv(serversEnv(host, { cache: false }), undefined)).toEqual({ PATH: '/bin' });
  });

  test("a server's own env can turn it off", () => {
    const env = buildChildEnv(serversEnv(host, {}), { NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(env.NODE_DISABLE_COMPILE_CACHE).toBe('1');
  });
});
