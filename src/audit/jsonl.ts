/**
 * The default audit store: a JSON Lines file, one record per line, appended in batches, rotated by
 * size (`audit.jsonl` -> `audit.jsonl.1` -> ... -> `audit.jsonl.N`, the oldest dropped).
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { type AuditRecord, isRecord } from './record.js';
import { type AuditFilter, type AuditReader, type AuditSink, matches } from './sink.js';

export interface RotateOptions {
  /** Rotate when the file would grow past this many bytes. */
  maxBytes: number;
  /** Rotated files kept besides the current one. */
  keep: number;
}

export interface JsonlSinkOptions {
  file: string;
  rotate: RotateOptions;
  /** How long records wait to be written together, ms. */
  flushMs?: number;
  logger?: Logger;
}

export class JsonlSink implements AuditSink {
  private pending: string[] = [];
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private fd?: FileHandle;
  private size = 0;
  private failing = false;

  constructor(private readonly opts: JsonlSinkOptions) {}

  write(record: AuditRecord): void {
    this.pending.push(`${JSON.stringify(record)}\n`);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.opts.flushMs ?? 50);
      this.timer.unref();
    }
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length) {
      const text = this.pending.join('');
      this.pending = [];
      this.chain = this.chain.then(() => this.append(text));
    }
    return this.chain;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.fd?.close().catch(() => {});
    this.fd = undefined;
  }

  private async append(text: string): Promise<void> {
    try {
      const bytes = Buffer.byteLength(text);
      if (!this.fd) await this.openFile();
      if (this.size > 0 && this.size + bytes > this.opts.rotate.maxBytes) await this.rotate();
      await this.fd!.write(text);
      this.size += bytes;
      if (this.failing) this.opts.logger?.info({ file: this.opts.file }, 'audit log writable again');
      this.failing = false;
    } catch (e) {
      // Said once per outage; the records of a batch that cannot be written are lost, the calls are not.
      if (!this.failing)
        this.opts.logger?.error({ file: this.opts.file, err: errorMessage(e) }, 'audit log write failed');
      this.failing = true;
      await this.fd?.close().catch(() => {});
      this.fd = undefined;
    }
  }

  private async openFile(): Promise<void> {
    await mkdir(path.dirname(this.opts.file), { recursive: true, mode: 0o700 });
    this.fd = await open(this.opts.file, 'a', 0o600);
    this.size = (await this.fd.stat()).size;
  }

  private async rotate(): Promise<void> {
    await this.fd?.close();
    this.fd = undefined;
    const { file } = this.opts;
    const keep = this.opts.rotate.keep;
    if (keep <= 0) await rm(file, { force: true });
    else {
      await rm(`${file}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--) await renameIfThere(`${file}.${i}`, `${file}.${i + 1}`);
      await renameIfThere(file, `${file}.1`);
    }
    await this.openFile();
  }
}

async function renameIfThere(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Reads a JSON Lines audit file and its rotated predecessors. */
export class JsonlReader implements AuditReader {
  constructor(
    private readonly file: string,
    private readonly pollMs = 250,
  ) {}

  async query(filter: AuditFilter): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    for (const f of await this.files()) await readLines(f, 0, (r) => matches(r, filter) && out.push(r));
    return filter.limit !== undefined ? out.slice(Math.max(0, out.length - filter.limit)) : out;
  }

  async follow(filter: AuditFilter, onRecord: (r: AuditRecord) => void, signal: AbortSignal): Promise<void> {
    const each = (r: AuditRecord) => matches(r, filter) && onRecord(r);
    let at = await position(this.file);
    while (!signal.aborted) {
      await new Promise((r) => setTimeout(r, this.pollMs));
      const now = await position(this.file);
      if (now.ino !== at.ino) {
        // Rotated: the rest of the file we were reading is now file.1; then the new file from its start.
        const previous = await position(`${this.file}.1`);
        if (at.ino !== 0 && previous.ino === at.ino) await readLines(`${this.file}.1`, at.offset, each);
        at = { ino: now.ino, offset: 0 };
      }
      if (now.offset > at.offset) at.offset = await readLines(this.file, at.offset, each);
    }
  }

  async close(): Promise<void> {}

  /** Oldest first: file.N ... file.1, file. */
  private async files(): Promise<string[]> {
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
    const names = await readdir(dir).catch(() => [] as string[]);
    const rotated = names
      .map((n) => ({ n, i: n.startsWith(`${base}.`) ? Number(n.slice(base.length + 1)) : Number.NaN }))
      .filter((x) => Number.isInteger(x.i) && x.i > 0)
      .sort((a, b) => b.i - a.i)
      .map((x) => path.join(dir, x.n));
    return names.includes(base) ? [...rotated, this.file] : rotated;
  }
}

/** A file's inode and size (0 and 0 when it is not there). */
async function position(file: string): Promise<{ ino: number; offset: number }> {
  try {
    const st = await stat(file);
    return { ino: st.ino, offset: st.size };
  } catch {
    return { ino: 0, offset: 0 };
  }
}

/** Reads complete lines from `start`; returns the offset after the last complete line. */
async function readLines(file: string, start: number, each: (r: AuditRecord) => unknown): Promise<number> {
  let offset = start;
  // Only `audit tail|query` read: the proxy that writes records never loads readline.
  const { createInterface } = await import('node:readline');
  const stream = createReadStream(file, { start, encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let last = '';
  try {
    for await (const line of lines) {
      if (last) offset += Buffer.byteLength(last) + 1;
      last = line;
      const r = parse(line);
      if (r) each(r);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  // The last line counts as read only when it is a whole record (a line being written is read again).
  if (last && parse(last)) offset += Buffer.byteLength(last) + 1;
  return offset;
}

function parse(line: string): AuditRecord | undefined {
  if (!line) return undefined;
  try {
    const v = JSON.parse(line);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
