/**
 * `proxy.audit` and `proxy.limits` through `mcp-proxy validate` (the BUILT bundle): a good section
 * passes; a PostgreSQL url that is not one, an unknown key and a negative number fail with the place
 * and the fix, exit 2, no stack trace; the published JSON Schema describes the sections.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt, runBundle } from '../helpers/build.js';
import { tempDir, writeConfig } from '../helpers/files.js';
import { ROOT } from '../helpers/paths.js';

const tmp = tempDir('mcp-proxy-audit-settings-');
beforeAll(() => ensureBuilt(), 120_000);
afterAll(tmp.cleanup);

function validate(proxy: unknown) {
  const cfg = writeConfig(tmp.dir, { mcpServers: { a: { command: 'node', args: ['x.js'] } }, proxy });
  return runBundle(['validate', '--config', cfg], {
    env: { PATH: process.env.PATH ?? '', HOME: tmp.dir },
    cwd: tmp.dir,
  });
}

describe('proxy.audit and proxy.limits in validate', () => {
  test('a complete section is valid', () => {
    const r = validate({
      audit: {
        file: 'audit/audit.jsonl',
        postgres: { url: 'postgres://audit@db:5432/audit' },
        arguments: true,
        rotate: { maxBytes: 1048576, keep: 3 },
      },
      limits: { perIdentity: { windowMs: 60000, max: 100 } },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('a url that is not PostgreSQL, an unknown key, a negative keep: exit 2, each named with its place', () => {
    const r = validate({ audit: { postgres: { url: 'mysql://db/audit' }, rotate: { keep: -1 }, level: 'all' } });
    expect(r.status).toBe(2);
    const out = r.stdout + r.stderr;
    expect(out).toContain('proxy.audit');
    expect(out).toMatch(/keep/);
    expect(out).toMatch(/level/);
    expect(out).not.toMatch(/\n\s+at /);
    const bad = validate({ audit: { postgres: { url: 'mysql://db/audit' } } });
    expect(bad.status).toBe(2);
    expect(bad.stdout + bad.stderr).toContain('proxy.audit.postgres.url is not a PostgreSQL connection URL');
  });

  test('the JSON Schema has both sections', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist/config.schema.json'), 'utf8'));
    const proxy = JSON.stringify(schema);
    for (const key of ['"audit"', '"postgres"', '"rotate"', '"perIdentity"']) expect(proxy).toContain(key);
  });
});
