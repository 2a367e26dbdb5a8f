import { Writable } from 'node:stream';
import pino, { type Logger as PinoLogger } from 'pino';
import type { Redactor } from './redact.js';

export type Logger = PinoLogger;
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go. Never stdout in stdio mode: callers pass process.stderr (the default) or a file stream. */
  destination?: NodeJS.WritableStream;
  redactor?: Redactor;
  /** Also given every line, redacted, as JSON (the dashboard's log view). */
  tap?: (jsonLine: string) => void;
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const RESERVED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component', 'v']);

/**
 * A pino logger that writes to stderr (or a given stream), never stdout. Every line passes
 * through the redactor so no registered secret can leak. `pretty` is a compact human format.
 */
export function createLogger(options: LoggerOptions): Logger {
  const out = options.destination ?? process.stderr;
  const redactor = options.redactor;
  const pretty = options.format === 'pretty';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      let line = chunk.toString('utf8');
      if (redactor) line = redactor.redact(line);
      options.tap?.(line);
      if (pretty) line = prettyLine(line);
      out.write(line, () => cb());
    },
  });
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['*.token', '*.password', '*.authorization', 'headers.authorization'], censor: '****' },
    },
    sink,
  );
}

/** A logger that drops everything (tests, and commands that must stay quiet). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

function prettyLine(jsonLine: string): string {
  try {
    const rec = JSON.parse(jsonLine) as Record<string, unknown>;
    const time = typeof rec.time === 'string' ? rec.time.slice(11, 19) : '';
    const level = LEVEL_NAMES[rec.level as number] ?? String(rec.level);
    const comp = rec.component ? ` [${rec.component}]` : '';
    const extras = Object.entries(rec)
      .filter(([k]) => !RESERVED.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${time} ${level.padEnd(5)}${comp} ${rec.msg ?? ''}${extras ? ` ${extras}` : ''}\n`;
  } catch {
    return jsonLine;
  }
}
