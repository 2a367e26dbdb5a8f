/**
 * A tiny 2025-era Streamable HTTP MCP server on node:http (raw JSON-RPC, JSON responses, sessions),
 * whose behaviour a test switches at run time: answer normally, answer 500 or 403, drop the socket, or
 * forget every session (the next request with an old id gets 404, as after a server restart).
 */

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** `amnesia`: tools/call answers 400 "No valid session ID provided" (listings still work). */
export type Mode = 'ok' | '500' | '403' | 'drop' | 'amnesia';

export interface HttpUpstream {
  url: string;
  port: number;
  mode: Mode;
  /** initialize requests seen (each one is a new session). */
  initializes: number;
  /** tools/call requests that reached the tool. */
  calls: number;
  forgetSessions(): void;
  /** Stops listening and drops open connections (the server "goes away"). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startHttpUpstream(name = 'web', port = 0): Promise<HttpUpstream> {
  const sessions = new Set<string>();
  const state = { mode: 'ok' as Mode, initializes: 0, calls: 0 };
  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method === 'GET') {
      res.writeHead(405, { allow: 'POST, DELETE' }).end();
      return;
    }
    if (req.method === 'DELETE') {
      sessions.delete(String(req.headers['mcp-session-id']));
      res.writeHead(200).end();
      return;
    }
    let body = '';
    for await (const chunk of req) body += chunk;
    if (state.mode === 'drop') {
      req.socket.destroy();
      return;
    }
    if (state.mode === '403') {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden by policy (on purpose)');
      return;
    }
    if (state.mode === '500') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error (on purpose)');
      return;
    }
    const msg = JSON.parse(body) as { id?: number; method: string; params?: any };
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
    };
    if (msg.method === 'initialize') {
      state.initializes++;
      const id = randomUUID();
      sessions.add(id);
      json(
        200,
        {
          jsonrpc: '2.0',
          id: msg.id,
          result: {
            protocolVersion: msg.params?.protocolVersion ?? '2025-11-25',
            capabilities: { tools: {}, prompts: {} },
            serverInfo: { name, version: '1.0.0' },
          },
        },
        { 'mcp-session-id': id },
      );
      return;
    }
    const sid = req.headers['mcp-session-id'];
    if (msg.method !== 'server/discover' && (!sid || !sessions.has(String(sid)))) {
      json(404, { jsonrpc: '2.0', id: msg.id ?? null, error: { code: -32001, message: 'Session not found' } });
      return;
    }
    if (state.mode === 'amnesia' && msg.method === 'tools/call') {
      json(400, {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32000, message: 'Bad Request: No valid session ID provided' },
      });
      return;
    }
    if (msg.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    const reply = (result: unknown) => json(200, { jsonrpc: '2.0', id: msg.id, result });
    switch (msg.method) {
      case 'ping':
        return reply({});
      case 'tools/list':
        return reply({
          tools: [
            {
              name: 'echo',
              description: 'Echoes text',
              inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
            },
          ],
        });
      case 'tools/call':
        state.calls++;
        if (msg.params?.arguments?.text === 'rpc-error') {
          return json(200, { jsonrpc: '2.0', id: msg.id, error: { code: -32602, message: 'bad text (on purpose)' } });
        }
        return reply({ content: [{ type: 'text', text: String(msg.params?.arguments?.text ?? '') }] });
      case 'prompts/list':
        return reply({ prompts: [{ name: 'greet', description: 'Greets' }] });
      case 'prompts/get':
        return reply({ messages: [{ role: 'user', content: { type: 'text', text: `hello from ${name}` } }] });
      default:
        return json(200, {
          jsonrpc: '2.0',
          id: msg.id,
          error: { code: -32601, message: `Method not found: ${msg.method}` },
        });
    }
  };
  let server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const actualPort = (server.address() as AddressInfo).port;
  const up: HttpUpstream = {
    url: `http://127.0.0.1:${actualPort}/mcp`,
    port: actualPort,
    get mode() {
      return state.mode;
    },
    set mode(m: Mode) {
      state.mode = m;
    },
    get initializes() {
      return state.initializes;
    },
    get calls() {
      return state.calls;
    },
    forgetSessions: () => sessions.clear(),
    async stop() {
      sessions.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
    async restart() {
      server = http.createServer((req, res) => void handler(req, res));
      await new Promise<void>((r) => server.listen(actualPort, '127.0.0.1', r));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return up;
}
