// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is config syntax under test, not a template
/**
 * `mcp-proxy validate` through the BUILT bundle (dist/mcp-proxy.mjs), as a user runs it: exit codes,
 * stdout vs stderr, no stack traces, --json that parses.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/jsonSchema.js';
import { ensureBuilt } from '../helpers/build.js';
import { tmpDir } from '../helpers/files.js';
import { BUNDLE, ROOT } from '../helpers/paths.js';

const schemaFile = path.join(ROOT, 'dist/config.schema.json');

let dir: string;
let home: string;

beforeAll(() => {
  // `npm test` builds first; when run alone, build what is missing.
  ensureBuilt();
  if (!fs.existsSync(schemaFile))
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/gen-schema.mjs')], { stdio: 'ignore' });
  dir = tmpDir('mcp-proxy-validate-');
  home = path.join(dir, 'home');
  fs.mkdirSync(home);
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BUNDLE, 'validate', ...args],
      {
        cwd: opts.cwd ?? dir,
        env: { PATH: process.env.PATH ?? '', HOME: home, MCP_PROXY_DEPLOYMENT: 'node', ...opts.env },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

function write(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

const noStack = (r: Result) => {
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stdout).not.toMatch(/^\s+at /m);
};

describe('mcp-proxy validate (built bundle)', () => {
  const valid = JSON.stringify({
    mcpServers: {
      memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
      remote: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer ${TOKEN}' } },
      legacy: { url: 'http://localhost:3001/sse', disabled: true },
    },
  });

  it('exits 0 on a valid config and summarizes its servers on stdout', async () => {
    const file = write('ok.json', valid);
    const r = await run(['--config', file], { env: { TOKEN: 't0k3n-value' } });
    expect(r.code).toBe(0);
    noStack(r);
    expect(r.stdout).toMatch(
      /ok\.json: valid JSON config \(found via --config\), 3 servers \(1 stdio, 1 http, 1 sse\), 1 disabled/,
    );
    expect(r.stdout).toMatch(/memory\s+stdio\s+npx -y @modelcontextprotocol\/server-memory/);
    expect(r.stdout).toMatch(/legacy\s+sse\s+http:\/\/localhost:3001\/sse\s+\(disabled\)/);
    expect(r.stdout).not.toContain('t0k3n-value');
  });

  it('exits 0 on a valid config saved as UTF-16 with its byte-order mark', async () => {
    const file = path.join(dir, 'utf16.json');
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid, 'utf16le')]));
    const r = await run(['--config', file], { env: { TOKEN: 'x' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/utf16\.json: valid JSON config \(found via --config\), 3 servers/);
  });

  it('--json on a valid config prints a report that parses', async () => {
    const file = write('ok2.json', valid);
    const r = await run(['--config', file, '--json'], { env: { TOKEN: 'x' } });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ valid: true, path: file, problems: [], variables: ['TOKEN'] });
    expect(report.servers.map((s: { name: string; type: string }) => `${s.name}:${s.type}`)).toEqual([
      'memory:stdio',
      'remote:http',
      'legacy:sse',
    ]);
  });

  it('exits 2 on an invalid config, listing every problem as file:line:col path: message on stderr', async () => {
    write(
      'bad/mcp-proxy.json',
      '{\n  "mcpServers": {\n    "a": { "comand": "npx" },\n    "b": { "url": "https://x/mcp", "timeout": "30s" }\n  },\n  "proxy": { "prot": 1 }\n}\n',
    );
    const r = await run([], { cwd: path.join(dir, 'bad') });
    expect(r.code).toBe(2);
    noStack(r);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: config mcp-proxy\.json is invalid \(3 problems\)/);
    expect(r.stderr).toContain('mcp-proxy.json:3:12 mcpServers.a.comand:');
    expect(r.stderr).toContain('-> did you mean "command"?');
    expect(r.stderr).toContain('mcp-proxy.json:4:36 mcpServers.b.timeout: expected a number, got the string "30s"');
    expect(r.stderr).toContain('mcp-proxy.json:6:14 proxy.prot: unknown key "prot"');
    expect(r.stderr).toContain('-> did you mean "port"?');
  });

  it('exits 2 when proxy.access names a server the config does not have (rules and profiles)', async () => {
    const file = write(
      'access.json',
      JSON.stringify(
        {
          mcpServers: { memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] } },
          proxy: {
            access: {
              rules: [
                { who: { roles: ['dev'] }, allow: { servers: ['memory', 'git*'] }, deny: { servers: ['githb'] } },
              ],
              profiles: { small: { servers: ['memroy'] } },
            },
          },
        },
        null,
        2,
      ),
    );
    const r = await run(['--config', file]);
    expect(r.code).toBe(2);
    noStack(r);
    expect(r.stderr).toMatch(/proxy\.access\.rules\[0\]\.deny\.servers\[0\]: unknown server "githb" in proxy\.access/);
    expect(r.stderr).toMatch(/proxy\.access\.profiles\.small\.servers\[0\]: unknown server "memroy"/);
    expect(r.stderr).toContain('servers: memory');
    // A glob names no one server: not reported.
    expect(r.stderr).not.toContain('"git*"');
  });

  it('--json on an invalid config: valid false, every problem with path, line and column', async () => {
    const file = write(
      'bad.yaml',
      'mcpServers:\n  a:\n    command: x\n    arg: []\n  b:\n    type: websocket\n    url: ws://x\n',
    );
    const r = await run(['-c', file, '--json']);
    expect(r.code).toBe(2);
    noStack(r);
    const report = JSON.parse(r.stdout);
    expect(report.valid).toBe(false);
    expect(report.format).toBe('yaml');
    expect(
      report.problems.map((p: { path: string; line: number; column: number }) => `${p.line}:${p.column} ${p.path}`),
    ).toEqual(['4:5 mcpServers.a.arg', '6:5 mcpServers.b.type']);
    expect(report.problems[1].hint).toMatch(/use one of: stdio, http, sse, docker/);
  });

  it('exits 2 on invalid JSON with line and column and a code frame', async () => {
    const file = write('syntax.json', '{\n  "mcpServers": {\n    "a": { "command": "x" },\n  }\n}\n');
    const r = await run(['--config', file]);
    expect(r.code).toBe(2);
    noStack(r);
    expect(r.stderr).toMatch(/syntax\.json:3:28: invalid JSON: trailing comma before "}"/);
    expect(r.stderr).toMatch(/3 \| {5}"a": \{ "command": "x" \},\n\s+\| {28}\^/);
  });

  it('lists every missing variable with where it is used and how to set it; --allow-missing downgrades them', async () => {
    const file = write(
      'vars.json',
      '{"mcpServers": {"a": {"url": "${BASE}/mcp"}, "b": {"command": "x", "env": {"K": "${API_KEY}"}}}}',
    );
    const r = await run(['--config', file]);
    expect(r.code).toBe(2);
    noStack(r);
    expect(r.stderr).toMatch(/uses 2 variables that are not set: BASE, API_KEY/);
    expect(r.stderr).toMatch(/vars\.json:1:30 mcpServers\.a\.url: variable \$\{BASE\} is not set/);
    expect(r.stderr).toMatch(/mcpServers\.b\.env\.K: variable \$\{API_KEY\} is not set/);
    expect(r.stderr).toMatch(/mcp-proxy credentials set BASE/);

    const lenient = await run(['--config', file, '--allow-missing']);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/2 warnings:/);
  });

  it('resolves variables through the credential chain (a .env file in the working directory)', async () => {
    const cwd = path.join(dir, 'withenv');
    write('withenv/mcp-proxy.json', '{"mcpServers": {"a": {"url": "${BASE_URL}/mcp"}}}');
    write('withenv/.env', 'BASE_URL=https://from-dotenv.example\n');
    const r = await run(['--json'], { cwd });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).valid).toBe(true);
  });

  it('with no config anywhere, says where it looked and exits 2', async () => {
    const cwd = path.join(dir, 'empty');
    fs.mkdirSync(cwd, { recursive: true });
    const r = await run([], { cwd });
    expect(r.code).toBe(2);
    noStack(r);
    expect(r.stderr).toMatch(/error: no config file found/);
    expect(r.stderr).toContain(path.join(cwd, 'mcp-proxy.json'));
    expect(r.stderr).toContain(path.join(home, '.config/mcp-proxy/config.json'));
    const json = await run(['--json'], { cwd });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      valid: false,
      problems: [{ kind: 'file', message: 'no config file found' }],
    });
  });

  it('a missing --config file, a $MCP_PROXY_CONFIG that does not exist, and a directory all exit 2 with the path', async () => {
    const missing = await run(['--config', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`config file not found: ${path.join(dir, 'nope.json')} (from --config)`);
    const env = await run([], { env: { MCP_PROXY_CONFIG: path.join(dir, 'gone.yaml') } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('(from $MCP_PROXY_CONFIG)');
    const d = await run(['--config', dir]);
    expect(d.code).toBe(2);
    expect(d.stderr).toContain(`cannot read config ${dir}: it is a directory, not a file`);
    for (const r of [missing, env, d]) noStack(r);
  });

  it('an empty file exits 2 and says it is empty', async () => {
    const r = await run(['--config', write('empty.json', '')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: config file empty\.json is empty|config file .*empty\.json is empty/);
  });
});

describe('dist/config.schema.json', () => {
  it('is generated from the zod schema by the build', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const shipped = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
    expect(shipped).toEqual(configJsonSchema(pkg.version));
  });
});
