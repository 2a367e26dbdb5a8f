import { describe, expect, it } from 'vitest';
import { formatFor, parseSource } from '../../src/config/parse.js';

const json = '{\n  "mcpServers": {\n    "fs": {\n      "command": "npx",\n      "args": ["-y", "pkg"]\n    }\n  }\n}\n';
const yaml = 'mcpServers:\n  fs:\n    command: npx\n    args:\n      - -y\n      - pkg\n';

describe('parseSource', () => {
  it('picks the format from the file name', () => {
    expect(formatFor('a.json')).toBe('json');
    expect(formatFor('/x/A.YAML')).toBe('yaml');
    expect(formatFor('c.yml')).toBe('yaml');
    expect(formatFor('config')).toBe('json');
  });

  for (const [format, text, key, value, item, parent] of [
    ['json', json, { line: 4, column: 7 }, { line: 4, column: 18 }, { line: 5, column: 22 }, { line: 3, column: 5 }],
    ['yaml', yaml, { line: 3, column: 5 }, { line: 3, column: 14 }, { line: 6, column: 9 }, { line: 2, column: 3 }],
  ] as const) {
    it(`locates keys, values and array items in ${format}`, () => {
      const p = parseSource(text, `c.${format}`);
      expect(p.problems).toEqual([]);
      expect(p.value).toEqual({ mcpServers: { fs: { command: 'npx', args: ['-y', 'pkg'] } } });
      expect(p.locate(['mcpServers', 'fs', 'command'])).toEqual(key);
      expect(p.locate(['mcpServers', 'fs', 'command'], 'value')).toEqual(value);
      expect(p.locate(['mcpServers', 'fs', 'args', 1])).toEqual(item);
      // A path that does not exist falls back to the nearest entry that does.
      expect(p.locate(['mcpServers', 'fs', 'url'])).toEqual(parent);
    });
  }

  it('handles CRLF line endings and a byte-order mark', () => {
    const p = parseSource('\uFEFF{\r\n  "mcpServers": {\r\n    "a": 1\r\n  }\r\n}\r\n', 'c.json');
    expect(p.problems).toEqual([]);
    expect(p.locate(['mcpServers', 'a'])).toEqual({ line: 3, column: 5 });
  });

  it('reports only the first JSON syntax error (the rest usually follow from it)', () => {
    const p = parseSource('{"a": 1,, "b": }', 'c.json');
    expect(p.value).toBeUndefined();
    expect(p.problems).toHaveLength(1);
    expect(p.problems[0]).toMatchObject({ kind: 'syntax', severity: 'error', line: 1 });
  });

  it('reports a control character inside a JSON string', () => {
    const p = parseSource('{"a": "tab\there"}', 'c.json');
    expect(p.problems[0].message).toMatch(/invalid JSON: control character/);
    expect(p.problems[0].hint).toMatch(/\\t/);
  });
});
