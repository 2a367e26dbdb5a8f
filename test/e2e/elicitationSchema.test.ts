/**
 * A client's answer to a server's elicitation is checked against the schema the server asked with, by the
 * built proxy's SDK Server: its JSON Schema validator (AJV) loads on that first use (scripts/build.mjs,
 * lazy-validator), not at start-up. An answer that does not match never reaches the server as accepted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { ECHO } from '../helpers/paths.js';
import { connectProxy, type ProxySession, text } from '../helpers/proxy.js';

let session: ProxySession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

async function askWith(content: Record<string, unknown>): Promise<{ text: string; isError?: boolean }> {
  const config = writeConfig(tmpDir(), { mcpServers: { echo: { command: 'node', args: [ECHO] } } });
  session = await connectProxy('v2-2025', config, {
    capabilities: { elicitation: { form: {} } },
    setup: (client) => client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content })),
  });
  const r = await session.client
    .callTool({ name: 'echo__ask_elicit', arguments: {} })
    .catch((e: Error) => ({ isError: true, content: [{ type: 'text', text: e.message }] }));
  return { text: text(r), isError: r.isError };
}

describe('elicitation answers checked against the requested schema', () => {
  it('an answer that matches reaches the server', { timeout: 60_000 }, async () => {
    expect((await askWith({ name: 'Ada' })).text).toBe('elicited: accept {"name":"Ada"}');
  });

  it('an answer that does not match is refused with the validator’s reason', { timeout: 60_000 }, async () => {
    const r = await askWith({ name: 42 });
    expect(r.text).not.toContain('elicited: accept');
    expect(r.text).toMatch(/does not match requested schema.*name.*string/s);
  });
});
