/** IP and CIDR entries: what the config accepts, and what a list of them matches. */
import { describe, expect, test } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { addressMatcher, isAddressOrCidr } from '../../src/util/cidr.js';

describe('isAddressOrCidr', () => {
  test.each(['10.0.0.5', '10.0.0.0/8', '0.0.0.0/0', '::1', 'fd00::/8', '::/0', ' 192.168.1.0/24 '])(
    '%s is accepted',
    (e) => expect(isAddressOrCidr(e)).toBe(true),
  );
  test.each(['', 'haproxy', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/x', '10.0.0.256'])(
    '%s is refused',
    (e) => expect(isAddressOrCidr(e)).toBe(false),
  );
});

describe('addressMatcher', () => {
  test('matches addresses and blocks of both families, and nothing that is not an address', () => {
    const m = addressMatcher(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
    expect(['10.255.0.1', '192.168.1.7', 'fd12::1'].map(m)).toEqual([true, true, true]);
    expect(['11.0.0.1', '192.168.1.8', 'fe80::1', 'unknown', ''].map(m)).toEqual([false, false, false, false, false]);
  });

  test('an invalid entry is an error naming it', () => {
    expect(() => addressMatcher(['10.0.0.0/40'])).toThrow('"10.0.0.0/40" is not an IP address or CIDR block');
  });
});

test('proxy.http.trustedProxies: a bad entry is reported at its path with an example', () => {
  const r = ConfigSchema.safeParse({ mcpServers: {}, proxy: { http: { trustedProxies: ['10.0.0.0/8', 'lb.local'] } } });
  expect(r.success).toBe(false);
  const issue = r.error!.issues[0]!;
  expect(issue.path).toEqual(['proxy', 'http', 'trustedProxies', 1]);
  expect(issue.message).toContain('not an IP address or CIDR block');
  expect(ConfigSchema.safeParse({ mcpServers: {}, proxy: { http: { trustedProxies: ['10.0.0.0/8'] } } }).success).toBe(
    true,
  );
});
