/**
 * Shared setup for the dynamic-mode tests: a config with three real npm servers
 * plus the echo fixture, and small helpers for the two meta-tools.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ECHO, EVERYTHING, FILESYSTEM, MEMORY } from '../../helpers/paths.js';
import { text } from '../../helpers/proxy.js';

/** mcpServers for the three real upstreams and the echo fixture; `dir` holds their files. */
export function threeRealUpstreams(dir: string): Record<string, unknown> {
  const files = path.join(dir, 'files');
  mkdirSync(files, { recursive: true });
  writeFileSync(path.join(files, 'hello.txt'), 'hello from the filesystem server');
  return {
    everything: { command: 'node', args: [EVERYTHING, 'stdio'] },
    memory: {
      command: 'node',
      args: [MEMORY],
      env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') },
      description: 'Knowledge graph memory: entities, relations, observations',
    },
    filesystem: { command: 'node', args: [FILESYSTEM, files], description: 'Read and write files under one directory' },
    echo: { command: 'node', args: [ECHO], env: { FIXTURE_NAME: 'echo' }, tools: { exclude: ['crash', 'ask_*'] } },
  };
}

export const GROUPS = ['everything', 'memory', 'filesystem', 'echo'];

export interface MetaClient {
  callTool(params: { name: string; arguments?: Record<string, unknown> }, ...rest: unknown[]): Promise<any>;
  listTools(): Promise<{ tools: any[] }>;
}

export async function getTools(client: MetaClient, group: string): Promise<any[]> {
  const r = await client.callTool({ name: 'get_dynamic_tools', arguments: { group } });
  if (r.isError) throw new Error(`get_dynamic_tools(${group}) failed: ${text(r)}`);
  const parsed = JSON.parse(text(r));
  return parsed;
}

export function callDynamic(
  client: MetaClient,
  group: string,
  name: string,
  args?: Record<string, unknown>,
): Promise<any> {
  return client.callTool({
    name: 'call_dynamic_tool',
    arguments: { group, name, ...(args ? { arguments: args } : {}) },
  });
}

/** The `group` enum of a meta-tool in a tools/list result. */
export function groupEnum(tools: any[], name = 'get_dynamic_tools'): string[] | undefined {
  return tools.find((t) => t.name === name)?.inputSchema?.properties?.group?.enum;
}
