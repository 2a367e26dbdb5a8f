import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { AppError, errorMessage } from '../src/errors.js';
import { describeConnectError } from '../src/upstream/errors.js';

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('errorMessage', () => {
  it('says what a fetch failure was, not only "fetch failed"', async () => {
    const port = await closedPort();
    const e = await fetch(`http://127.0.0.1:${port}/mcp`).catch((x: unknown) => x);
    expect((e as Error).message).toBe('fetch failed');
    expect(errorMessage(e)).toBe(`fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it("adds the cause's code when its message lacks it, and takes a first error of an aggregate", () => {
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(errorMessage(new TypeError('fetch failed', { cause: tls }))).toBe(
      'fetch failed: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)',
    );
    const both = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:9')], ''), {
      code: 'ECONNREFUSED',
    });
    expect(errorMessage(new TypeError('fetch failed', { cause: both }))).toBe(
      'fetch failed: connect ECONNREFUSED ::1:9',
    );
  });

  it('leaves every other message as it is, a cause included', () => {
    expect(errorMessage(new Error('boom', { cause: new Error('inner') }))).toBe('boom');
    expect(errorMessage(new AppError('CONFIG_UNREADABLE', 'cannot read x'))).toBe('cannot read x');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(new TypeError('fetch failed'))).toBe('fetch failed');
  });
});

describe('describeConnectError', () => {
  it('tells how to trust a certificate from your own CA', () => {
    const tls = Object.assign(new Error('unable to verify the first certificate'), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    expect(describeConnectError(new TypeError('fetch failed', { cause: tls }), 'remote')).toBe(
      "fetch failed: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE); a server whose certificate comes from your own CA needs NODE_EXTRA_CA_CERTS=/path/to/ca.pem in the proxy's environment",
    );
  });
});
