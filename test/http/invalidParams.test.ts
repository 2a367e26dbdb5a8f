/**
 * A 2026-07-28 request naming a prompt or resource without the name or URI it needs gets -32602 saying
 * which field and what was sent (the SDK alone answers -32603 with its raw schema issues); the proxy goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpProxy, startHttpProxy } from '../helpers/httpProxy.js';

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'invalid-params-test', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

let proxy: HttpProxy;
beforeAll(async () => {
  // No config: the built-in example server (a prompt and a resource of its own).
  proxy = await startHttpProxy([], { env: { ...process.env, HOME: '/nonexistent-home', MCP_PROXY_TOKEN: '' } });
}, 30_000);
afterAll(() => proxy?.stop());

async function post(id: number, method: string, params: Record<string, unknown>) {
  const res = await fetch(proxy.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: META } }),
  });
  return { status: res.status, body: (await res.json()) as { id: unknown; error?: { code: number; message: string } } };
}

describe('2026-07-28 requests with a missing or mistyped required field', () => {
  it('prompts/get without a name and resources/read with a number for uri: -32602 naming the field (HTTP 200, as other JSON-RPC errors)', async () => {
    const a = await post(1, 'prompts/get', {});
    expect([a.status, a.body.id, a.body.error]).toEqual([
      200,
      1,
      { code: -32602, message: 'Invalid prompts/get params: "name" must be a string (got missing)' },
    ]);
    const b = await post(2, 'resources/read', { uri: 5 });
    expect([b.status, b.body.id, b.body.error]).toEqual([
      200,
      2,
      { code: -32602, message: 'Invalid resources/read params: "uri" must be a string (got a number)' },
    ]);
    // A well-formed request still works.
    const ok = await post(3, 'prompts/get', { name: 'example__getting_started' });
    expect([ok.status, ok.body.error]).toEqual([200, undefined]);
  });
});
