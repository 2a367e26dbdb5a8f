/**
 * Per-address limits behind a load balancer, over real HTTP: X-Forwarded-For names the client only when
 * the socket's peer is a trusted proxy, and then only its right-most untrusted entry counts (what the
 * client itself wrote to the left of it cannot move it into another budget). From any other peer the
 * header is ignored. 127.0.0.2 is a second loopback address, so one test can be two peers.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import type { HttpFrontend } from '../../src/frontends/http/start.js';
import { INIT_BODY, MCP_HEADERS, startTestFrontend } from './helpers.js';

const TRUSTED = '127.0.0.1';
const UNTRUSTED = '127.0.0.2';

function send(
  url: string,
  from: string,
  forwardedFor: string | undefined,
  init?: { method: string; headers: Record<string, string>; body: string },
): Promise<number> {
  const headers: Record<string, string> = { ...init?.headers };
  if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: init?.method ?? 'GET', headers, localAddress: from, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(init?.body);
  });
}

const open = { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify(INIT_BODY) };

let fe: HttpFrontend | undefined;
afterEach(async () => {
  await fe?.close();
  fe = undefined;
});

/** A frontend on 127.0.0.1 whose rate limit lets one request per address through. */
async function oneRequestPerAddress(trustedProxies?: string[]) {
  fe = await startTestFrontend({ rateLimit: { windowMs: 60_000, max: 1 }, trustedProxies });
  return `${fe.baseUrl}/ready`;
}

describe('the per-address rate limit', () => {
  test('without trusted proxies a forged X-Forwarded-For is ignored: one budget per socket address', async () => {
    const url = await oneRequestPerAddress();
    expect(await send(url, TRUSTED, '203.0.113.1')).toBe(200);
    expect(await send(url, TRUSTED, '203.0.113.2')).toBe(429);
  });

  test('from a trusted proxy each forwarded client has its own budget', async () => {
    const url = await oneRequestPerAddress([TRUSTED]);
    expect(await send(url, TRUSTED, '203.0.113.1')).toBe(200);
    expect(await send(url, TRUSTED, '203.0.113.2')).toBe(200);
    expect(await send(url, TRUSTED, '203.0.113.1')).toBe(429);
    expect(await send(url, TRUSTED, '203.0.113.2')).toBe(429);
  });

  test('from a peer that is not trusted the header is ignored, even when others are trusted', async () => {
    const url = await oneRequestPerAddress([TRUSTED]);
    expect(await send(url, UNTRUSTED, '203.0.113.3')).toBe(200);
    expect(await send(url, UNTRUSTED, '203.0.113.4')).toBe(429);
  });

  test('the right-most untrusted hop counts: entries the client wrote before it change nothing', async () => {
    // 10.1.2.3 is a second, inner trusted proxy; 203.0.113.9 is the client; what lies left of it is forged.
    const url = await oneRequestPerAddress(['127.0.0.0/31', '10.0.0.0/8']);
    expect(await send(url, TRUSTED, '198.51.100.1, 203.0.113.9, 10.1.2.3')).toBe(200);
    expect(await send(url, TRUSTED, '198.51.100.2, 203.0.113.9,10.1.2.3')).toBe(429);
    expect(await send(url, TRUSTED, '203.0.113.10')).toBe(200);
  });

  test('a garbage header counts on the proxy that sent it, and IPv6 clients are told apart', async () => {
    const url = await oneRequestPerAddress([TRUSTED]);
    expect(await send(url, TRUSTED, 'not-an-address')).toBe(200);
    expect(await send(url, TRUSTED, undefined)).toBe(429);
    expect(await send(url, TRUSTED, '2001:db8::1')).toBe(200);
    expect(await send(url, TRUSTED, '2001:db8::2')).toBe(200);
    // An IPv4-mapped IPv6 address is its IPv4 address.
    expect(await send(url, TRUSTED, '::ffff:203.0.113.50')).toBe(200);
    expect(await send(url, TRUSTED, '203.0.113.50')).toBe(429);
  });
});

describe('open sessions per client', () => {
  test('count the forwarded client behind a trusted proxy, the socket address otherwise', async () => {
    fe = await startTestFrontend({ maxSessionsPerClient: 1, trustedProxies: [TRUSTED] });
    expect(await send(fe.url, TRUSTED, '203.0.113.1', open)).toBe(200);
    expect(await send(fe.url, TRUSTED, '203.0.113.2', open)).toBe(200);
    expect(await send(fe.url, TRUSTED, '203.0.113.1', open)).toBe(429);
    expect(await send(fe.url, UNTRUSTED, '203.0.113.3', open)).toBe(200);
    expect(await send(fe.url, UNTRUSTED, '203.0.113.4', open)).toBe(429);
    expect(fe.app.sessionCount()).toBe(3);
  });
});
