/**
 * Calls for the audit tests: N concurrent 2025-era sessions (each with its own Mcp-Session-Id), each
 * making a fixed mix of tools/call, prompts/get and resources/read against the echo fixture.
 */
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export interface SessionRun {
  /** The raw session ids (the audit log must never contain them). */
  sessionIds: string[];
  /** Calls made per session, by method. */
  perSession: { 'tools/call': number; 'prompts/get': number; 'resources/read': number; tool_error: number };
}

/** One session's calls; `rounds` of: 3 echo, 1 fail (a tool error), 1 prompts/get, 1 resources/read. */
async function oneSession(url: string, token: string, rounds: number, text: (i: number) => string): Promise<string> {
  const client = new V1Client({ name: 'audit-test', version: '1' });
  const transport = new V1Transport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  const { resources } = await client.listResources();
  const readme = resources.find((r) => r.uri.endsWith('readme'))!.uri;
  for (let i = 0; i < rounds; i++) {
    await Promise.all([
      client.callTool({ name: 'echo__echo', arguments: { text: text(i) } }),
      client.callTool({ name: 'echo__echo', arguments: { text: `b${i}` } }),
      client.callTool({ name: 'echo__echo', arguments: { text: `c${i}` } }),
      client.callTool({ name: 'echo__fail', arguments: {} }),
      client.getPrompt({ name: 'echo__greet', arguments: { who: 'x' } }),
      client.readResource({ uri: readme }),
    ]);
  }
  const id = transport.sessionId!;
  await transport.terminateSession();
  await client.close();
  return id;
}

export async function runSessions(
  url: string,
  token: string,
  o: { sessions: number; rounds: number; text?: (i: number) => string },
): Promise<SessionRun> {
  const text = o.text ?? ((i: number) => `a${i}`);
  const sessionIds = await Promise.all(
    Array.from({ length: o.sessions }, () => oneSession(url, token, o.rounds, text)),
  );
  return {
    sessionIds,
    perSession: {
      'tools/call': 4 * o.rounds,
      'prompts/get': o.rounds,
      'resources/read': o.rounds,
      tool_error: o.rounds,
    },
  };
}
