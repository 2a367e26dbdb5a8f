/**
 * Cancellation as a property over concurrent sessions: 8 client sessions of four kinds (2025-11-25
 * Streamable HTTP from the v1 and v2 SDKs, legacy HTTP+SSE, 2026-07-28 stateless) each start calls at
 * once on the same upstream and cancel some of them while the upstream runs them. The upstream must see
 * exactly those calls cancelled: each caller's cancellation reaches its own call and no other session's;
 * every call not cancelled ends with its own answer. Over a shared Streamable HTTP upstream and a shared stdio
 * upstream (the relay's fast lane maps the ids). The built proxy, real upstream processes, real sockets.
 */
import { Client } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Kind, startTaggedProxy, type TaggedSetup, v2Era, v2Transport } from '../helpers/tagged.js';
import { until } from '../helpers/wait.js';

const CALLS_PER_SESSION = 6;
/** Longer than any test run: a cancelled call never answers by itself. The calls kept answer soon. */
const CANCELLED_MS = 20_000;
const KEPT_MS = 300;

const KINDS: Kind[] = ['v2-http', 'v1-http', 'v2-sse', 'v2-2026', 'v2-http', 'v1-http', 'v2-sse', 'v2-2026'];

let setup: TaggedSetup;
let url = '';

beforeAll(async () => {
  setup = await startTaggedProxy('cancellation', (web, tagged) => ({
    web: { url: web, protocol: '2025-11-25' },
    shared: { ...tagged, protocol: '2025-11-25' },
  }));
  url = setup.proxy.url;
}, 60_000);

afterAll(() => setup?.stop());

type Call = (name: string, args: Record<string, unknown>, signal?: AbortSignal) => Promise<string>;

async function connect(kind: Kind, name: string): Promise<{ call: Call; close: () => Promise<void> }> {
  const text = (r: unknown) => (r as { content: { text: string }[] }).content[0]?.text ?? '';
  if (kind === 'v1-http') {
    const client = new V1Client({ name, version: '1' });
    const transport = new V1StreamableHTTPClientTransport(new URL(url));
    await client.connect(transport);
    return {
      call: async (tool, args, signal) =>
        text(await client.callTool({ name: tool, arguments: args }, undefined, { signal, timeout: 60_000 })),
      close: async () => {
        await transport.terminateSession().catch(() => {});
        await client.close();
      },
    };
  }
  const client = new Client({ name, version: '1' }, v2Era(kind));
  await client.connect(v2Transport(kind, url));
  return {
    call: async (tool, args, signal) =>
      text(await client.callTool({ name: tool, arguments: args }, { signal, timeout: 60_000 })),
    close: () => client.close(),
  };
}

/** What the upstream saw of the `wait` calls of this test (tags starting with `prefix`). */
async function upstreamSaw(probe: { call: Call }, server: string) {
  const all = JSON.parse(await probe.call(`${server}__cancelled`, {}));
  const mine = (tags: string[]) => tags.filter((t) => t.startsWith(`${server}-`));
  return { started: mine(all.started), cancelled: mine(all.cancelled) };
}

describe('a cancellation reaches exactly the call it was meant for', () => {
  test.each(['web', 'shared'])(
    `${KINDS.length} concurrent sessions of four kinds cancel some of their calls on the %s upstream`,
    async (server) => {
      const sessions = await Promise.all(KINDS.map((k, i) => connect(k, `${server}-c${i}-${k}`)));
      const probe = sessions[0]!;
      try {
        const wanted: string[] = [];
        // Each cancellation is sent once the upstream runs its call: then it must reach that call.
        // (One sent earlier may overtake its request on an HTTP hop; relay.test.ts covers that case.)
        const running = async (tag: string) => {
          await until(async () => (await upstreamSaw(probe, server)).started.includes(tag), 15_000, 25);
        };
        const outcomes = await Promise.all(
          sessions.flatMap((s, i) =>
            Array.from({ length: CALLS_PER_SESSION }, async (_, k) => {
              const tag = `${server}-c${i}#${k}`;
              // A different pattern per session: which of its calls it cancels.
              const cancel = (k + i) % 3 === 0;
              if (cancel) wanted.push(tag);
              const abort = new AbortController();
              if (cancel) void running(tag).then(() => abort.abort('changed my mind'));
              const args = { tag, ms: cancel ? CANCELLED_MS : KEPT_MS };
              try {
                return { tag, cancel, answer: await s.call(`${server}__wait`, args, abort.signal) };
              } catch (e) {
                return { tag, cancel, error: (e as Error).message };
              }
            }),
          ),
        );
        for (const o of outcomes) {
          if (o.cancel) expect(o.answer, `${o.tag} was cancelled by its caller`).toBeUndefined();
          else expect(o.answer, `${o.tag}: ${o.error}`).toBe(o.tag);
        }
        // At the upstream: exactly the cancelled calls were cancelled (none of another session, none kept).
        let seen = await upstreamSaw(probe, server);
        await until(async () => {
          seen = await upstreamSaw(probe, server);
          return seen.cancelled.length >= wanted.length;
        }, 15_000);
        expect([...seen.cancelled].sort()).toEqual([...wanted].sort());
      } finally {
        await Promise.all(sessions.map((s) => s.close()));
      }
    },
    120_000,
  );
});
