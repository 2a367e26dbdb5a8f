import { describe, expect, test } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { assertSafeBind } from '../../src/frontends/http/security.js';
import { startHttpFrontend } from '../../src/frontends/http/start.js';
import { sampleServerFactory } from '../fixtures/sample-server-factory.js';
import { startTestFrontend } from './helpers.js';

describe('binding', () => {
  test('assertSafeBind refuses a non-loopback bind without tokens unless allowed', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2'])
      expect(() => assertSafeBind(host, [])).not.toThrow();
    let err: unknown;
    try {
      assertSafeBind('0.0.0.0', []);
    } catch (e) {
      err = e;
    }
    expect(isAppError(err) && err.code).toBe('HTTP_UNSAFE_BIND');
    expect(isAppError(err) && err.exitCode).toBe(2);
    expect(() => assertSafeBind('0.0.0.0', ['t0ken'])).not.toThrow();
    expect(() => assertSafeBind('192.168.1.5', [], true)).not.toThrow();
  });

  test('startHttpFrontend refuses 0.0.0.0 without a token, and reports a taken port as HTTP_LISTEN', async () => {
    await expect(
      startHttpFrontend({
        host: '0.0.0.0',
        port: 0,
        serverFactory: sampleServerFactory(),
        status: () => ({ ready: true, upstreams: [] }),
      }),
    ).rejects.toMatchObject({ code: 'HTTP_UNSAFE_BIND' });
    const fe = await startTestFrontend();
    try {
      expect(fe.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const err = await startTestFrontend({ port: fe.port }).catch((e) => e);
      expect(err.code).toBe('HTTP_LISTEN');
      expect(err.message).toContain(String(fe.port));
    } finally {
      await fe.close();
    }
  });
});
