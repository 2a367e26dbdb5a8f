/**
 * The BUILT proxy over HTTP with `proxy.audit` writing a JSON Lines file: 8 concurrent sessions and
 * stateless 2026-07-28 calls leave exactly one record per call (none lost, none doubled), each with
 * the identity, the session's hash (never the id), the outcome and the argument size; a registered
 * secret inside arguments is masked; `audit query` and `audit tail` read the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AuditRecord } from '../../src/audit/record.js';
import { runSessions, type SessionRun } from '../helpers/auditCalls.js';
import { ensureBuilt, runBundle } from '../helpers/build.js';
import { tempDir, writeConfig } from '../helpers/files.js';
import { type HttpProxy, startHttpProxy } from '../helpers/httpProxy.js';
import { ECHO } from '../helpers/paths.js';

const TOKEN = 'audit-e2e-token-0123456789abcdef';
const SECRET = 'sk-audit-secret-value-0123456789';
const SESSIONS = 8;
const ROUNDS = 5;
const MODERN_CALLS = 4;
const tmp = tempDir('mcp-proxy-audit-e2e-');
const auditFile = path.join(tmp.dir, 'logs', 'audit.jsonl');
let proxy: HttpProxy;
let run: SessionRun;
let records: AuditRecord[] = [];
let cfg = '';
const env = { PATH: process.env.PATH ?? '', HOME: tmp.dir, MCP_PROXY_TOKEN: TOKEN, SECRET_TOKEN: SECRET };

beforeAll(async () => {
  ensureBuilt();
  cfg = writeConfig(tmp.dir, {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR} reference
    mcpServers: { echo: { command: process.execPath, args: [ECHO], env: { API_TOKEN: '${SECRET_TOKEN}' } } },
    proxy: { audit: { file: 'logs/audit.jsonl', arguments: true } },
  });
  proxy = await startHttpProxy(['--config', cfg, '--no-watch'], { env });
  run = await runSessions(proxy.url, TOKEN, {
    sessions: SESSIONS,
    rounds: ROUNDS,
    text: (i) => (i === 0 ? `the key is ${SECRET}` : `a${i}`),
  });
  const modern = new Client(
    { name: 'audit-modern', version: '1' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await modern.connect(
    new StreamableHTTPClientTransport(new URL(proxy.url), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    }),
  );
  for (let i = 0; i < MODERN_CALLS; i++) await modern.callTool({ name: 'echo__add', arguments: { a: i, b: 1 } });
  await modern.close();
  // A graceful stop writes out what is queued.
  await proxy.stop();
  records = fs
    .readFileSync(auditFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  tmp.cleanup();
});

describe('audit log under 8 concurrent sessions (built bundle, JSON Lines)', () => {
  test('exactly one record per call: none lost, none doubled', () => {
    const perSession = run.perSession['tools/call'] + run.perSession['prompts/get'] + run.perSession['resources/read'];
    expect(records.length).toBe(SESSIONS * perSession + MODERN_CALLS);
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    const bySession = new Map<string, AuditRecord[]>();
    for (const r of records) if (r.session) bySession.set(r.session, [...(bySession.get(r.session) ?? []), r]);
    expect(bySession.size).toBe(SESSIONS);
    for (const rs of bySession.values()) {
      const count = (m: string) => rs.filter((r) => r.method === m).length;
      expect(count('tools/call')).toBe(run.perSession['tools/call']);
      expect(count('prompts/get')).toBe(run.perSession['prompts/get']);
      expect(count('resources/read')).toBe(run.perSession['resources/read']);
      expect(rs.filter((r) => r.outcome === 'tool_error').length).toBe(run.perSession.tool_error);
    }
    // The stateless calls belong to no session.
    expect(records.filter((r) => !r.session).map((r) => r.name)).toEqual(Array(MODERN_CALLS).fill('add'));
  });

  test('records carry identity, server, name, outcome, duration and argument size; never a raw session id', () => {
    const text = fs.readFileSync(auditFile, 'utf8');
    for (const id of run.sessionIds) expect(text).not.toContain(id);
    for (const r of records) {
      expect(r.kind).toBe('token');
      expect(r.identity).toMatch(/^token:[0-9a-f]{32}$/);
      expect(r.server).toBe('echo');
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
      expect(Number.isNaN(Date.parse(r.time))).toBe(false);
    }
    const echo = records.find((r) => r.name === 'echo' && (r.arguments as { text: string }).text === 'b1')!;
    expect(echo.argBytes).toBe(Buffer.byteLength(JSON.stringify({ text: 'b1' })));
    expect(echo.outcome).toBe('ok');
    expect(records.find((r) => r.method === 'resources/read')!.name).toBe('echo://readme');
  });

  test('a registered secret inside arguments is masked', () => {
    expect(fs.readFileSync(auditFile, 'utf8')).not.toContain(SECRET);
    const masked = records.filter((r) => String((r.arguments as { text?: string })?.text).startsWith('the key is '));
    expect(masked.length).toBe(SESSIONS);
    for (const r of masked) expect((r.arguments as { text: string }).text).toMatch(/^the key is sk\*{4}89$/);
  });

  test('audit query filters by identity and tool; audit tail prints the newest; bad --since is a usage error', () => {
    const identity = records[0]!.identity;
    const q = runBundle(['audit', 'query', '--config', cfg, '--identity', identity, '--tool', 'echo__add', '--json'], {
      env,
      cwd: tmp.dir,
    });
    expect(q.stderr).toBe('');
    expect(q.status).toBe(0);
    expect(
      q.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).name),
    ).toEqual(Array(MODERN_CALLS).fill('add'));

    const t = runBundle(['audit', 'tail', '--config', cfg, '-n', '3'], { env, cwd: tmp.dir });
    expect(t.status).toBe(0);
    const lines = t.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('tools/call');
    expect(lines[2]).toContain('echo: add');

    const bad = runBundle(['audit', 'query', '--config', cfg, '--since', 'yesterday-ish'], { env, cwd: tmp.dir });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday-ish" is neither a date/time nor an age');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
