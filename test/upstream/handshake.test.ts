import { describe, expect, it } from 'vitest';
import { CLIENT_CAPABILITIES, createClient, declaredFor } from '../../src/upstream/handshake.js';

describe('declaredFor: what the proxy declares upstream for one known client', () => {
  it('declares everything it relays while the client is unknown', () => {
    expect(declaredFor(undefined)).toBe(CLIENT_CAPABILITIES);
  });

  it('declares nothing for a client that declared nothing', () => {
    expect(declaredFor({})).toEqual({});
  });

  it('passes on what the client declared of what the proxy relays, as the client declared it', () => {
    const client = {
      elicitation: { form: {} },
      sampling: { tools: {} },
      roots: {},
      experimental: { anything: {} },
      tasks: { requests: {} },
    };
    expect(declaredFor(client)).toEqual({ elicitation: { form: {} }, sampling: { tools: {} }, roots: {} });
  });

  it('keeps only the extensions the proxy relays whole, and ignores values that are no objects', () => {
    const ui = { mimeTypes: ['text/html;profile=mcp-app'] };
    expect(
      declaredFor({ extensions: { 'io.modelcontextprotocol/ui': ui, 'example.com/other': {} }, roots: true }),
    ).toEqual({ extensions: { 'io.modelcontextprotocol/ui': ui } });
    expect(declaredFor({ extensions: { 'example.com/other': {} } })).toEqual({});
  });

  it('a client declaring nothing still makes a client the SDK accepts (no handler for an undeclared capability)', () => {
    const setup = { name: 's', protocol: undefined, modernOnly: false, onListChanged: () => {} };
    expect(() => createClient({ ...setup, capabilities: declaredFor({}) })).not.toThrow();
    expect(() => createClient({ ...setup, capabilities: declaredFor({ roots: {} }) })).not.toThrow();
  });
});
