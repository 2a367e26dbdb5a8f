import { parseJSONRPCMessage } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { isInitialize, toJsonRpcMessage } from '../../src/protocol/jsonrpc.js';

/** Valid and invalid messages: the proxy's check must agree with the SDK's union parse on each. */
const VALID: unknown[] = [
  { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'a', arguments: { x: 1 } } },
  { jsonrpc: '2.0', id: 'r-1', method: 'ping' },
  { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { _meta: { progressToken: 'p' } } },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 2 } },
  { jsonrpc: '2.0', id: 1, result: {} },
  { jsonrpc: '2.0', id: 1, result: { content: [], _meta: { x: 1 } } },
  { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found' } },
  { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error', data: 'x' } },
  // Requests the key-and-type check takes without the schema, and ones it leaves to the schema.
  { jsonrpc: '2.0', id: 0, method: 'x', params: {} },
  { jsonrpc: '2.0', id: '', method: '', params: { _meta: {} } },
  { jsonrpc: '2.0', id: 9007199254740991, method: 'x', params: { _meta: { progressToken: -3 } } },
  { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: 1, custom: { a: 1 } } } },
  {
    jsonrpc: '2.0',
    id: 1,
    method: 'x',
    params: { _meta: { 'io.modelcontextprotocol/related-task': { taskId: 't' } } },
  },
];
const INVALID: unknown[] = [
  null,
  [],
  'ping',
  { jsonrpc: '1.0', id: 1, method: 'ping' },
  { jsonrpc: '2.0', id: 1.5, method: 'ping' },
  { jsonrpc: '2.0', id: null, method: 'ping' },
  { jsonrpc: '2.0', id: 1, method: 7 },
  { jsonrpc: '2.0', id: 1, method: 'ping', extra: true },
  { jsonrpc: '2.0', method: 'x', params: 'not an object' },
  { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: {} } } },
  { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: 1.5 } } },
  { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: [] } },
  { jsonrpc: '2.0', id: 1, method: 'x', params: [] },
  { jsonrpc: '2.0', id: 2 ** 53, method: 'x' },
  { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { 'io.modelcontextprotocol/related-task': { taskId: 1 } } } },
  { jsonrpc: '2.0', id: 1, method: 'ping', result: {} },
  { jsonrpc: '2.0', id: 1, result: 'ok' },
  { jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'm' } },
  { jsonrpc: '2.0', id: 1 },
  { jsonrpc: '2.0' },
];

describe('JSON-RPC message check', () => {
  it.each(VALID.map((c) => [JSON.stringify(c), c]))('accepts %s, as the SDK does', (_label, value) => {
    expect(() => parseJSONRPCMessage(value)).not.toThrow();
    expect(toJsonRpcMessage(value)).toBe(value);
  });

  it.each(INVALID.map((c) => [JSON.stringify(c), c]))('refuses %s, as the SDK does', (_label, value) => {
    expect(() => parseJSONRPCMessage(value)).toThrow();
    expect(() => toJsonRpcMessage(value)).toThrow(/not a JSON-RPC 2.0/);
  });

  it('recognises initialize by its method', () => {
    expect(isInitialize({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} })).toBe(true);
    expect(isInitialize({ jsonrpc: '2.0', id: 1, method: 'ping' })).toBe(false);
    expect(isInitialize(null)).toBe(false);
    expect(isInitialize('initialize')).toBe(false);
  });
});
