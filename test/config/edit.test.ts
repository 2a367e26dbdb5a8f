// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are part of what is tested
/**
 * In-place config edits: only the server being changed is touched (JSON formatting, YAML comments),
 * the result is checked with the proxy's own loader before anything is written, and the file to edit
 * is found as `run` finds it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkEdit, locateForEdit, newConfigText, readForEdit, setServerValue } from '../../src/config/edit.js';
import { tempDir } from '../helpers/files.js';

const opts = (cwd: string, env: NodeJS.ProcessEnv = {}) => ({
  env: { PATH: process.env.PATH, ...env },
  cwd,
  homedir: cwd,
  platform: 'linux' as const,
});
const noVars = () => undefined;

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir('mcp-edit-');
});
afterEach(() => tmp.cleanup());

describe('JSON', () => {
  const text = [
    '{',
    '    "mcpServers": {',
    '        "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] },',
    '        "remote": {"url": "https://mcp.example.com/mcp"}',
    '    },',
    '    "proxy": { "logLevel": "warn" }',
    '}',
    '',
  ].join('\n');

  it('adds a server without reformatting the others (indentation, one-line entries, key order)', () => {
    const next = setServerValue(text, 'json', 'echo', [], { command: 'node', args: ['echo.mjs'] });
    const lines = next.split('\n');
    // Every original line is still there, byte for byte, apart from the comma added after "remote".
    expect(lines).toContain(
      '        "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] },',
    );
    expect(lines).toContain('        "remote": {"url": "https://mcp.example.com/mcp"},');
    expect(lines).toContain('    "proxy": { "logLevel": "warn" }');
    expect(next).toContain('        "echo": {\n            "command": "node",');
    expect(JSON.parse(next).mcpServers.echo).toEqual({ command: 'node', args: ['echo.mjs'] });
    expect(Object.keys(JSON.parse(next).mcpServers)).toEqual(['memory', 'remote', 'echo']);
  });

  it('removes one server and sets or clears "disabled", touching nothing else', () => {
    const removed = setServerValue(text, 'json', 'remote', [], undefined);
    expect(JSON.parse(removed).mcpServers).toEqual({
      memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
    });
    expect(removed).toContain('"memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] }');

    expect(setServerValue(removed, 'json', 'memory', [], undefined)).toBe(
      '{\n    "mcpServers": {},\n    "proxy": { "logLevel": "warn" }\n}\n',
    );

    const disabled = setServerValue(text, 'json', 'remote', ['disabled'], true);
    expect(JSON.parse(disabled).mcpServers.remote).toEqual({ url: 'https://mcp.example.com/mcp', disabled: true });
    const enabled = setServerValue(disabled, 'json', 'remote', ['disabled'], undefined);
    expect(JSON.parse(enabled)).toEqual(JSON.parse(text));
    // Already in that state: the very same text (nothing to write).
    expect(setServerValue(text, 'json', 'remote', ['disabled'], undefined)).toBe(text);
  });

  it('leaves a comment that ends the previous entry on its line', () => {
    const withComment = '{\n  "mcpServers": {\n    "a": {"command": "x"} // mine\n  }\n}\n';
    const next = setServerValue(withComment, 'json', 'b', [], { command: 'y' });
    expect(next).toBe(
      '{\n  "mcpServers": {\n    "a": {"command": "x"}, // mine\n    "b": {\n      "command": "y"\n    }\n  }\n}\n',
    );
    // A one-line server object stays on one line when "disabled" is added.
    expect(setServerValue(withComment, 'json', 'a', ['disabled'], true)).toContain(
      '"a": {"command": "x", "disabled": true} // mine',
    );
  });

  it('adds "mcpServers" to a file without it, leaving the rest as written', () => {
    const next = setServerValue('{\n  "proxy": { "logLevel": "warn" }\n}\n', 'json', 'a', [], { command: 'x' });
    expect(next).toBe(
      '{\n  "proxy": { "logLevel": "warn" },\n  "mcpServers": {\n    "a": {\n      "command": "x"\n    }\n  }\n}\n',
    );
  });

  it('keeps comments in the text it edits; the check then refuses a config the proxy cannot read', () => {
    const jsonc = '{\n  // my servers\n  "mcpServers": {}\n}\n';
    const next = setServerValue(jsonc, 'json', 'a', [], { command: 'node' });
    expect(next).toContain('// my servers');
    const file = path.join(tmp.dir, 'mcp-proxy.json');
    expect(() => checkEdit(next, file, noVars, opts(tmp.dir))).toThrow(/not valid JSON[\s\S]*nothing was written/);
  });
});

describe('YAML', () => {
  const text = [
    '# Servers for the team (keep this comment)',
    'mcpServers:',
    '  memory:   # the knowledge graph',
    '    command: npx',
    '    args: [-y, "@modelcontextprotocol/server-memory"]',
    'proxy:',
    '  logLevel: warn  # quiet',
    '',
  ].join('\n');

  it('adds, disables and removes a server with every comment and the other entries kept', () => {
    let next = setServerValue(text, 'yaml', 'echo', [], { command: 'node', args: ['echo.mjs'] });
    // The yaml library keeps every comment (re-spacing some) and the flow sequence as written.
    for (const keep of [
      '# Servers for the team (keep this comment)',
      '# the knowledge graph',
      '    args: [-y, "@modelcontextprotocol/server-memory"]',
      '# quiet',
    ]) {
      expect(next).toContain(keep);
    }
    expect(next).toContain('  echo:\n    command: node\n    args:\n      - echo.mjs\nproxy:');
    next = setServerValue(next, 'yaml', 'echo', ['disabled'], true);
    expect(next).toContain('    disabled: true');
    const removed = setServerValue(next, 'yaml', 'echo', [], undefined);
    expect(removed).not.toContain('echo');
    expect(removed.match(/#/g)).toHaveLength(3);
  });

  it('writes block style into an empty file and into an empty "mcpServers: {}"', () => {
    const fresh = setServerValue(newConfigText('yaml', 'unused'), 'yaml', 'a', [], { command: 'node' });
    expect(fresh).toBe('mcpServers:\n  a:\n    command: node\n');
    const empty = setServerValue('# mine\nmcpServers: {}\n', 'yaml', 'a', [], { command: 'node' });
    expect(empty).toBe('# mine\nmcpServers:\n  a:\n    command: node\n');
  });
});

describe('checkEdit', () => {
  const file = () => path.join(tmp.dir, 'mcp-proxy.json');

  it('refuses what the proxy would refuse, naming the place', () => {
    const bad = setServerValue(newConfigText('json', 'x'), 'json', 'api', [], { url: 'localhost:3000/mcp' });
    let err: any;
    try {
      checkEdit(bad, file(), noVars, opts(tmp.dir));
    } catch (e) {
      err = e;
    }
    expect(err?.exitCode).toBe(2);
    expect(err.message).toMatch(/invalid.*nothing was written/);
    expect(err.details.join('\n')).toMatch(/mcpServers\.api\.url/);
  });

  it('accepts a variable that is not set yet, as a warning about that server', () => {
    const text = setServerValue(newConfigText('json', 'x'), 'json', 'gh', [], {
      command: process.execPath,
      env: { GITHUB_TOKEN: '${GITHUB_TOKEN}' },
    });
    const { warnings } = checkEdit(text, file(), noVars, { ...opts(tmp.dir), server: 'gh' });
    expect(warnings.map((w) => w.variable)).toEqual(['GITHUB_TOKEN']);
    expect(checkEdit(text, file(), () => 'set', { ...opts(tmp.dir), server: 'gh' }).warnings).toEqual([]);
  });
});

describe('locateForEdit and readForEdit', () => {
  it('finds the file run would use, and for add names one that does not exist yet', () => {
    const xdg = path.join(tmp.dir, 'xdg');
    const o = opts(tmp.dir, { XDG_CONFIG_HOME: xdg });
    expect(locateForEdit(undefined, o, true)).toBe(path.join(xdg, 'mcp-proxy', 'config.json'));
    expect(() => locateForEdit(undefined, o, false)).toThrow(/no config file found/);
    expect(locateForEdit('new.yaml', o, true)).toBe(path.join(tmp.dir, 'new.yaml'));
    expect(locateForEdit(undefined, { ...o, env: { ...o.env, MCP_PROXY_CONFIG: 'env.json' } }, true)).toBe(
      path.join(tmp.dir, 'env.json'),
    );
    fs.writeFileSync(path.join(tmp.dir, 'mcp-proxy.yaml'), 'mcpServers: {}\n');
    expect(locateForEdit(undefined, o, false)).toBe(path.join(tmp.dir, 'mcp-proxy.yaml'));
    expect(readForEdit(path.join(tmp.dir, 'mcp-proxy.yaml'))).toMatchObject({
      format: 'yaml',
      exists: true,
      servers: {},
    });
    expect(readForEdit(path.join(tmp.dir, 'none.json'))).toMatchObject({ exists: false, text: '', servers: {} });
  });

  it('names the line of a syntax error and writes nothing', () => {
    const f = path.join(tmp.dir, 'mcp-proxy.json');
    fs.writeFileSync(f, '{\n  "mcpServers": {\n    "a": { "command": "x" }\n    "b": {}\n  }\n}\n');
    expect(() => readForEdit(f)).toThrow(/mcp-proxy\.json:4:5 is not valid JSON/);
  });
});
