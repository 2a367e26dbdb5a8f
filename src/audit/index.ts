/**
 * `proxy.audit` -> where records go (a JSON Lines file by default, PostgreSQL when a url is set) and
 * where the `audit` command reads them. Paths in the config are relative to the config file.
 */
import path from 'node:path';
import { DEFAULTS, type ProxyConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { pathApi } from '../util/paths.js';
import { JsonlReader, JsonlSink } from './jsonl.js';
import { PostgresReader, PostgresSink } from './postgres.js';
import { type AuditReader, type AuditSink, fanOut } from './sink.js';

export type AuditSettings = NonNullable<ProxyConfig['audit']>;

export interface AuditLocation {
  /** The JSON Lines file, when records go to one. */
  file?: string;
  postgres?: { url: string; spool: string };
}

export interface AuditPathContext {
  /** The directory of the config file (relative paths resolve against it), else the working directory. */
  baseDir: string;
  env: NodeJS.ProcessEnv;
  homedir: string;
  platform: NodeJS.Platform;
}

/**
 * The user state directory's audit file: $XDG_STATE_HOME/mcp-proxy (default ~/.local/state/mcp-proxy),
 * or %LOCALAPPDATA%\mcp-proxy on Windows.
 */
export function defaultAuditFile({ env, homedir, platform }: AuditPathContext): string {
  const api = pathApi(platform);
  if (platform === 'win32') {
    return api.join(env.LOCALAPPDATA || api.join(homedir, 'AppData', 'Local'), 'mcp-proxy', 'audit.jsonl');
  }
  const xdg = env.XDG_STATE_HOME;
  const base = xdg && api.isAbsolute(xdg) ? xdg : api.join(homedir, '.local', 'state');
  return api.join(base, 'mcp-proxy', 'audit.jsonl');
}

export function auditLocation(settings: AuditSettings, ctx: AuditPathContext): AuditLocation {
  const resolve = (p: string) => path.resolve(ctx.baseDir, p);
  const file = settings.file ? resolve(settings.file) : undefined;
  const out: AuditLocation = {};
  if (file || !settings.postgres) out.file = file ?? defaultAuditFile(ctx);
  if (settings.postgres) {
    const spool = settings.postgres.spool
      ? resolve(settings.postgres.spool)
      : `${out.file ?? defaultAuditFile(ctx)}.spool`;
    out.postgres = { url: settings.postgres.url, spool };
  }
  return out;
}

export function openAuditSink(settings: AuditSettings, where: AuditLocation, logger?: Logger): AuditSink {
  const log = logger?.child({ component: 'audit' });
  const sinks: AuditSink[] = [];
  if (where.file) {
    const rotate = { ...DEFAULTS.audit.rotate, ...definedOnly(settings.rotate ?? {}) };
    sinks.push(new JsonlSink({ file: where.file, rotate, flushMs: DEFAULTS.audit.flushMs, logger: log }));
  }
  if (where.postgres) {
    sinks.push(
      new PostgresSink({
        url: where.postgres.url,
        spoolFile: where.postgres.spool,
        flushMs: DEFAULTS.audit.postgresFlushMs,
        logger: log,
      }),
    );
  }
  return fanOut(sinks);
}

/** The store `audit tail|query` reads: PostgreSQL when configured (the shared one), else the file. */
export function openAuditReader(where: AuditLocation): AuditReader {
  if (where.postgres) return new PostgresReader(where.postgres.url);
  return new JsonlReader(where.file!);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
