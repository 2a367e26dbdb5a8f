// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is config syntax the pre-read must leave alone
/**
 * The launcher's raw pre-read of the config: the parameters it starts a server with are exactly those
 * the real config load resolves for it (else the connection would not take the process), and it gives
 * up on, or skips, whatever it cannot read as the loader will.
 */
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { prereadParams } from '../../../src/cli/run/preread.js';
import { findAndLoadConfig } from '../../../src/config/load.js';
import type { UpstreamConfig } from '../../../src/config/schema.js';
import { serversEnv } from '../../../src/upstream/childEnv.js';
import { resolveStdio, spawnKey } from '../../../src/upstream/childProcess.js';
import { tmpDir, writeConfig, writeFile } from '../../helpers/files.js';
import { ECHO, NODE } from '../../helpers/paths.js';

function hostIn(dir: string, env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: dir }) {
  return { env, cwd: dir, homedir: dir, platform: process.platform };
}

/** The keys of the processes the real load would start for each stdio server that starts with the proxy. */
async function loaderKeys(file: string, host: ReturnType<typeof hostIn>): Promise<string[]> {
  const loaded = await findAndLoadConfig({ path: file, ...host });
  const keys: string[] = [];
  for (const config of Object.values(loaded!.config.mcpServers) as UpstreamConfig[]) {
    if (config.type !== 'stdio' || config.lazy || config.disabled || config.replicas !== undefined) continue;
    // The base environment the pool gives every stdio server (src/cli/run/pool.ts).
    const r = resolveStdio(config, serversEnv(host, loaded!.config.proxy), host.cwd);
    if ('params' in r) keys.push(spawnKey(r.params));
  }
  return keys;
}

describe('the raw pre-read of the config', () => {
  test('starts each plain stdio server with exactly the parameters the real load resolves', async () => {
    const dir = tmpDir();
    const file = writeConfig(dir, {
      mcpServers: {
        bare: { command: NODE, args: [ECHO] },
        typed: { type: 'stdio', command: NODE, args: [ECHO, 'x'], env: { B: '2', A: '1' }, cwd: os.tmpdir() },
        relative: { command: 'node', args: ['echo.mjs'], description: 'found on PATH' },
        remote: { url: 'http://127.0.0.1:9/mcp' },
      },
      proxy: { name: 'p', transport: 'stdio' },
    });
    const host = hostIn(dir);
    const pre = prereadParams(['run', '--config', file, '--no-watch', '--log-level', 'error'], host);
    expect(pre.map(spawnKey)).toEqual(await loaderKeys(file, host));
    expect(pre).toHaveLength(3);
    // With the cache off, no compile cache folder in either.
    const off = writeConfig(tmpDir(), { mcpServers: { e: { command: NODE, args: [ECHO] } }, proxy: { cache: false } });
    const offPre = prereadParams(['run', '--config', off], host);
    expect(offPre.map(spawnKey)).toEqual(await loaderKeys(off, host));
    expect(offPre[0].env?.NODE_COMPILE_CACHE).toBeUndefined();
    expect(pre[0].env?.NODE_COMPILE_CACHE).toBe(path.join(dir, '.cache', 'mcp-proxy', 'node-compile-cache'));
  });

  test('finds the config where the loader does (./mcp-proxy.json) and reads --config=FILE and -c FILE', async () => {
    const dir = tmpDir();
    writeConfig(dir, { mcpServers: { e: { command: NODE, args: [ECHO] } } });
    const host = hostIn(dir);
    const expected = await loaderKeys(path.join(dir, 'mcp-proxy.json'), host);
    expect(prereadParams(['run'], host).map(spawnKey)).toEqual(expected);
    const other = writeConfig(tmpDir(), { mcpServers: { f: { command: NODE, args: [ECHO, 'f'] } } });
    expect(prereadParams(['run', `--config=${other}`], host).map((p) => p.args)).toEqual([[ECHO, 'f']]);
    expect(prereadParams(['run', '-c', other, '-v'], host).map((p) => p.args)).toEqual([[ECHO, 'f']]);
  });

  test('skips servers it cannot resolve as the loader will: variables, lazy, disabled, replicas, other kinds', () => {
    const dir = tmpDir();
    const file = writeConfig(dir, {
      mcpServers: {
        variable: { command: NODE, args: [ECHO], env: { TOKEN: '${TOKEN}' } },
        escaped: { command: NODE, args: ['$$HOME'] },
        lazy: { command: NODE, args: [ECHO], lazy: true },
        off: { command: NODE, args: [ECHO], disabled: false },
        many: { command: NODE, args: [ECHO], replicas: 2 },
        aliased: { transport: 'stdio', command: NODE, args: [ECHO] },
        docker: { type: 'docker', image: 'x' },
        missing: { command: 'no-such-command-xyz' },
        plain: { command: NODE, args: [ECHO, 'plain'] },
      },
    });
    expect(prereadParams(['run', '--config', file], hostIn(dir, { TOKEN: 't', PATH: '' })).map((p) => p.args)).toEqual([
      [ECHO, 'plain'],
    ]);
  });

  test('gives up on anything else: other commands and options, YAML, JSON with comments, HTTP, no config', () => {
    const dir = tmpDir();
    const servers = { mcpServers: { e: { command: NODE, args: [ECHO] } } };
    const file = writeConfig(dir, servers);
    const host = hostIn(dir);
    expect(prereadParams(['run', '--config', file], host)).toHaveLength(1);
    const none = (argv: string[]) => expect(prereadParams(argv, host)).toEqual([]);
    none(['validate', '--config', file]);
    none(['--log-level', 'error', 'run', '--config', file]);
    none(['run', '--config', file, '--profile', 'p']);
    none(['run', '--config', file, '--config', file]);
    none(['run', '--config']);
    none(['run', '--config', file, '--transport', 'http']);
    none(['run', '--config', writeConfig(dir, { ...servers, proxy: { transport: 'http' } }, 'http.json')]);
    none(['run', '--config', writeFile(path.join(dir, 'c.yaml'), `mcpServers:\n  e:\n    command: ${NODE}\n`)]);
    none(['run', '--config', writeFile(path.join(dir, 'c.json'), `// note\n${JSON.stringify(servers)}`)]);
    none(['run', '--config', path.join(dir, 'absent.json')]);
    expect(prereadParams(['run'], hostIn(tmpDir()))).toEqual([]); // no config anywhere
    // --transport stdio overrides the config's http, as it does for the real run
    const http = path.join(dir, 'http.json');
    expect(prereadParams(['run', '--config', http, '-t', 'stdio'], host)).toHaveLength(1);
  });
});
