/**
 * The JSON Lines audit store on a real file system: batches land whole, rotation keeps N files and
 * drops the oldest, the reader sees every kept record once (oldest first) and follows across a rotation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { JsonlReader, JsonlSink } from '../../src/audit/jsonl.js';
import { type AuditRecord, recordIds } from '../../src/audit/record.js';
import { tempDir } from '../helpers/files.js';
import { waitFor } from '../helpers/wait.js';

const tmp = tempDir('mcp-proxy-audit-jsonl-');
afterAll(tmp.cleanup);

const ids = recordIds();
function record(i: number, over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id: ids(),
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    identity: i % 2 ? 'alice' : 'bob',
    kind: 'key',
    method: 'tools/call',
    server: 'echo',
    name: i % 3 ? 'echo' : 'add',
    outcome: 'ok',
    durationMs: 1.5,
    argBytes: 12,
    ...over,
  };
}

describe('JsonlSink', () => {
  test('rotates by size, keeps `keep` rotated files, and the reader sees each kept record exactly once', async () => {
    const file = path.join(tmp.dir, 'rot', 'audit.jsonl');
    const lineBytes = Buffer.byteLength(`${JSON.stringify(record(0))}\n`);
    // Room for about 10 lines per file; 100 records with keep 2 leave the newest ~30.
    const sink = new JsonlSink({ file, rotate: { maxBytes: lineBytes * 10, keep: 2 }, flushMs: 1 });
    const written: AuditRecord[] = [];
    for (let i = 0; i < 100; i++) {
      const r = record(i);
      written.push(r);
      sink.write(r);
      // Several batches, so rotation happens between batches as it does under load.
      if (i % 7 === 6) await sink.flush();
    }
    await sink.close();

    const names = fs.readdirSync(path.dirname(file)).sort();
    expect(names).toEqual(['audit.jsonl', 'audit.jsonl.1', 'audit.jsonl.2']);
    for (const n of names) {
      expect(fs.statSync(path.join(path.dirname(file), n)).size).toBeLessThanOrEqual(lineBytes * 10);
      expect(fs.statSync(path.join(path.dirname(file), n)).mode & 0o777).toBe(0o600);
    }
    const read = await new JsonlReader(file).query({});
    const readIds = read.map((r) => r.id);
    expect(new Set(readIds).size).toBe(readIds.length);
    // What is kept is the newest records, in order, with nothing missing in between.
    expect(readIds).toEqual(written.slice(written.length - read.length).map((r) => r.id));
    expect(read.length).toBeGreaterThanOrEqual(20);
  });

  test('keep 0 truncates instead of keeping old files', async () => {
    const file = path.join(tmp.dir, 'keep0', 'audit.jsonl');
    const sink = new JsonlSink({ file, rotate: { maxBytes: 400, keep: 0 }, flushMs: 1 });
    for (let i = 0; i < 20; i++) {
      sink.write(record(i));
      await sink.flush();
    }
    await sink.close();
    expect(fs.readdirSync(path.dirname(file))).toEqual(['audit.jsonl']);
  });

  test('query filters by time, identity and tool (server__name or name), newest `limit`', async () => {
    const file = path.join(tmp.dir, 'q', 'audit.jsonl');
    const sink = new JsonlSink({ file, rotate: { maxBytes: 1 << 20, keep: 1 }, flushMs: 1 });
    for (let i = 0; i < 30; i++) sink.write(record(i));
    await sink.close();
    const reader = new JsonlReader(file);
    const since = new Date(Date.UTC(2026, 0, 1, 0, 0, 20));
    const got = await reader.query({ since, identity: 'alice', tool: 'echo__echo' });
    expect(got.map((r) => r.time)).toEqual(
      [23, 25, 29].map((i) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString()),
    );
    expect((await reader.query({ tool: 'add', limit: 2 })).map((r) => r.time.slice(17, 19))).toEqual(['24', '27']);
  });

  test('follow prints records written later, also across a rotation', async () => {
    const file = path.join(tmp.dir, 'follow', 'audit.jsonl');
    const sink = new JsonlSink({ file, rotate: { maxBytes: 600, keep: 3 }, flushMs: 1 });
    sink.write(record(0));
    await sink.flush();
    const seen: string[] = [];
    const stop = new AbortController();
    const following = new JsonlReader(file, 20).follow({}, (r) => seen.push(r.id), stop.signal);
    await new Promise((r) => setTimeout(r, 60));
    const later: string[] = [];
    for (let i = 1; i <= 12; i++) {
      const r = record(i);
      later.push(r.id);
      sink.write(r);
      await sink.flush();
      await new Promise((res) => setTimeout(res, 30));
    }
    await waitFor(() => seen.length >= later.length, 'the followed records', 5_000);
    stop.abort();
    await following;
    await sink.close();
    expect(seen).toEqual(later);
  });
});
