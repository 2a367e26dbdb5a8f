/**
 * The embedded example MCP server: what `mcp-proxy run` serves when no config exists anywhere, so a
 * first run works offline. It runs as a child of the proxy's own executable (`__example-server`).
 */
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';
import { VERSION } from '../version.js';

export function buildExampleServer(): McpServer {
  const server = new McpServer(
    { name: 'mcp-proxy-example', version: VERSION },
    {
      instructions:
        'A built-in example server: mcp-proxy serves it when no config file exists. Replace it with your own servers in mcp-proxy.json.',
    },
  );
  server.registerTool(
    'echo',
    { description: 'Echoes the given text back', inputSchema: z.object({ text: z.string().describe('Text to echo') }) },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool(
    'add',
    {
      description: 'Adds two numbers',
      inputSchema: z.object({ a: z.number(), b: z.number() }),
      outputSchema: z.object({ sum: z.number() }),
    },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } }),
  );
  server.registerTool(
    'current_time',
    { description: 'The current time as an ISO 8601 string (UTC)', inputSchema: z.object({}) },
    async () => ({ content: [{ type: 'text', text: new Date().toISOString() }] }),
  );
  server.registerPrompt('getting_started', { description: 'How to put your own MCP servers behind mcp-proxy' }, () => ({
    messages: [
      {
        role: 'user',
        content: {
          type: 'text',
          text: 'Explain how to configure mcp-proxy: create mcp-proxy.json with {"mcpServers": {...}} as in Claude Desktop, then run `mcp-proxy validate` and `mcp-proxy run`.',
        },
      },
    ],
  }));
  server.registerResource(
    'welcome',
    'example://welcome',
    { mimeType: 'text/markdown', description: 'Where a real config goes' },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'text/markdown',
          text: '# mcp-proxy\n\nThis is the built-in example server. Put your servers in `./mcp-proxy.json`, `~/.config/mcp-proxy/config.json`, or pass `--config FILE`.\n',
        },
      ],
    }),
  );
  return server;
}

/** Serves the example server over this process's stdio; resolves when stdin closes. */
export async function runExampleServer(): Promise<void> {
  await new Promise<void>((resolve) => {
    serveStdio(() => buildExampleServer());
    process.stdin.on('close', () => resolve());
    process.stdin.on('end', () => resolve());
  });
}
