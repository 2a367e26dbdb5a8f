// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is config syntax under test, not a template
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeConfigText } from '../../src/config/analyze.js';
import { ConfigError, configErrorFor } from '../../src/config/configError.js';
import {
  findAndLoadConfig,
  loadConfig,
  parseConfigText,
  readConfigFile,
  validateConfigFile,
} from '../../src/config/load.js';
import { AppError } from '../../src/errors.js';
import { tmpDir } from '../helpers/files.js';

let dir: string;
beforeAll(() => {
  dir = tmpDir('mcp-proxy-load-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

const base = () => ({
  env: {} as NodeJS.ProcessEnv,
  cwd: dir,
  homedir: path.join(dir, 'home'),
  platform: 'linux' as const,
});

/** Loads, expecting failure; returns the ConfigError / AppError. */
async function loadError(file: string, extra: Partial<Parameters<typeof loadConfig>[0]> = {}): Promise<AppError> {
  try {
    await loadConfig({ ...base(), path: file, ...extra });
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error(`expected ${file} to be rejected`);
}

const rendered = (e: AppError) => e.format();

/** The AppError a promise rejects with. */
async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected a rejection');
}

describe('valid configs', () => {
  const json = `{
  "$schema": "./node_modules/mcp-proxy-server/dist/config.schema.json",
  "mcpServers": {
    "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"], "env": { "DEBUG": "1" } },
    "remote": { "url": "https://mcp.example.com/mcp", "headers": { "Authorization": "Bearer \${API_TOKEN}" } },
    "legacy": { "url": "http://localhost:3001/sse" },
    "legacy2": { "url": "http://localhost:3001/sse?x=1" },
    "fastmcp": { "transport": "streamable-http", "url": "http://localhost:8000/mcp/" },
    "fastsse": { "transport": "sse", "url": "http://localhost:8000/events" },
    "typed": { "type": "streamableHttp", "url": "http://localhost:8000/mcp", "timeout": 5000, "prefix": false },
    "box": { "image": "mcp/fetch", "disabled": true, "tools": { "include": ["fetch*"], "exclude": ["fetch_raw"] } }
  },
  "proxy": { "transport": "http", "port": 8765, "separator": "__" }
}
`;

  it('loads a Claude-Desktop-style JSON config and infers each kind', async () => {
    const file = write('ok/mcp-proxy.json', json);
    const loaded = await loadConfig({ ...base(), path: file, env: { API_TOKEN: 'tok' } });
    expect(loaded.path).toBe(file);
    expect(loaded.source).toBe('flag');
    expect(loaded.format).toBe('json');
    const s = loaded.config.mcpServers;
    expect(s.memory).toMatchObject({ type: 'stdio', command: 'npx', env: { DEBUG: '1' } });
    expect(s.remote).toMatchObject({ type: 'http', headers: { Authorization: 'Bearer tok' } });
    expect(s.legacy.type).toBe('sse');
    expect(s.legacy2.type).toBe('sse');
    expect(s.fastmcp.type).toBe('http');
    expect(s.fastsse.type).toBe('sse');
    expect(s.typed).toMatchObject({ type: 'http', timeout: 5000, prefix: false });
    expect(s.box).toMatchObject({ type: 'docker', image: 'mcp/fetch', disabled: true });
    expect('transport' in s.fastmcp).toBe(false);
    expect(loaded.variables).toEqual(['API_TOKEN']);
    expect(loaded.warnings).toEqual([]);
  });

  it('loads the same config written as YAML', async () => {
    const yaml = `# comments are fine in YAML
mcpServers:
  memory:
    command: npx
    args: ["-y", "@modelcontextprotocol/server-memory"]
  remote:
    url: https://mcp.example.com/mcp
    headers:
      Authorization: Bearer \${API_TOKEN:-anonymous}
  legacy:
    url: http://localhost:3001/sse
  fastmcp:
    transport: streamable-http
    url: http://localhost:8000/mcp/
proxy:
  port: 9000
`;
    for (const name of ['y/mcp-proxy.yaml', 'y/mcp-proxy.yml']) {
      const loaded = await loadConfig({ ...base(), path: write(name, yaml) });
      expect(loaded.format).toBe('yaml');
      expect(loaded.config.mcpServers.memory.type).toBe('stdio');
      expect(loaded.config.mcpServers.remote).toMatchObject({
        type: 'http',
        headers: { Authorization: 'Bearer anonymous' },
      });
      expect(loaded.config.mcpServers.legacy.type).toBe('sse');
      expect(loaded.config.mcpServers.fastmcp.type).toBe('http');
      expect(loaded.config.proxy?.port).toBe(9000);
    }
  });

  it('finds ./mcp-proxy.json on its own; findAndLoadConfig is undefined when there is none anywhere', async () => {
    const cwd = path.dirname(write('found/mcp-proxy.json', '{"mcpServers": {"a": {"command": "x"}}}'));
    const loaded = await loadConfig({ ...base(), cwd });
    expect(loaded.source).toBe('cwd');
    const empty = path.join(dir, 'nothing-here');
    fs.mkdirSync(empty, { recursive: true });
    await expect(findAndLoadConfig({ ...base(), cwd: empty })).resolves.toBeUndefined();
    const e = await rejection(loadConfig({ ...base(), cwd: empty }));
    expect(e.code).toBe('CONFIG_NOT_FOUND');
    expect(e.format()).toContain(path.join(empty, 'mcp-proxy.json'));
    expect(e.format()).toContain(path.join(dir, 'home/.config/mcp-proxy/config.json'));
  });

  it('uses the lookup it is given (a credential chain) instead of env, and tolerates a BOM', async () => {
    const file = write('lookup.json', '\uFEFF{"mcpServers": {"a": {"url": "${BASE}/mcp"}}}');
    const loaded = await loadConfig({
      ...base(),
      path: file,
      env: { BASE: 'http://wrong' },
      lookup: (n) => (n === 'BASE' ? 'https://right.example' : undefined),
    });
    expect(loaded.config.mcpServers.a).toMatchObject({ type: 'http', url: 'https://right.example/mcp' });
  });

  it('reads a config saved as UTF-16 (Windows PowerShell 5 and Notepad "Unicode" write it so)', async () => {
    const text = '{"mcpServers": {"notes": {"command": "node", "args": ["C:\\\\srv\\\\notes.mjs"]}}}';
    const p = path.join(dir, 'utf16.json');
    fs.writeFileSync(p, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const loaded = await loadConfig({ ...base(), path: p });
    expect(loaded.config.mcpServers.notes).toMatchObject({
      type: 'stdio',
      command: 'node',
      args: ['C:\\srv\\notes.mjs'],
    });
  });

  it('reads a number or boolean that comes from a variable as a number or boolean', () => {
    const r = parseConfigText(
      '{"mcpServers": {"a": {"command": "x", "timeout": "${T}", "disabled": "${OFF}"}}, "proxy": {"port": "${PORT:-8080}"}}',
      'c.json',
      (n) => ({ T: '2500', OFF: 'true' })[n],
    );
    expect(r.config.proxy?.port).toBe(8080);
    expect(r.config.mcpServers.a).toMatchObject({ timeout: 2500, disabled: true });
  });
});

describe('invalid JSON and YAML: line and column, exit code 2', () => {
  const cases: [string, string, RegExp, RegExp][] = [
    [
      'trailing.json',
      '{\n  "mcpServers": {\n    "a": { "command": "x" },\n  }\n}\n',
      /trailing\.json:3:28: invalid JSON: trailing comma/,
      /remove the comma/,
    ],
    [
      'comment.json',
      '{\n  // my servers\n  "mcpServers": {}\n}\n',
      /comment\.json:2:3: invalid JSON: comments are not allowed/,
      /\.yaml/,
    ],
    [
      'comma.json',
      '{\n  "mcpServers": {\n    "a": { "command": "x" }\n    "b": { "command": "y" }\n  }\n}\n',
      /comma\.json:3:28: invalid JSON: expected ","/,
      /add a comma/,
    ],
    [
      'unquoted.json',
      '{ mcpServers: {} }',
      /unquoted\.json:1:3: invalid JSON: key mcpServers is not quoted/,
      /"mcpServers"/,
    ],
    ['single.json', "{ 'mcpServers': {} }", /single\.json:1:3: invalid JSON: single quotes/, /double quotes/],
    [
      'backslash.json',
      '{"mcpServers": {"a": {"command": "C:\\Program Files\\x.exe"}}}',
      /backslash\.json:1:37: invalid JSON: invalid escape "\\P"/,
      /\\\\/,
    ],
    [
      'unclosed.json',
      '{"mcpServers": {"a": {"command": "x"}}\n',
      /unclosed\.json:1:39: invalid JSON: unexpected end of file: missing "}"/,
      /matching/,
    ],
    [
      'two.json',
      '{"mcpServers": {}}\n{"proxy": {}}\n',
      /two\.json:2:1: invalid JSON: unexpected text after the end/,
      /exactly one JSON object/,
    ],
    [
      'yamlish.json',
      'mcpServers:\n  a:\n    command: x\n',
      /yamlish\.json:1:1: invalid JSON/,
      /name the file \*\.yaml/,
    ],
    [
      'tab.yaml',
      'mcpServers:\n  a:\n\tcommand: x\n',
      /tab\.yaml:3:1: invalid YAML: Tabs are not allowed/,
      /indent with spaces/,
    ],
    [
      'bracket.yaml',
      'mcpServers:\n  a:\n    command: x\n    args: ["-y", "pkg"\n  b:\n    command: y\n',
      /bracket\.yaml:\d+:\d+: invalid YAML: .*\]/,
      /"\]"/,
    ],
    [
      'quote.yaml',
      'mcpServers:\n  a:\n    command: "x\n',
      /quote\.yaml:3:16: invalid YAML: Missing closing "quote/,
      /closing quote/,
    ],
  ];
  for (const [name, text, message, hint] of cases) {
    it(name, async () => {
      const e = await loadError(write(`syntax/${name}`, text), { cwd: path.join(dir, 'syntax') });
      expect(e.code).toBe('CONFIG_PARSE');
      expect(e.exitCode).toBe(2);
      const out = rendered(e);
      expect(out).toMatch(message);
      expect(out).toMatch(hint);
      expect(out).toContain('^'); // the code frame points at the column
    });
  }

  it('an empty file (JSON or YAML, or only comments) says so and shows a minimal config', async () => {
    for (const [name, text] of [
      ['empty.json', ''],
      ['blank.json', '  \n\n'],
      ['empty.yaml', ''],
      ['comments.yaml', '# nothing yet\n'],
    ]) {
      const e = await loadError(write(`empty/${name}`, text));
      expect(e.code).toBe('CONFIG_PARSE');
      expect(e.message).toMatch(/is empty/);
      expect(rendered(e)).toMatch(/mcpServers/);
    }
  });
});

describe('schema problems: every one listed with path, position and fix', () => {
  const bad = `{
  "mcpServers": {
    "github": { "comand": "npx" },
    "fs": { "command": "npx", "arg": ["-y"] },
    "typo": { "type": "streamble-http", "url": "http://x/mcp" },
    "remote": { "url": "localhost:3000/mcp", "timeout": "30s" },
    "both": { "command": "x", "url": "http://x" },
    "env": { "command": "x", "args": "--stdio", "env": { "DEBUG": 1 } },
    "bad name": { "command": "x" }
  },
  "proxy": { "trnsport": "http", "port": 70000, "tools": { "mode": "lazy" } }
}
`;
  let err: ConfigError;
  let out: string;
  beforeAll(async () => {
    err = (await loadError(write('schema/bad.json', bad), { cwd: path.join(dir, 'schema') })) as ConfigError;
    out = rendered(err);
  });

  it('is CONFIG_INVALID (exit 2) and counts the problems', () => {
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(`config bad.json is invalid (${err.problems.length} problems)`);
    expect(err.problems.length).toBeGreaterThanOrEqual(11);
  });

  it('points at each key (line:column) and uses its JSON path', () => {
    const at = (p: string) => err.problems.find((x) => x.path === p);
    expect(at('mcpServers.github.comand')).toMatchObject({ line: 3, column: 17 });
    expect(at('mcpServers.fs.arg')).toMatchObject({ line: 4, column: 31 });
    expect(at('mcpServers.remote.url')).toMatchObject({ line: 6, column: 17 });
    expect(at('proxy.trnsport')).toMatchObject({ line: 11, column: 14 });
    expect(out).toContain('bad.json:3:17 mcpServers.github.comand:');
  });

  it('suggests the nearest key for typos', () => {
    expect(out).toMatch(
      /mcpServers\.github\.comand: server "github" needs "command" \(stdio\), "url" \(http or sse\) or "image" \(docker\)[^\n]*\n\s+-> did you mean "command"\?/,
    );
    expect(out).toMatch(/mcpServers\.fs\.arg: unknown key "arg"\n\s+-> did you mean "args"\?/);
    expect(out).toMatch(/proxy\.trnsport: unknown key "trnsport"\n\s+-> did you mean "transport"\?/);
  });

  it('lists the accepted transport types (and the nearest) for a bad type', () => {
    expect(out).toMatch(
      /mcpServers\.typo\.type: unknown server type "streamble-http"\n\s+-> did you mean "streamable-http"\? use one of: stdio, http, sse, docker/,
    );
  });

  it('says expected vs got for wrong types, with the fix', () => {
    expect(out).toMatch(
      /mcpServers\.remote\.timeout: expected a number, got the string "30s"\n\s+-> write milliseconds as a number/,
    );
    expect(out).toMatch(/mcpServers\.env\.args: expected a list, got the string "--stdio"/);
    expect(out).toMatch(/mcpServers\.env\.env\.DEBUG: expected a string, got the number 1\n\s+-> quote the value: "1"/);
    expect(out).toMatch(/proxy\.port: must be at most 65535, got the number 70000/);
    expect(out).toMatch(/proxy\.tools\.mode: the string "lazy" is not allowed here\n\s+-> accepted: "all", "dynamic"/);
  });

  it('explains URLs without a scheme, servers that mix kinds, and bad server names', () => {
    expect(out).toMatch(
      /mcpServers\.remote\.url: url must be an absolute http:\/\/ or https:\/\/ URL, got "localhost:3000\/mcp"\n\s+-> add the scheme: "http:\/\/localhost:3000\/mcp"/,
    );
    expect(out).toMatch(/mcpServers\.both\.url: "url" does not belong in a stdio server \(this one has "command"\)/);
    expect(out).toMatch(
      /mcpServers\["bad name"\]: invalid name "bad name": server names use[^\n]*\n\s+-> rename it, e.g. "bad-name"/,
    );
  });

  it('lists problems in file order', () => {
    const lines = err.problems.map((p) => p.line ?? 0);
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
  });

  it('never dumps raw zod output', () => {
    expect(out).not.toMatch(/Invalid input|invalid_type|unrecognized_keys|"code":/);
  });

  it('explains an entry with neither command, url nor image', async () => {
    const e = await loadError(write('schema/empty-entry.json', '{"mcpServers": {"x": {"args": ["a"]}}}'));
    expect(rendered(e)).toMatch(
      /mcpServers\.x: server "x" needs "command" \(stdio\), "url" \(http or sse\) or "image" \(docker\)\n\s+-> e\.g\. "x": \{ "command"/,
    );
  });

  it("names another client's key for the url (Windsurf's serverUrl, Gemini CLI's httpUrl)", async () => {
    const config = {
      mcpServers: { w: { serverUrl: 'https://w.example/mcp' }, g: { httpUrl: 'https://g.example/mcp' } },
    };
    const text = rendered(await loadError(write('schema/other-url-keys.json', JSON.stringify(config))));
    expect(text).toContain(`mcpServers.w.serverUrl: server "w" needs "url": "serverUrl" is Windsurf's name for it`);
    expect(text).toContain(`mcpServers.g.httpUrl: server "g" needs "url": "httpUrl" is Gemini CLI's name for it`);
    expect(text).toContain('rename "serverUrl" to "url"');
  });

  it("runs another application's config as it is: its own top-level keys are ignored with a warning", async () => {
    const claude = {
      mcpServers: { m: { command: 'x' } },
      globalShortcut: 'Ctrl+Space',
      preferences: { menuBar: false },
    };
    const loaded = await loadConfig({
      ...base(),
      path: write('schema/claude_desktop_config.json', JSON.stringify(claude)),
    });
    expect(Object.keys(loaded.config.mcpServers)).toEqual(['m']);
    expect(loaded.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      'globalShortcut: "globalShortcut" is not a proxy setting: ignored',
      'preferences: "preferences" is not a proxy setting: ignored',
    ]);
    // YAML anchors under x- keys (as in compose files) are read silently.
    const yaml = 'x-node: &node\n  command: node\nmcpServers:\n  a:\n    <<: *node\n    args: [a.js]\n';
    const anchored = await loadConfig({ ...base(), path: write('schema/anchors.yaml', yaml) });
    expect(anchored.config.mcpServers.a).toMatchObject({ command: 'node', args: ['a.js'] });
    expect(anchored.warnings).toEqual([]);
    // A near miss of the proxy's own keys is still an error.
    const typo = rendered(await loadError(write('schema/typo.json', '{"mcpServers": {}, "prxy": {}}')));
    expect(typo).toMatch(/prxy: unknown key "prxy"\n\s+-> did you mean "proxy"\?/);
  });

  it('explains a missing or misnamed mcpServers', async () => {
    const missing = rendered(await loadError(write('schema/no-servers.json', '{"proxy": {}}')));
    expect(missing).toMatch(/mcpServers: missing required key "mcpServers"/);
    const vscode = rendered(await loadError(write('schema/vscode.json', '{"servers": {"a": {"command": "x"}}}')));
    expect(vscode).toMatch(/servers: unknown key "servers"\n\s+-> did you mean "mcpServers"\?/);
    const bare = rendered(
      await loadError(write('schema/bare.json', '{"mcpServers": {}, "github": {"url": "https://x"}}')),
    );
    expect(bare).toMatch(
      /github: unknown top-level key "github"\n\s+-> it looks like a server entry: move it inside "mcpServers"/,
    );
    const top = rendered(await loadError(write('schema/array.json', '[{"command": "x"}]')));
    expect(top).toMatch(/the config must be a JSON object, not a list/);
  });

  it('reports keys of another transport kind for what they are', async () => {
    const out2 = rendered(
      await loadError(
        write('schema/kinds.json', '{"mcpServers": {"h": {"url": "https://x/mcp", "env": {}, "args": []}}}'),
      ),
    );
    expect(out2).toMatch(
      /mcpServers\.h\.env: "env" does not apply to an http server\n\s+-> "env" is for stdio and docker servers/,
    );
  });

  it('points into YAML files too', async () => {
    const e = await loadError(
      write('schema/bad.yaml', 'mcpServers:\n  gh:\n    command: npx\n    arg: ["-y"]\nproxy:\n  port: "x"\n'),
    );
    const text = rendered(e);
    expect(text).toMatch(/bad\.yaml:4:5 mcpServers\.gh\.arg: unknown key "arg"/);
    expect(text).toMatch(/bad\.yaml:6:3 proxy\.port: expected a number, got the string "x"/);
  });

  it('rejects duplicate keys, naming both places', async () => {
    const e = await loadError(
      write('schema/dup.json', '{"mcpServers": {\n  "a": {"command": "x"},\n  "a": {"url": "http://y"}\n}}'),
    );
    expect(e.code).toBe('CONFIG_INVALID');
    expect(rendered(e)).toMatch(/dup\.json:3:3 mcpServers\.a: duplicate key "a" \(also at line 2:3\)/);
    const y = await loadError(write('schema/dup.yaml', 'mcpServers:\n  a:\n    command: x\n  a:\n    command: y\n'));
    expect(rendered(y)).toMatch(/dup\.yaml:4:3 mcpServers\.a: duplicate key "a" \(also at line 2:3\)/);
  });
});

describe('variables', () => {
  const text = `{
  "mcpServers": {
    "github": { "url": "https://api.example.com/mcp", "headers": { "Authorization": "Bearer \${GITHUB_TOKEN}" } },
    "db": { "command": "db-mcp", "env": { "URL": "\${DB_URL}", "USER": "\${DB_USER:-admin}" }, "args": ["\${GITHUB_TOKEN}"] }
  }
}`;

  it('lists every missing variable with where it is used, and how to set them', async () => {
    const e = (await loadError(write('vars/c.json', text), { cwd: path.join(dir, 'vars') })) as ConfigError;
    expect(e.code).toBe('CONFIG_MISSING_VARIABLES');
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe('config c.json uses 2 variables that are not set: GITHUB_TOKEN, DB_URL');
    const out = rendered(e);
    expect(out).toContain('c.json:3:85 mcpServers.github.headers.Authorization: variable ${GITHUB_TOKEN} is not set');
    expect(out).toContain('c.json:4:50 mcpServers.db.env.URL: variable ${DB_URL} is not set');
    expect(out).toMatch(/mcpServers\.db\.args\[0\]: variable \$\{GITHUB_TOKEN\} is not set/);
    expect(out).toMatch(
      /hint: set them in the environment the proxy starts in \(export GITHUB_TOKEN=\.\.\. DB_URL=\.\.\.\)/,
    );
    expect(out).not.toContain('DB_USER');
  });

  it('gives PowerShell syntax on Windows and uses describeMissing when given', async () => {
    const file = write('vars/d.json', '{"mcpServers": {"a": {"command": "x", "env": {"K": "${KEY}"}}}}');
    const analysis = analyzeConfigText(fs.readFileSync(file, 'utf8'), file, () => undefined);
    expect(configErrorFor(analysis, file, { platform: 'win32' })?.hint).toContain('$env:KEY = "..."');
    const e = await loadError(file, { describeMissing: (n) => `${n}: try \`mcp-proxy credentials set ${n}\`` });
    expect(e.hint).toBe('KEY: try `mcp-proxy credentials set KEY`');
  });

  it('reports missing variables and schema problems together (no fail-fast), without noise from the gaps', async () => {
    const e = await loadError(
      write(
        'vars/both.json',
        '{"mcpServers": {"a": {"url": "${BASE}/mcp", "timout": 5}, "b": {"command": "x", "env": {"T": "${TOKEN}"}}}}',
      ),
    );
    expect(e.code).toBe('CONFIG_INVALID');
    const out = rendered(e);
    expect(out).toMatch(/mcpServers\.a\.url: variable \$\{BASE\} is not set/);
    expect(out).toMatch(/mcpServers\.b\.env\.T: variable \$\{TOKEN\} is not set/);
    expect(out).toMatch(/mcpServers\.a\.timout: unknown key "timout"\n\s+-> did you mean "timeout"\?/);
    // "/mcp" alone is not a URL, but that follows from the missing variable: not reported twice.
    expect(out).not.toMatch(/absolute http/);
  });

  it('treats a "__proto__" key as an unknown key, not as a prototype', () => {
    const a = analyzeConfigText(
      '{"mcpServers": {"a": {"command": "x", "__proto__": {"polluted": 1}}}}',
      'p.json',
      () => undefined,
    );
    expect(a.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'mcpServers.a.__proto__: unknown key "__proto__"',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never echoes a value that came from a variable', () => {
    const a = analyzeConfigText(
      '{"mcpServers": {"a": {"command": "x", "timeout": "${SECRET}"}}}',
      'a.json',
      () => 'hunter2-value',
    );
    expect(JSON.stringify(a.problems)).not.toContain('hunter2');
    expect(a.problems[0].message).toMatch(/from a variable/);
  });

  it('allowMissingVariables turns them into warnings', () => {
    const a = analyzeConfigText(text, 'c.json', () => undefined, { allowMissingVariables: true });
    expect(a.config).toBeDefined();
    expect(a.problems.every((p) => p.severity === 'warning')).toBe(true);
    expect(a.problems).toHaveLength(3);
  });
});

describe('cross-field rules', () => {
  it('warns when two servers publish under the same prefix, naming both', async () => {
    const loaded = await loadConfig({
      ...base(),
      path: write(
        'rules/prefix.json',
        '{"mcpServers": {"a": {"command": "x", "prefix": "gh"}, "gh": {"command": "y"}, "c": {"command": "z", "prefix": false}, "d": {"command": "w", "prefix": false}, "e": {"command": "v", "prefix": "gh", "disabled": true}}}',
      ),
    });
    const messages = loaded.warnings.map((w) => w.message);
    expect(messages).toContain(
      'servers "a" and "gh" both publish under the prefix "gh" (gh__<name>); a name they share is served from "a" only',
    );
    expect(messages.some((m) => /servers "c" and "d" both expose their names unprefixed/.test(m))).toBe(true);
    expect(messages).toHaveLength(2); // the disabled one does not count
  });

  it('warns about a command with arguments in it, and timeouts that look like seconds', async () => {
    const loaded = await loadConfig({
      ...base(),
      path: write('rules/cmd.json', '{"mcpServers": {"a": {"command": "npx -y pkg", "timeout": 30}}}'),
    });
    expect(loaded.warnings.map((w) => `${w.path}: ${w.message} (${w.hint})`)).toEqual([
      'mcpServers.a.command: "command" contains spaces: "npx -y pkg" would be run as one program name (put the arguments in "args": "command": "npx", "args": ["-y","pkg"])',
      'mcpServers.a.timeout: "timeout" is in milliseconds: 30 means 30 ms (did you mean 30000 (30 s)?)',
    ]);
  });

  it('warns about "~" and "%NAME%" in a stdio command, its arguments and cwd (no shell expands them)', async () => {
    const config = {
      mcpServers: {
        a: { command: '~/bin/srv', args: ['--db', '~/data.db', '%APPDATA%\\srv\\x.json', '--when=%Y%m%d', 'a~b'] },
        b: { command: 'node', args: ['${DIR}/x.js'], cwd: '~' },
      },
    };
    const loaded = await loadConfig({
      ...base(),
      env: { DIR: '~/from-a-variable' },
      path: write('rules/shell.json', JSON.stringify(config)),
    });
    expect(loaded.warnings.map((w) => `${w.path}: ${w.message} (${w.hint})`)).toEqual([
      'mcpServers.a.command: "command" starts with "~", which only a shell expands: "~/bin/srv" is used as written (write "${HOME}/bin/srv" (or ${USERPROFILE} on Windows), or the absolute path)',
      'mcpServers.a.args[1]: "args[1]" starts with "~", which only a shell expands: "~/data.db" is used as written (write "${HOME}/data.db" (or ${USERPROFILE} on Windows), or the absolute path)',
      'mcpServers.a.args[2]: "args[2]" uses "%APPDATA%", which only cmd.exe expands: "%APPDATA%\\\\srv\\\\x.json" is used as written (write "${APPDATA}\\\\srv\\\\x.json": the proxy fills in ${NAME} from the environment)',
      'mcpServers.b.cwd: "cwd" starts with "~", which only a shell expands: "~" is used as written (write "${HOME}" (or ${USERPROFILE} on Windows), or the absolute path)',
    ]);
  });

  it('accepts lazy with idleTimeout, and warns about an idleTimeout without lazy', async () => {
    const loaded = await loadConfig({
      ...base(),
      path: write(
        'rules/lazy.json',
        '{"mcpServers": {"a": {"command": "x", "lazy": true, "idleTimeout": 60000}, "b": {"command": "x", "idleTimeout": 60000}}, "proxy": {"cache": false}}',
      ),
    });
    expect(loaded.config.mcpServers.a).toMatchObject({ lazy: true, idleTimeout: 60000 });
    expect(loaded.config.proxy?.cache).toBe(false);
    expect(loaded.warnings.map((w) => `${w.path}: ${w.message} (${w.hint})`)).toEqual([
      'mcpServers.b.idleTimeout: "idleTimeout" has no effect without "lazy": true (only a lazy server is stopped when idle) (add "lazy": true to this server, or remove "idleTimeout")',
    ]);
    const bad = await loadError(write('rules/lazy-bad.json', '{"mcpServers": {"a": {"command": "x", "lazy": "yes"}}}'));
    expect(rendered(bad)).toMatch(/lazy/);
  });

  it('rejects retry.initialDelay > retry.maxDelay', async () => {
    const e = await loadError(
      write(
        'rules/retry.json',
        '{"mcpServers": {"a": {"command": "x"}}, "proxy": {"retry": {"initialDelay": 5000, "maxDelay": 100}}}',
      ),
    );
    expect(e.code).toBe('CONFIG_INVALID');
    expect(rendered(e)).toMatch(
      /proxy\.retry\.initialDelay: retry\.initialDelay \(5000\) is larger than retry\.maxDelay \(100\)/,
    );
  });

  it('warns about HTTP settings under a stdio transport, and an open bind without a token', () => {
    const stdio = analyzeConfigText(
      '{"mcpServers": {"a": {"command": "x"}}, "proxy": {"transport": "stdio", "port": 9000}}',
      'a.json',
      () => undefined,
    );
    expect(stdio.problems.map((p) => `${p.severity} ${p.path}: ${p.message}`)).toEqual([
      'warning proxy.port: proxy.port is only used when serving HTTP, and proxy.transport is "stdio"',
    ]);
    const open = '{"mcpServers": {"a": {"command": "x"}}, "proxy": {"transport": "http", "host": "0.0.0.0"}}';
    const noToken = analyzeConfigText(open, 'a.json', () => undefined);
    expect(noToken.problems[0]).toMatchObject({ severity: 'warning', path: 'proxy.host', line: 1, column: 72 });
    expect(noToken.problems[0].message).toMatch(/reachable from other machines, and MCP_PROXY_TOKEN is not set/);
    expect(analyzeConfigText(open, 'a.json', (n) => (n === 'MCP_PROXY_TOKEN' ? 't' : undefined)).problems).toEqual([]);
    const loopback = open.replace('0.0.0.0', '127.0.0.1');
    expect(analyzeConfigText(loopback, 'a.json', () => undefined).problems).toEqual([]);
  });

  it('warns when every server is disabled or there are none', () => {
    expect(analyzeConfigText('{"mcpServers": {}}', 'a.json', () => undefined).problems[0].message).toMatch(
      /no servers/,
    );
    expect(
      analyzeConfigText('{"mcpServers": {"a": {"command": "x", "disabled": true}}}', 'a.json', () => undefined)
        .problems[0].message,
    ).toMatch(/every server is disabled/);
  });
});

describe('unreadable files', () => {
  it('a directory is CONFIG_UNREADABLE naming the path', async () => {
    const d = path.join(dir, 'a-directory.json');
    fs.mkdirSync(d, { recursive: true });
    const e = await loadError(d);
    expect(e.code).toBe('CONFIG_UNREADABLE');
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`cannot read config ${d}: it is a directory, not a file`);
  });

  it.skipIf(process.getuid?.() === 0 || process.platform === 'win32')(
    'a file without read permission is CONFIG_UNREADABLE',
    async () => {
      const f = write('secret.json', '{"mcpServers": {}}');
      fs.chmodSync(f, 0o000);
      const e = await loadError(f);
      expect(e.code).toBe('CONFIG_UNREADABLE');
      expect(e.message).toMatch(/permission denied/);
    },
  );

  it('maps EACCES and EPERM from the reader to CONFIG_UNREADABLE (works as root too)', async () => {
    for (const code of ['EACCES', 'EPERM']) {
      const read = async () => {
        throw Object.assign(new Error(`${code}: denied`), { code });
      };
      const e = await rejection(readConfigFile('/etc/x.json', read));
      expect(e.code).toBe('CONFIG_UNREADABLE');
      expect(e.message).toBe('cannot read config /etc/x.json: permission denied');
    }
  });
});

describe('validateConfigFile', () => {
  it('returns a structured report for a valid config', async () => {
    const file = write(
      'v/ok.json',
      '{"mcpServers": {"a": {"command": "npx", "args": ["-y", "x"]}, "b": {"url": "https://u:p@x.example/sse?key=1", "disabled": true}}}',
    );
    const r = await validateConfigFile({ ...base(), path: file, checkCommands: false });
    expect(r).toMatchObject({ valid: true, path: file, source: 'flag', format: 'json', problems: [] });
    expect(r.servers).toEqual([
      { name: 'a', type: 'stdio', disabled: false, target: 'npx -y x' },
      { name: 'b', type: 'sse', disabled: true, target: 'https://x.example/sse' },
    ]);
  });

  it('returns every problem as {path, line, column, message, hint} for an invalid one', async () => {
    const file = write('v/bad.yaml', 'mcpServers:\n  a:\n    comand: x\n  b:\n    url: ${NOPE}\n');
    const r = await validateConfigFile({ ...base(), path: file });
    expect(r.valid).toBe(false);
    expect(r.error?.code).toBe('CONFIG_INVALID');
    expect(r.problems).toEqual([
      expect.objectContaining({
        path: 'mcpServers.a.comand',
        line: 3,
        column: 5,
        hint: 'did you mean "command"?',
        severity: 'error',
      }),
      expect.objectContaining({ path: 'mcpServers.b.url', line: 5, column: 10, kind: 'variable', variable: 'NOPE' }),
    ]);
  });
});

describe('stdio commands on PATH (validate)', () => {
  it('warns about a command that is not on PATH, naming what was searched; finds one that is', async () => {
    const bin = path.join(dir, 'bin');
    fs.chmodSync(write('bin/my-mcp-server', '#!/bin/sh\n'), 0o755);
    const file = write(
      'cmds/c.json',
      JSON.stringify({
        mcpServers: {
          here: { command: 'my-mcp-server' },
          gone: { command: 'no-such-mcp-server' },
          off: { command: 'also-missing', disabled: true },
          local: { command: './run.sh', cwd: bin },
          nowhere: { command: 'my-mcp-server', cwd: path.join(dir, 'no-such-dir') },
        },
      }),
    );
    fs.chmodSync(write('bin/run.sh', '#!/bin/sh\n'), 0o755);
    const r = await validateConfigFile({ ...base(), env: { PATH: `${bin}:/nonexistent` }, path: file });
    expect(r.valid).toBe(true);
    expect(r.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        path: 'mcpServers.gone.command',
        message: `command not found: no-such-mcp-server (searched ${bin}:/nonexistent)`,
      }),
      expect.objectContaining({
        severity: 'warning',
        path: 'mcpServers.nowhere.cwd',
        message: `working directory not found: ${path.join(dir, 'no-such-dir')}`,
      }),
    ]);
  });

  it('uses PATHEXT on Windows', async () => {
    const { resolveCommand } = await import('../../src/util/which.js');
    const files = new Set(['C:\\tools\\uvx.EXE']);
    const opts = {
      env: { Path: 'C:\\bin;C:\\tools', PATHEXT: '.COM;.EXE' },
      platform: 'win32' as const,
      cwd: 'C:\\',
      isRunnable: (p: string) => files.has(p),
    };
    expect(resolveCommand('uvx', opts).found).toBe('C:\\tools\\uvx.EXE');
    expect(resolveCommand('npx', opts)).toEqual({ found: undefined, searched: ['C:\\bin', 'C:\\tools'] });
  });
});
