/**
 * Listing an upstream entry by entry: a real server process (the paged fixture, every list in pages of
 * two) whose lists carry entries no client could use (its SDK would reject the whole list). Those are left
 * out one by one, each named in a warning; the rest of the server's list, across every page, is kept.
 */
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterEach, describe, expect, it } from 'vitest';
import { listAll } from '../../src/upstream/listings.js';
import { NODE, PAGED } from '../helpers/paths.js';

let client: Client | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
});

async function connect(env: Record<string, string>): Promise<Client> {
  client = new Client({ name: 'listings-test', version: '1' });
  const transport = new StdioClientTransport({ command: NODE, args: [PAGED], env: { ...process.env, ...env } as any });
  await client.connect(transport);
  return client;
}

describe('listAll', () => {
  it('keeps every usable entry across pages and leaves out, with a warning each, the ones that are not', async () => {
    const c = await connect({ PAGED_TOOLS: '5', PAGED_BAD: 'entries' });
    const warnings: string[] = [];
    const catalog = await listAll(c, 5000, { warn: (m) => warnings.push(m) });
    expect(catalog.tools.map((t) => t.name)).toEqual([
      'paged_tool_0',
      'no_schema',
      ...[1, 2, 3, 4].map((i) => `paged_tool_${i}`),
      'untyped',
    ]);
    expect(catalog.prompts.map((p) => p.name)).toEqual(['paged_prompt_0', 'paged_prompt_1', 'paged_prompt_2']);
    expect(warnings).toHaveLength(5);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^tools\/list: tool "bad_description" left out: description: Invalid input: expected string/,
        ),
        expect.stringMatching(/^tools\/list: tool #\d+ left out: name: Invalid input: expected string/),
        expect.stringMatching(/^tools\/list: tool #\d+ left out: not an object$/),
        expect.stringMatching(/^prompts\/list: prompt #\d+ left out: name: Invalid input: expected string/),
        'tools/list: 2 tools mended so clients accept them: "no_schema" (no inputSchema: takes no arguments), "untyped" (description: null dropped, inputSchema.type "object" added, inputSchema.required: null dropped, annotations.title: null dropped)',
      ]),
    );
    // What servers commonly get wrong is mended the way the spec reads it; the rest goes on as it came.
    expect(catalog.tools.find((t) => t.name === 'no_schema')?.inputSchema).toEqual({ type: 'object' });
    expect(catalog.tools.find((t) => t.name === 'untyped')).toEqual({
      name: 'untyped',
      inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
      annotations: { readOnlyHint: true },
    });
    // A good entry goes on as the SDK's schema reads it (here: as it came).
    expect(catalog.tools[0]).toEqual({
      name: 'paged_tool_0',
      description: 'Paged tool 0',
      inputSchema: { type: 'object', properties: {} },
    });
  });

  it('lists only what the server announces (no resources here) and nothing is said for a clean list', async () => {
    const c = await connect({ PAGED_TOOLS: '3' });
    const warnings: string[] = [];
    const catalog = await listAll(c, 5000, { warn: (m) => warnings.push(m) });
    expect(catalog.tools).toHaveLength(3);
    expect(catalog.resources).toEqual([]);
    expect(catalog.resourceTemplates).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('a list that is null (what Go writes for an empty slice) is an empty list, said once', async () => {
    const c = await connect({ PAGED_TOOLS: '2', PAGED_BAD: 'nulllist' });
    const warnings: string[] = [];
    const catalog = await listAll(c, 5000, { warn: (m) => warnings.push(m) });
    expect(catalog.tools).toHaveLength(2);
    expect(catalog.prompts).toEqual([]);
    expect(warnings).toEqual(['prompts/list: "prompts": null read as an empty list']);
  });

  it('a result that is not a list at all fails the listing, naming what is missing', async () => {
    const c = await connect({ PAGED_BAD: 'nolist' });
    await expect(listAll(c, 5000)).rejects.toThrow('prompts/list: the result has no prompts list');
  });
});
