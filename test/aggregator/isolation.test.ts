/**
 * Isolation as a property: 8 client sessions (2025-11-25 Streamable HTTP from the v1 and v2 SDKs,
 * legacy HTTP+SSE, and 2026-07-28 stateless) call, concurrently and several hundred times, upstream
 * tools that report progress, log, elicit and sample, each message tagged with the caller. Every
 * message must reach exactly the session whose call caused it: over a Streamable HTTP upstream (the
 * related request's stream says whose it is) and a stdio upstream with isolation "session" every
 * call completes; over a shared stdio upstream with several sessions in flight the proxy cannot
 * tell, and refuses rather than guess. The built proxy, real upstream processes, real sockets.
 */
import { Client } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Kind, startTaggedProxy, type TaggedSetup, v2Era, v2Transport } from '../helpers/tagged.js';

const N = 8;
const CALLS_PER_SESSION = 40;
const STEPS = 3;

let setup: TaggedSetup;
let url = '';
const stderr = () => setup.proxy.stderr();

beforeAll(async () => {
  setup = await startTaggedProxy('isolation', (web, tagged) => {
    const stdio = { ...tagged, protocol: '2025-11-25' };
    return {
      web: { url: web, protocol: '2025-11-25' },
      own: { ...stdio, isolation: 'session' },
      shared: stdio,
      modern: { ...stdio, protocol: '2026-07-28' },
    };
  });
  url = setup.proxy.url;
}, 60_000);

afterAll(() => setup?.stop());

/** What one client session saw: every tagged message that reached it. */
interface Seen {
  name: string;
  elicited: string[];
  sampled: string[];
  logs: string[];
  progress: string[];
}

interface Tester {
  seen: Seen;
  call(server: string, tag: string): Promise<{ text?: string; error?: string }>;
  close(): Promise<void>;
}

async function connect(kind: Kind, name: string): Promise<Tester> {
  const seen: Seen = { name, elicited: [], sampled: [], logs: [], progress: [] };
  // The v2 SDK client reports its own input_required rounds as progress ("Fulfilling input required
  // ..."): local, not relayed, and not tagged.
  const onprogress = (p: any) => {
    if (/#\d+:p\d+$/.test(p.message)) seen.progress.push(p.message);
  };
  const elicit = async (req: any) => {
    seen.elicited.push(req.params.message);
    return { action: 'accept', content: { who: name } };
  };
  const sample = async (req: any) => {
    seen.sampled.push(req.params.messages[0].content.text);
    return { role: 'assistant', model: 'm', content: { type: 'text', text: name } };
  };
  const log = (n: any) => {
    seen.logs.push(String(n.params.data));
  };
  const capabilities = { sampling: {}, elicitation: { form: {} } };
  if (kind === 'v1-http') {
    const client = new V1Client({ name, version: '1' }, { capabilities });
    client.setRequestHandler(ElicitRequestSchema, elicit as any);
    client.setRequestHandler(CreateMessageRequestSchema, sample as any);
    client.setNotificationHandler(LoggingMessageNotificationSchema, log);
    const transport = new V1StreamableHTTPClientTransport(new URL(url));
    await client.connect(transport);
    return {
      seen,
      call: (server, tag) =>
        settle(
          client.callTool({ name: `${server}__roundtrip`, arguments: { tag, steps: STEPS } }, undefined, {
            onprogress,
            timeout: 20_000,
          }),
        ),
      close: async () => {
        await transport.terminateSession().catch(() => {});
        await client.close();
      },
    };
  }
  const client = new Client({ name, version: '1' }, { capabilities, ...v2Era(kind) });
  client.setRequestHandler('elicitation/create', elicit as any);
  client.setRequestHandler('sampling/createMessage', sample as any);
  client.setNotificationHandler('notifications/message', log);
  await client.connect(v2Transport(kind, url));
  return {
    seen,
    call: (server, tag) =>
      settle(
        client.callTool(
          { name: `${server}__roundtrip`, arguments: { tag, steps: STEPS } },
          { onprogress, timeout: 20_000 },
        ),
      ),
    close: () => client.close(),
  };
}

async function settle(p: Promise<unknown>): Promise<{ text?: string; error?: string }> {
  try {
    const r = (await p) as { content: { text: string }[]; isError?: boolean };
    return r.isError ? { error: r.content[0]?.text } : { text: r.content[0].text };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const KINDS: Kind[] = ['v2-http', 'v2-http', 'v2-http', 'v1-http', 'v1-http', 'v2-sse', 'v2-sse', 'v2-http'];

/** Runs `calls` per session, 4 at a time per session, all sessions at once. */
async function hammer(testers: Tester[], server: (i: number) => string) {
  const results: { owner: string; tag: string; server: string; text?: string; error?: string }[] = [];
  await Promise.all(
    testers.map(async (t) => {
      let next = 0;
      const worker = async () => {
        while (next < CALLS_PER_SESSION) {
          const i = next++;
          const tag = `${t.seen.name}#${i}`;
          const s = server(i);
          results.push({ owner: t.seen.name, tag, server: s, ...(await t.call(s, tag)) });
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
    }),
  );
  return results;
}

/** No message reached a session other than the one whose call it belongs to. */
function expectNothingCrossed(testers: Tester[]) {
  for (const t of testers) {
    const own = (m: string) => m.startsWith(`${t.seen.name}#`);
    const foreign = [...t.seen.elicited, ...t.seen.sampled, ...t.seen.logs, ...t.seen.progress].filter((m) => !own(m));
    expect(foreign, `messages of other sessions reached ${t.seen.name}`).toEqual([]);
  }
}

describe('every message reaches exactly the session whose call caused it', () => {
  test(`${N} concurrent sessions, ${N * CALLS_PER_SESSION} calls over a Streamable HTTP upstream and a per-session stdio upstream`, async () => {
    const testers = await Promise.all(KINDS.map((k, i) => connect(k, `c${i}-${k}`)));
    try {
      const results = await hammer(testers, (i) => (i % 2 ? 'own' : 'web'));
      expectNothingCrossed(testers);
      for (const r of results) {
        expect(r.error, `${r.tag} on ${r.server}`).toBeUndefined();
        // Both questions were answered by the caller itself.
        expect(r.text).toBe(`${r.tag}|e:${r.owner}|s:${r.owner}`);
      }
      for (const t of testers) {
        const tags = results.filter((r) => r.owner === t.seen.name).map((r) => r.tag);
        expect([...t.seen.elicited].sort()).toEqual([...tags].sort());
        expect([...t.seen.sampled].sort()).toEqual([...tags].sort());
        // Every log and progress message of every call arrived, once.
        const expected = tags.flatMap((tag) => Array.from({ length: STEPS }, (_, k) => `${tag}:l${k + 1}`)).sort();
        expect([...t.seen.logs].sort()).toEqual(expected);
        expect([...t.seen.progress].sort()).toEqual(expected.map((m) => m.replace(/:l(\d+)$/, ':p$1')));
      }
    } finally {
      await Promise.all(testers.map((t) => t.close()));
    }
  }, 180_000);

  test('a shared stdio upstream with calls from several sessions in flight refuses what it cannot attribute', async () => {
    const testers = await Promise.all(KINDS.slice(0, 4).map((k, i) => connect(k, `s${i}-${k}`)));
    try {
      const results = await hammer(testers, () => 'shared');
      expectNothingCrossed(testers);
      for (const r of results) {
        // Answered by its own caller, or refused with the reason: never answered by another session.
        if (r.error === undefined) expect(r.text).toBe(`${r.tag}|e:${r.owner}|s:${r.owner}`);
        else expect(r.error).toMatch(/cannot tell which one|isolation/);
      }
      expect(results.some((r) => r.error !== undefined)).toBe(true);
      expect(stderr()).toContain('"isolation": "session"');
    } finally {
      await Promise.all(testers.map((t) => t.close()));
    }
  }, 180_000);

  test('2026-07-28 and 2025-11-25 clients together on a 2026-07-28 upstream (input_required rounds)', async () => {
    const kinds: Kind[] = ['v2-2026', 'v2-2026', 'v2-2026', 'v2-2026', 'v2-http', 'v1-http', 'v2-sse', 'v2-http'];
    const testers = await Promise.all(kinds.map((k, i) => connect(k, `m${i}-${k}`)));
    try {
      const results = await hammer(testers, () => 'modern');
      expectNothingCrossed(testers);
      for (const r of results) {
        expect(r.error, `${r.tag}`).toBeUndefined();
        expect(r.text).toBe(`${r.tag}|e:${r.owner}|s:${r.owner}`);
      }
      for (const t of testers) {
        const tags = results.filter((r) => r.owner === t.seen.name).map((r) => r.tag);
        expect([...t.seen.elicited].sort()).toEqual([...tags].sort());
        const expected = tags.flatMap((tag) => Array.from({ length: STEPS }, (_, k) => `${tag}:p${k + 1}`)).sort();
        expect([...t.seen.progress].sort()).toEqual(expected);
      }
    } finally {
      await Promise.all(testers.map((t) => t.close()));
    }
  }, 180_000);

  test('a 2026-07-28 client calling a tool that pushes 2025-style requests gets them as input_required rounds', async () => {
    const t = await connect('v2-2026', 'stateless');
    try {
      const r = await t.call('web', 'stateless#0');
      expect(r.error).toBeUndefined();
      expect(r.text).toBe('stateless#0|e:stateless|s:stateless');
      expect(t.seen.elicited).toEqual(['stateless#0']);
      expect(t.seen.sampled).toEqual(['stateless#0']);
    } finally {
      await t.close();
    }
  }, 60_000);

  test('one session with calls in flight on the shared upstream gets everything', async () => {
    const [t] = await Promise.all([connect('v2-http', 'lone')]);
    try {
      for (let i = 0; i < 5; i++) {
        const r = await t.call('shared', `lone#${i}`);
        expect(r.text).toBe(`lone#${i}|e:lone|s:lone`);
      }
      expect(t.seen.logs).toHaveLength(5 * STEPS);
    } finally {
      await t.close();
    }
  }, 60_000);
});
