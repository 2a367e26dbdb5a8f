// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are part of what is tested
/** Secret detection, variable naming and the import plan (pure functions). */
import { describe, expect, it } from 'vitest';
import {
  analyzeImport,
  buildImport,
  convertEntry,
  isProxyEntry,
  proxyServerName,
  type SourceServers,
} from '../../src/generate/importer.js';
import {
  applySecrets,
  findSecrets,
  isSecretName,
  looksLikeSecretValue,
  nameSecrets,
} from '../../src/generate/secrets.js';

describe('secret heuristics', () => {
  it('names', () => {
    for (const n of [
      'GITHUB_TOKEN',
      'API_KEY',
      'apiKey',
      'CLIENT_SECRET',
      'DB_PASSWORD',
      'AUTH',
      'GITLAB_PAT',
      'X-Api-Key',
    ]) {
      expect(isSecretName(n), n).toBe(true);
    }
    for (const n of ['PATH', 'HOME', 'MEMORY_FILE_PATH', 'LOG_LEVEL', 'PORT', 'KEY_FILE', 'AUTH_TYPE']) {
      expect(isSecretName(n), n).toBe(false);
    }
  });
  it('values', () => {
    for (const v of [
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnop',
      'sk-proj-abcdefghijklmnop1234',
      'xoxb-1234567890-abcdefghij',
      'postgresql://admin:s3cret@db:5432/app',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc',
      'Zx8Qp2Lr5Tn7Vb1Mc4Kd9Wf3Hg6Js0',
    ]) {
      expect(looksLikeSecretValue(v), v).toBe(true);
    }
    for (const v of [
      '/home/me/.local/share/memory.json',
      '@modelcontextprotocol/server-filesystem',
      'https://api.example.com/v1/mcp',
      'postgresql://db:5432/app',
      'production',
    ]) {
      expect(looksLikeSecretValue(v), v).toBe(false);
    }
  });

  it('finds secrets in env, headers (the credential after the scheme) and args', () => {
    const found = findSecrets('my-db', {
      command: 'npx',
      args: [
        '-y',
        'pg',
        'postgresql://u:pw12345@h/db',
        '--api-key=abcd1234efgh',
        '--token',
        'tok-value-1',
        '--verbose',
      ],
      env: { DB_PASSWORD: 'hunter2!x', LOG_LEVEL: 'debug', USE_AUTH: 'true', REF: '${ALREADY}' },
      headers: { Authorization: 'Bearer abc.def.ghi', 'X-Api-Key': 'k-123456' },
    });
    const summary = found.map((f) => `${f.field}.${f.key}:${f.baseName}:${f.secret}`);
    expect(summary).toEqual([
      'env.DB_PASSWORD:DB_PASSWORD:hunter2!x',
      'headers.Authorization:MY_DB_TOKEN:abc.def.ghi',
      'headers.X-Api-Key:MY_DB_X_API_KEY:k-123456',
      'args.2:MY_DB_URL:postgresql://u:pw12345@h/db',
      'args.3:MY_DB_API_KEY:abcd1234efgh',
      'args.5:MY_DB_TOKEN:tok-value-1',
    ]);
    const planned = nameSecrets(found, {});
    const entry = applySecrets(
      {
        args: ['-y', 'pg', 'postgresql://u:pw12345@h/db', '--api-key=abcd1234efgh', '--token', 'tok-value-1'],
        env: { DB_PASSWORD: 'hunter2!x' },
        headers: { Authorization: 'Bearer abc.def.ghi', 'X-Api-Key': 'k-123456' },
      },
      planned,
    );
    expect(entry.headers).toEqual({ Authorization: 'Bearer ${MY_DB_TOKEN}', 'X-Api-Key': '${MY_DB_X_API_KEY}' });
    // The second MY_DB_TOKEN (a different value) gets a suffix.
    expect(entry.args).toEqual([
      '-y',
      'pg',
      '${MY_DB_URL}',
      '--api-key=${MY_DB_API_KEY}',
      '--token',
      '${MY_DB_TOKEN_2}',
    ]);
    expect(entry.env).toEqual({ DB_PASSWORD: '${DB_PASSWORD}' });
  });

  it('finds credentials inside URLs: password, secret query parameter, token path segment', () => {
    const cases: [string, string, string][] = [
      ['https://user:p%40ss@host.example/mcp', 'p@ss', 'https://user:${S_PASSWORD}@host.example/mcp'],
      [
        'https://mcp.example.com/sse?api_key=abc123def456&x=1',
        'abc123def456',
        'https://mcp.example.com/sse?api_key=${S_API_KEY}&x=1',
      ],
      [
        'https://actions.example.com/mcp/sk-ak-0123456789abcdefXYZ/sse',
        'sk-ak-0123456789abcdefXYZ',
        'https://actions.example.com/mcp/${S_URL_TOKEN}/sse',
      ],
    ];
    for (const [url, secret, replaced] of cases) {
      const found = findSecrets('s', { url });
      expect(found.map((f) => f.secret)).toEqual([secret]);
      expect(applySecrets({ url }, nameSecrets(found, {})).url).toBe(replaced);
    }
    expect(findSecrets('s', { url: 'https://api.githubcopilot.com/mcp/?readonly=true' })).toEqual([]);
    expect(findSecrets('s', { url: 'https://${HOST}/mcp?token=${T}' })).toEqual([]);
  });

  it('identifiers are not secrets', () => {
    expect(looksLikeSecretValue('123e4567-e89b-12d3-a456-426614174000')).toBe(false);
    expect(findSecrets('s', { env: { PROJECT_ID: 'AbC123dEf456GhI789jKl012MnO' } })).toEqual([]);
    expect(findSecrets('s', { env: { SOME_ID: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789' } })).toHaveLength(1);
  });

  it('names: same value shares a name; a taken name with another value gets the server prefix', () => {
    const a = findSecrets('a', { env: { API_KEY: 'value-one-123' } });
    const b = findSecrets('b', { env: { API_KEY: 'value-two-456' } });
    const c = findSecrets('c', { env: { API_KEY: 'value-one-123' } });
    const planned = nameSecrets([...a, ...b, ...c], {});
    expect(planned.map((p) => p.variable)).toEqual(['API_KEY', 'B_API_KEY', 'API_KEY']);
    // Already in the credentials file with another value.
    expect(nameSecrets(a, { API_KEY: 'old' })[0].variable).toBe('A_API_KEY');
    expect(nameSecrets(a, { API_KEY: 'value-one-123' })[0].variable).toBe('API_KEY');
  });
});

describe('convertEntry', () => {
  const src = { homedir: '/home/me', workspaceFolder: '/work/app' };
  it('maps ${env:X} to ${X} and resolves ${workspaceFolder} / ${userHome}', () => {
    const r = convertEntry(
      { type: 'stdio', command: 'node', args: ['${workspaceFolder}/s.js', '${userHome}/x'], env: { T: '${env:GH}' } },
      src,
    );
    expect(r).toEqual({
      entry: { type: 'stdio', command: 'node', args: ['/work/app/s.js', '/home/me/x'], env: { T: '${GH}' } },
    });
  });
  it('reports what it cannot take', () => {
    expect(convertEntry({ command: 'x', env: { T: '${input:tok}' } }, src)).toEqual({
      reason: expect.stringContaining('prompt variable ${input:tok}'),
    });
    expect(convertEntry({ command: 'x', envFile: '.env' }, src)).toEqual({
      reason: expect.stringContaining('envFile'),
    });
    expect(convertEntry({ command: 'x', frobnicate: 1 }, src)).toEqual({
      reason: expect.stringMatching(/does not understand it.*frobnicate/),
    });
    expect(convertEntry('npx foo', src)).toEqual({ reason: 'the entry is not an object' });
    expect(convertEntry({ type: 'websocket', url: 'ws://x' }, src)).toEqual({
      reason: expect.stringContaining('does not understand'),
    });
  });
  it('accepts client-only keys it can ignore, and URLs with ${VAR}', () => {
    expect(convertEntry({ command: 'x', autoApprove: ['a'], disabledTools: [] }, src)).toEqual({
      entry: { command: 'x' },
    });
    expect(convertEntry({ url: 'https://${HOST}/mcp' }, src)).toEqual({ entry: { url: 'https://${HOST}/mcp' } });
  });
});

describe('analyzeImport / buildImport', () => {
  const source = (servers: Record<string, unknown>): SourceServers => {
    const value = { mcpServers: servers, other: 1 };
    return { file: '/c.json', text: `${JSON.stringify(value, null, 2)}\n`, value, key: 'mcpServers', homedir: '/h' };
  };

  it('imports, renames, skips, reports clashes, recognises the proxy and already-imported servers', () => {
    const src = source({
      fresh: { command: 'a', env: { API_TOKEN: 'tok-123456789' } },
      'bad name!': { command: 'b' },
      clash: { command: 'c1' },
      same: { command: 'd', env: { GH_TOKEN: 'ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' } },
      broken: { command: 7 },
      'mcp-proxy': { command: 'node', args: ['/x/dist/mcp-proxy.mjs', 'run'] },
    });
    const proxy = { clash: { command: 'c2' }, same: { command: 'd', env: { GH_TOKEN: '${GH_TOKEN}' } } };
    const a = analyzeImport(src, proxy, {});
    expect(a.imported.map((s) => s.name)).toEqual(['fresh', 'bad-name']);
    expect(a.renamed).toEqual([{ from: 'bad name!', to: 'bad-name' }]);
    expect(a.unchanged.map((s) => s.name)).toEqual(['same']);
    expect(a.clashes.map((c) => c.name)).toEqual(['clash']);
    expect(a.skipped.map((s) => s.name)).toEqual(['broken']);
    expect(a.proxyEntries).toEqual(['mcp-proxy']);
    expect(a.secrets.map((s) => s.variable)).toEqual(['API_TOKEN']);

    const t = buildImport(a, {
      proxyText: `${JSON.stringify({ mcpServers: proxy }, null, 2)}\n`,
      existingCredentials: {},
      moveSecrets: true,
      source: src,
      clientEntry: { name: 'mcp-proxy', entry: { command: 'proxy' } },
    });
    const p = JSON.parse(t.proxyText);
    expect(p.mcpServers.fresh).toEqual({ command: 'a', env: { API_TOKEN: '${API_TOKEN}' } });
    expect(p.mcpServers.clash).toEqual({ command: 'c2' });
    expect(t.credentials).toEqual({ API_TOKEN: 'tok-123456789' });
    expect(t.literalSecrets).toBe(false);
    const c = JSON.parse(t.clientText!);
    // Imported and already-present ones leave the client; the clash and the broken one stay.
    expect(Object.keys(c.mcpServers).sort()).toEqual(['broken', 'clash', 'mcp-proxy']);
    expect(c.mcpServers['mcp-proxy']).toEqual({ command: 'proxy' });
    expect(c.other).toBe(1);

    const literal = buildImport(a, { proxyText: '', existingCredentials: {}, moveSecrets: false });
    expect(JSON.parse(literal.proxyText).mcpServers.fresh.env.API_TOKEN).toBe('tok-123456789');
    expect(literal.credentials).toEqual({});
    expect(literal.literalSecrets).toBe(true);
    expect(JSON.parse(literal.proxyText).$schema).toMatch(/config\.schema\.json$/);
  });

  it('recognises proxy entries by name or command', () => {
    expect(isProxyEntry('x', { command: 'npx', args: ['-y', 'mcp-proxy-server@1.0.0', 'run'] })).toBe(true);
    expect(isProxyEntry('x', { command: '/usr/local/bin/mcp-proxy', args: ['run'] })).toBe(true);
    expect(isProxyEntry('x', { command: 'npx', args: ['-y', 'other-mcp-proxy-thing'] })).toBe(false);
    expect(proxyServerName('My Server (work)')).toBe('My-Server-work');
  });
});
