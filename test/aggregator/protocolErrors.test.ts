import { SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { toProtocolError } from '../../src/aggregator/protocolErrors.js';

describe('toProtocolError', () => {
  it('an HTTP status from the upstream in a call says the status, its meaning and the body, masked', () => {
    const e = new SdkHttpError(SdkErrorCode.ClientHttpNotImplemented, 'Error POSTing to endpoint: ', {
      status: 401,
      statusText: 'Unauthorized',
      text: 'token sk-live-123 expired',
    });
    const mapped = toProtocolError(e, 'remote', undefined, (t) => t.replaceAll('sk-live-123', '****')) as Error;
    expect(mapped.message).toBe(
      'upstream "remote" failed: HTTP 401 Unauthorized: token **** expired; the server wants credentials: add "oauth": true and run `mcp-proxy auth login remote`, or send a token in "headers"',
    );
  });
});
