// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is config syntax under test, not a template
import { describe, expect, it } from 'vitest';
import { formatPath, referencedVariables, substitute, substituteString } from '../../src/config/substitute.js';

const env: Record<string, string> = { HOME: '/home/me', TOKEN: 'secret', EMPTY: '', PORT: '9000' };
const lookup = (name: string) => env[name];

describe('substituteString', () => {
  it('expands ${VAR} anywhere in a string', () => {
    expect(substituteString('Bearer ${TOKEN}', lookup).value).toBe('Bearer secret');
    expect(substituteString('${HOME}/x:${PORT}', lookup).value).toBe('/home/me/x:9000');
  });

  it('uses the default when the variable is unset or empty', () => {
    expect(substituteString('${NOPE:-fallback}', lookup).value).toBe('fallback');
    expect(substituteString('${EMPTY:-fallback}', lookup).value).toBe('fallback');
    expect(substituteString('${TOKEN:-fallback}', lookup).value).toBe('secret');
    expect(substituteString('${NOPE:-}', lookup).value).toBe('');
  });

  it('expands variables inside a default, and only reports them when the default is used', () => {
    expect(substituteString('${NOPE:-${HOME}/data}', lookup).value).toBe('/home/me/data');
    const used = substituteString('${NOPE:-${ALSO_NOPE}}', lookup);
    expect(used.missing.map((m) => m.name)).toEqual(['ALSO_NOPE']);
    const unused = substituteString('${TOKEN:-${ALSO_NOPE}}', lookup);
    expect(unused.missing).toEqual([]);
    expect(unused.referenced).toEqual(['TOKEN', 'ALSO_NOPE']);
  });

  it('treats $$ as a literal $ and leaves other dollars alone', () => {
    expect(substituteString('cost: $$5', lookup).value).toBe('cost: $5');
    expect(substituteString('$${TOKEN}', lookup).value).toBe('${TOKEN}');
    expect(substituteString('$HOME and $ alone', lookup).value).toBe('$HOME and $ alone');
    expect(substituteString('ends with $', lookup).value).toBe('ends with $');
  });

  it('keeps an empty value that is set (no default)', () => {
    const r = substituteString('[${EMPTY}]', lookup);
    expect(r.value).toBe('[]');
    expect(r.missing).toEqual([]);
  });

  it('reports malformed references instead of guessing', () => {
    expect(substituteString('${1ABC}', lookup).invalid[0].message).toMatch(/invalid variable reference "\$\{1ABC\}"/);
    expect(substituteString('x ${TOKEN', lookup).invalid[0].message).toMatch(/unterminated/);
    expect(substituteString('${TOKEN:?err}', lookup).invalid[0].message).toMatch(
      /use \$\{TOKEN\} or \$\{TOKEN:-default\}/,
    );
    expect(substituteString('${}', lookup).invalid).toHaveLength(1);
  });
});

describe('substitute', () => {
  const raw = {
    mcpServers: {
      github: {
        url: 'https://api.example.com/${API_PATH}',
        headers: { Authorization: 'Bearer ${GITHUB_TOKEN}' },
      },
      fs: { command: 'npx', args: ['-y', 'server', '${HOME}', '${DATA_DIR}'], env: { '${KEY}': 'v' } },
    },
    proxy: { port: 8765, watch: true, name: null },
  };

  it('expands every string at any depth and never touches keys or non-strings', () => {
    const r = substitute(raw, (n) => ({ HOME: '/h', API_PATH: 'mcp', GITHUB_TOKEN: 't', DATA_DIR: '/d' })[n]);
    expect(r.missing).toEqual([]);
    expect(r.value.mcpServers.github.url).toBe('https://api.example.com/mcp');
    expect(r.value.mcpServers.github.headers.Authorization).toBe('Bearer t');
    expect(r.value.mcpServers.fs.args).toEqual(['-y', 'server', '/h', '/d']);
    expect(Object.keys(r.value.mcpServers.fs.env)).toEqual(['${KEY}']);
    expect(r.value.proxy).toEqual({ port: 8765, watch: true, name: null });
    // The input is not mutated.
    expect(raw.mcpServers.fs.args[2]).toBe('${HOME}');
  });

  it('collects every missing variable with the path where it is used', () => {
    const r = substitute(raw, () => undefined);
    expect(r.missing).toEqual([
      { name: 'API_PATH', path: ['mcpServers', 'github', 'url'] },
      { name: 'GITHUB_TOKEN', path: ['mcpServers', 'github', 'headers', 'Authorization'] },
      { name: 'HOME', path: ['mcpServers', 'fs', 'args', 2] },
      { name: 'DATA_DIR', path: ['mcpServers', 'fs', 'args', 3] },
    ]);
    expect(r.substituted.map(formatPath)).toEqual([
      'mcpServers.github.url',
      'mcpServers.github.headers.Authorization',
      'mcpServers.fs.args[2]',
      'mcpServers.fs.args[3]',
    ]);
  });

  it('reports the same variable once per use', () => {
    const r = substitute({ a: '${X}', b: ['${X}-${X}'] }, () => undefined);
    expect(r.missing.map((m) => formatPath(m.path))).toEqual(['a', 'b[0]', 'b[0]']);
    expect(r.referenced).toEqual(['X']);
  });
});

describe('referencedVariables', () => {
  it('lists every variable a config needs, including those only in defaults, in first-use order', () => {
    expect(
      referencedVariables({
        mcpServers: {
          a: { env: { T: '${TOKEN}', U: '${URL:-${FALLBACK_URL}}' } },
          b: { args: ['${TOKEN}', '$$LITERAL'] },
        },
      }),
    ).toEqual(['TOKEN', 'URL', 'FALLBACK_URL']);
  });
});

describe('formatPath', () => {
  it('formats keys, indexes and odd keys', () => {
    expect(formatPath(['mcpServers', 'github', 'url'])).toBe('mcpServers.github.url');
    expect(formatPath(['mcpServers', 'fs', 'args', 0])).toBe('mcpServers.fs.args[0]');
    expect(formatPath(['mcpServers', 'my.server'])).toBe('mcpServers["my.server"]');
    expect(formatPath([])).toBe('(top level)');
  });
});
