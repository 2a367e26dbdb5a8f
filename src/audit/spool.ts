/**
 * The disk buffer of the PostgreSQL sink: records that could not be inserted, one JSON line each,
 * kept until the database takes them. Survives a restart of the proxy (replayed on the next start).
 */
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { type AuditRecord, isRecord } from './record.js';

export class Spool {
  constructor(readonly file: string) {}

  async append(records: AuditRecord[]): Promise<void> {
    if (!records.length) return;
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await appendFile(this.file, records.map((r) => `${JSON.stringify(r)}\n`).join(''), { mode: 0o600 });
  }

  /** Everything buffered (a torn last line, from a crash mid-write, is skipped). */
  async read(): Promise<AuditRecord[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: AuditRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const v = JSON.parse(line);
        if (isRecord(v)) out.push(v);
      } catch {}
    }
    return out;
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
