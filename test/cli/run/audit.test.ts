/**
 * `proxy.audit` is live: a reload changes what the calls that start from then on record, and where,
 * with real JSON Lines files. A call in flight across the change is recorded once, under the settings
 * it started with, and the store no longer used is written out and closed once it ends; a store the
 * new settings share is kept; turning the log off (or on, also over stdio) takes effect at once.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { CallInfo } from '../../../src/audit/recorder.js';
import { type RunAudit, setupAudit } from '../../../src/cli/run/audit.js';
import type { ProxyConfig } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/observability/logger.js';
import { noopMetrics } from '../../../src/observability/metrics.js';
import { makeContext } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/files.js';
import { waitFor } from '../../helpers/wait.js';

const tmp = tempDir('mcp-proxy-audit-live-');
let audit: RunAudit | undefined;
afterEach(async () => {
  await audit?.close();
  audit = undefined;
});

function start(proxy: ProxyConfig, transport = 'http') {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'info',
    format: 'json',
    destination: process.stderr,
    tap: (l) => lines.push(l),
  });
  const { ctx } = makeContext({ home: tmp.dir, cwd: tmp.dir });
  audit = setupAudit({
    proxy,
    configPath: path.join(tmp.dir, 'mcp-proxy.json'),
    ctx,
    logger,
    metrics: noopMetrics,
    transport,
  });
  const messages = () => lines.map((l) => JSON.parse(l).msg as string);
  return { audit, messages };
}

const info = (name: string, args?: unknown): CallInfo => ({ method: 'tools/call', upstream: 's', name, args });
const call = (a: RunAudit, name: string, args?: unknown) => a.hook(info(name, args), async () => ({ content: [] }));

function records(file: string): { name: string; arguments?: unknown }[] {
  let text = '';
  try {
    text = readFileSync(path.join(tmp.dir, file), 'utf8');
  } catch {}
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}
const names = (file: string) => records(file).map((r) => r.name);

describe('proxy.audit on reload', () => {
  test('new settings apply to the next calls; a call in flight is recorded once, in the store it started with', async () => {
    const { audit, messages } = start({ audit: { file: 'a.jsonl' } });
    await call(audit, 'first');
    let finish!: () => void;
    const inFlight = audit.hook(info('in-flight'), () => new Promise<object>((r) => (finish = () => r({}))));

    audit.update({ audit: { file: 'b.jsonl', arguments: true } });
    await call(audit, 'second', { q: 'x' });
    finish();
    await inFlight;
    // The old store is written out and closed once its last call ended.
    await waitFor(() => names('a.jsonl').length === 2, 'the in-flight call recorded in a.jsonl');
    expect(names('a.jsonl')).toEqual(['first', 'in-flight']);

    // Only `arguments` changes: the same store goes on, without arguments from now on.
    audit.update({ audit: { file: 'b.jsonl' } });
    await call(audit, 'third', { q: 'y' });
    audit.update({});
    await call(audit, 'unrecorded');
    await audit.close();
    expect(records('b.jsonl').map((r) => [r.name, r.arguments])).toEqual([
      ['second', { q: 'x' }],
      ['third', undefined],
    ]);
    expect(names('a.jsonl')).toEqual(['first', 'in-flight']);
    expect(messages().filter((m) => m.startsWith('audit'))).toEqual([
      'audit log on',
      'audit log on',
      'audit settings changed',
      'audit log off',
    ]);
  });

  test('over stdio the log can be turned on by a reload, and an unchanged section changes nothing', async () => {
    const { audit, messages } = start({}, 'stdio');
    await call(audit, 'before');
    audit.update({ audit: { file: 'c.jsonl' } });
    audit.update({ audit: { file: 'c.jsonl' }, logLevel: 'debug' });
    await call(audit, 'after');
    await audit.close();
    expect(names('c.jsonl')).toEqual(['after']);
    expect(messages().filter((m) => m.startsWith('audit'))).toEqual(['audit log on']);
  });
});
