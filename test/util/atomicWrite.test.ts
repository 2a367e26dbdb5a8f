import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/generate/jsonFile.js';
import { atomicWrite } from '../../src/util/atomicWrite.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-atomic-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(process.platform === 'win32')('atomicWrite', () => {
  it('creates the file with exactly the mode asked, whatever the umask', () => {
    const file = path.join(dir, 'secret.json');
    const old = process.umask(0);
    try {
      atomicWrite(file, '{}\n', { mode: 0o600 });
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toBe('{}\n');
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it("a client config write removes a dead writer's temp file too (it may hold secrets)", () => {
    const file = path.join(dir, 'client.json');
    // A pid that cannot be running: the writer was killed before its rename.
    const stale = path.join(dir, `.client.json.999999999.0123abcd.tmp`);
    fs.writeFileSync(stale, '{"token":"x"}');
    writeFileAtomic(file, '{"mcpServers":{}}\n', { mode: 0o600 });
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"mcpServers":{}}\n');
  });
});
