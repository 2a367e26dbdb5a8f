/**
 * Where a server-to-client request of an upstream goes: to the one call it can be attributed to. A
 * 2026-07-28 caller's paused call takes it as an input round only when that request declared the
 * capability it needs; otherwise the upstream is refused and the caller's call goes on (an upstream
 * may ask for roots on its own, at its start, while a call happens to be in flight).
 */
import { ProtocolErrorCode } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { type CallOrigin, newSession, SessionRouter } from '../../src/aggregator/sessions.js';
import { createLogger } from '../../src/observability/logger.js';

function modernCall(clientCapabilities: Record<string, unknown> | undefined) {
  const router = new SessionRouter(createLogger({ level: 'silent', format: 'json' }));
  const session = newSession(1, {} as never, 'modern', false);
  router.register(session);
  const asked: string[] = [];
  const origin: CallOrigin = {
    session,
    requestId: 7,
    clientCapabilities,
    ask: async (method) => {
      asked.push(method);
      return { roots: [] };
    },
  };
  const end = router.begin('up', origin);
  return { router, asked, end };
}

describe('server-to-client requests during a 2026-07-28 call', () => {
  it('an upstream asking for roots the caller did not declare is refused; nothing reaches the caller', async () => {
    const { router, asked } = modernCall({ sampling: {} });
    const refused = router.request('up', 'roots/list', {}, new AbortController().signal, undefined);
    await expect(refused).rejects.toMatchObject({ code: ProtocolErrorCode.MethodNotFound });
    await expect(refused).rejects.toThrow(/did not declare roots/);
    expect(asked).toEqual([]);
  });

  it('checked as an input_required result is: sampling with tools needs sampling.tools declared', async () => {
    const { router, asked } = modernCall({ sampling: {} });
    const withTools = { messages: [], maxTokens: 1, tools: [] };
    const refused = router.request('up', 'sampling/createMessage', withTools, new AbortController().signal, undefined);
    await expect(refused).rejects.toMatchObject({ code: ProtocolErrorCode.MethodNotFound });
    expect(asked).toEqual([]);
  });

  it('what the caller declared becomes an input round of its call', async () => {
    const { router, asked } = modernCall({ roots: {}, sampling: {} });
    await expect(router.request('up', 'roots/list', {}, new AbortController().signal, undefined)).resolves.toEqual({
      roots: [],
    });
    await router.request('up', 'sampling/createMessage', {}, new AbortController().signal, undefined);
    expect(asked).toEqual(['roots/list', 'sampling/createMessage']);
  });
});
