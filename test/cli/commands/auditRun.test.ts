import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, sandbox } from '../../helpers/cli.js';

let box: Sandbox | undefined;
afterEach(() => box?.cleanup());

describe('mcp-proxy audit', () => {
  it('says why there is nothing to show when the audit file was never written', async () => {
    box = sandbox('mcp-audit-');
    const file = path.join(box.dir, 'never.jsonl');
    const r = await box.run(['audit', 'tail', '--file', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`no audit records: ${file} does not exist yet`);
  });

  it('an empty but existing file is simply no records, without the note', async () => {
    box = sandbox('mcp-audit-');
    const file = path.join(box.dir, 'empty.jsonl');
    fs.writeFileSync(file, '');
    const r = await box.run(['audit', 'query', '--file', file]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
  });
});
