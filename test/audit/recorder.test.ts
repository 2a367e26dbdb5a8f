/**
 * The call hook on its own: outcome and code per way a call ends, arguments masked (registered secrets,
 * secret-named keys, token-shaped values) and only when asked for, metrics labels bounded for OIDC.
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { describe, expect, test } from 'vitest';
import type { AuditRecord } from '../../src/audit/record.js';
import { createCallAuditor, identityLabel, maskArguments } from '../../src/audit/recorder.js';
import type { AuditSink } from '../../src/audit/sink.js';
import { noopMetrics } from '../../src/observability/metrics.js';
import { Redactor } from '../../src/observability/redact.js';

function memorySink(): AuditSink & { records: AuditRecord[] } {
  const records: AuditRecord[] = [];
  return { records, write: (r) => void records.push(r), flush: async () => {}, close: async () => {} };
}

const alice = { identity: { id: 'alice', kind: 'key' as const, roles: [] }, session: 'abcd' };

describe('createCallAuditor', () => {
  test('one record per call with its outcome; errors keep their JSON-RPC code and are rethrown as they were', async () => {
    const sink = memorySink();
    const hook = createCallAuditor({ sink, redact: (t) => t });
    const info = { method: 'tools/call', upstream: 'gh', name: 'search', caller: alice, args: { q: 'x' } };
    await hook(info, async () => ({ content: [] }));
    await hook(info, async () => ({ isError: true, content: [] }));
    const err = new ProtocolError(ProtocolErrorCode.InvalidParams, 'bad');
    await expect(hook(info, async () => Promise.reject(err))).rejects.toBe(err);
    await expect(hook(info, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(sink.records.map((r) => [r.outcome, r.code])).toEqual([
      ['ok', undefined],
      ['tool_error', undefined],
      ['error', -32602],
      ['error', -32603],
    ]);
    const r = sink.records[0]!;
    expect(r).toMatchObject({ identity: 'alice', kind: 'key', session: 'abcd', server: 'gh', name: 'search' });
    expect(r.argBytes).toBe(Buffer.byteLength('{"q":"x"}'));
    expect(r.arguments).toBeUndefined();
    expect(new Set(sink.records.map((x) => x.id)).size).toBe(4);
  });

  test('a call without a caller is the local user (stdio)', async () => {
    const sink = memorySink();
    await createCallAuditor({ sink, redact: (t) => t })(
      { method: 'prompts/get', upstream: 's', name: 'p' },
      async () => ({}),
    );
    expect(sink.records[0]).toMatchObject({ identity: 'local', kind: 'local', argBytes: 0 });
    expect(sink.records[0]!.session).toBeUndefined();
  });

  test('arguments, when recorded, have registered secrets, secret-named keys and token-shaped values masked', async () => {
    const redactor = new Redactor();
    redactor.add('registered-secret-value');
    const sink = memorySink();
    const hook = createCallAuditor({ sink, withArguments: true, redact: (t) => redactor.redact(t) });
    const args = {
      text: 'note: registered-secret-value inside',
      password: 'hunter2hunter2',
      nested: { apiKey: 'abc12345', list: ['ghp_abcdefghijklmnopqrstuvwxyz0123'] },
      count: 3,
    };
    await hook({ method: 'tools/call', upstream: 's', name: 't', caller: alice, args }, async () => ({}));
    const recorded = JSON.stringify(sink.records[0]!.arguments);
    for (const secret of [
      'registered-secret-value',
      'hunter2hunter2',
      'abc12345',
      'ghp_abcdefghijklmnopqrstuvwxyz0123',
    ]) {
      expect(recorded).not.toContain(secret);
    }
    expect(sink.records[0]!.arguments).toMatchObject({
      count: 3,
      text: expect.stringMatching(/^note: re\*{4}ue inside$/),
    });
    // The size is of what was sent, not of the masked copy.
    expect(sink.records[0]!.argBytes).toBe(Buffer.byteLength(JSON.stringify(args)));
    // The caller's own object is left as it was.
    expect(args.password).toBe('hunter2hunter2');
  });

  test('maskArguments leaves plain values alone', () => {
    expect(maskArguments({ path: '/tmp/x', n: 1, ok: true, words: ['a', 'b'] }, (t) => t)).toEqual({
      path: '/tmp/x',
      n: 1,
      ok: true,
      words: ['a', 'b'],
    });
  });

  test('metrics labels: named identities by id, OIDC subjects in one series unless listed', async () => {
    const seen: [string, boolean][] = [];
    const metrics = { ...noopMetrics, observeIdentityCall: (id: string, ok: boolean) => void seen.push([id, ok]) };
    const hook = createCallAuditor({ redact: (t) => t, metrics, label: identityLabel(new Set(['oidc-listed'])) });
    const call = (id: string, kind: 'key' | 'oidc') =>
      hook(
        { method: 'tools/call', upstream: 's', name: 't', caller: { identity: { id, kind, roles: [] } } },
        async () => ({
          isError: kind === 'oidc',
        }),
      );
    await call('alice', 'key');
    await call('sub-123', 'oidc');
    await call('sub-456', 'oidc');
    await call('oidc-listed', 'oidc');
    expect(seen).toEqual([
      ['alice', true],
      ['oidc', false],
      ['oidc', false],
      ['oidc-listed', false],
    ]);
  });
});
