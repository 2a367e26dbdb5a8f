/**
 * The HAProxy configs (deploy/haproxy/ for a plain host, docker/haproxy/ for the compose profile):
 * `haproxy -c` accepts both (skipped loudly without haproxy), and they apply the same rules, so the
 * one the scale test runs speaks for the other. The behaviour itself is tested in test/e2e/scale/.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { haproxyMissing } from '../helpers/haproxy.js';
import { ROOT } from '../helpers/paths.js';

const PLAIN = path.join(ROOT, 'deploy/haproxy/haproxy.cfg');
const COMPOSE = path.join(ROOT, 'docker/haproxy/haproxy.cfg');
const missing = haproxyMissing();
if (missing) console.warn(`\n!!! haproxy -c checks SKIPPED: ${missing}\n`);

/** The config's lines without comments, blank lines, the servers and the docker-only resolvers section. */
function rules(file: string): string[] {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trimEnd())
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const out: string[] = [];
  let section = '';
  for (const l of lines) {
    if (!l.startsWith(' ')) section = l;
    if (section.startsWith('resolvers ')) continue;
    if (/^\s+(server|server-template) /.test(l) || /^\s+bind /.test(l)) continue;
    out.push(l.trim());
  }
  return out;
}

describe('HAProxy configs', () => {
  it.skipIf(missing !== undefined)('haproxy -c accepts both (and refuses a broken one)', () => {
    for (const f of [PLAIN, COMPOSE]) {
      const r = spawnSync('haproxy', ['-c', '-f', f], { encoding: 'utf8' });
      expect(r.status, `${f}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const broken = spawnSync('haproxy', ['-c', '-f', '/dev/stdin'], {
      input: readFileSync(PLAIN, 'utf8').replace('stick match req.hdr', 'stick matchx req.hdr'),
      encoding: 'utf8',
    });
    expect(broken.status).not.toBe(0);
  });

  it('both apply the same rules: stickiness on Mcp-Session-Id, /ready checks, retries of 503 only, the client address forwarded', () => {
    expect(rules(COMPOSE)).toEqual(rules(PLAIN));
    const r = rules(PLAIN);
    expect(r).toContain('stick match req.hdr(mcp-session-id)');
    expect(r).toContain('stick store-response res.hdr(mcp-session-id)');
    expect(r).toContain('http-check send meth GET uri /ready ver HTTP/1.1 hdr Host localhost');
    expect(r).toContain('http-check expect status 200');
    expect(r).toContain('retry-on conn-failure 503');
    expect(r).toContain('option redispatch 1');
    expect(r).toContain('option forwardfor');
  });
});
