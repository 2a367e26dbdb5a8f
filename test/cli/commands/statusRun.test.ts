/** The `status` table: a server with replicas is followed by one indented row per replica, and a catalog mismatch is said. */
import { describe, expect, test } from 'vitest';
import { renderReport } from '../../../src/cli/commands/statusRun.js';

const row = (name: string, state = 'ready') => ({
  name,
  type: 'stdio',
  state,
  tools: 2,
  prompts: 0,
  resources: 0,
  restarts: 0,
});

describe('status with replicas', () => {
  test('one row per replica under its server; backups marked; the mismatch in the error column', () => {
    const out = renderReport({
      source: 'config',
      target: 'c.json',
      ready: true,
      deployment: 'node',
      upstreams: [
        {
          ...row('r'),
          balance: 'round-robin',
          catalogMismatch: 'r#2 lists a different catalog than r#1',
          replicas: [
            { ...row('r#1'), backup: false },
            { ...row('r#2', 'restarting'), backup: true },
          ],
        },
        row('plain'),
      ],
    } as any);
    const lines = out.split('\n');
    expect(lines[0]).toContain('2/2 upstreams ok');
    const names = lines.slice(3, 7).map((l) => l.replace(/(\S)\s{2,}.*$/, '$1'));
    expect(names).toEqual(['r', '  r#1', '  r#2 (backup)', 'plain']);
    expect(lines[3]).toMatch(/r#2 lists a different catalog than r#1$/);
    expect(lines[5]).toContain('restarting');
  });
});
