/**
 * The recent log lines the dashboard shows and tails: the proxy's own pino lines (taken as JSON, after
 * the logger's redaction) and each upstream's stderr lines (`[name] text`). A fixed-size ring: the
 * oldest lines fall out, so a chatty server cannot grow the proxy's memory.
 */

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LogRecord {
  /** Increasing; a client resuming a tail asks for what came after the last one it saw. */
  seq: number;
  time: string;
  level: LogLevelName;
  /** `proxy` for the proxy's own lines, else the upstream server's name (its stderr). */
  source: string;
  component?: string;
  msg: string;
}

export interface LogFilter {
  source?: string;
  /** The lowest level shown. */
  level?: LogLevelName;
  after?: number;
}

const LEVELS: Record<number, LogLevelName> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
export const LEVEL_ORDER: LogLevelName[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const RESERVED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component', 'v']);

export class LogRing {
  private readonly lines: LogRecord[] = [];
  private seq = 0;
  private readonly listeners = new Set<(r: LogRecord) => void>();

  constructor(private readonly capacity = 1000) {}

  /** One pino JSON line (already redacted by the logger). */
  readonly pinoLine = (json: string): void => {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(json) as Record<string, unknown>;
    } catch {
      return;
    }
    const extras = Object.entries(rec)
      .filter(([k]) => !RESERVED.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const msg = `${typeof rec.msg === 'string' ? rec.msg : ''}${extras ? ` ${extras}` : ''}`;
    const component = typeof rec.component === 'string' ? rec.component : undefined;
    this.push({
      time: typeof rec.time === 'string' ? rec.time : new Date().toISOString(),
      level: LEVELS[rec.level as number] ?? 'info',
      source: 'proxy',
      ...(component ? { component } : {}),
      msg,
    });
  };

  /** One upstream stderr line as the pool relays it, `[name] text` (already masked). */
  readonly stderrLine = (line: string): void => {
    const m = /^\[([^\]]+)\] ?(.*)$/s.exec(line);
    // stderr carries no level; a server's chatter is shown as info.
    this.push({ time: new Date().toISOString(), level: 'info', source: m?.[1] ?? 'upstream', msg: m?.[2] ?? line });
  };

  push(r: Omit<LogRecord, 'seq'>): void {
    const record = { seq: ++this.seq, ...r };
    this.lines.push(record);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
    for (const l of this.listeners) l(record);
  }

  recent(filter: LogFilter = {}, limit = 500): LogRecord[] {
    const keep = matcher(filter);
    const out = this.lines.filter(keep);
    return out.slice(Math.max(0, out.length - limit));
  }

  /** Every new record that passes `filter`; returns the unsubscribe. */
  follow(filter: LogFilter, fn: (r: LogRecord) => void): () => void {
    const keep = matcher(filter);
    const listener = (r: LogRecord) => {
      if (keep(r)) fn(r);
    };
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The sources seen so far (for the filter's choices). */
  sources(): string[] {
    return [...new Set(this.lines.map((l) => l.source))].sort();
  }
}

function matcher(f: LogFilter): (r: LogRecord) => boolean {
  const min = f.level ? LEVEL_ORDER.indexOf(f.level) : 0;
  return (r) =>
    (f.source === undefined || r.source === f.source) &&
    LEVEL_ORDER.indexOf(r.level) >= min &&
    (f.after === undefined || r.seq > f.after);
}

export function isLevel(s: string | null | undefined): s is LogLevelName {
  return s !== null && s !== undefined && (LEVEL_ORDER as string[]).includes(s);
}
