import { describe, expect, it } from 'vitest';
import {
  MAX_NAME_LENGTH,
  prefixFor,
  publicName,
  publicUri,
  shorten,
  splitPublicUri,
} from '../../src/aggregator/naming.js';

describe('public names', () => {
  it('prefixes with the server name and the separator by default', () => {
    expect(publicName({ prefix: prefixFor('github', undefined), separator: '__' }, 'create_issue')).toBe(
      'github__create_issue',
    );
  });

  it('uses a configured prefix, or none when prefix is false', () => {
    expect(publicName({ prefix: prefixFor('github', 'gh'), separator: '__' }, 'x')).toBe('gh__x');
    expect(publicName({ prefix: prefixFor('github', false), separator: '__' }, 'x')).toBe('x');
  });

  it('keeps names within 64 characters, deterministically and distinctly', () => {
    const long = 'a'.repeat(80);
    const a = publicName({ prefix: 'server', separator: '__' }, `${long}_one`);
    const b = publicName({ prefix: 'server', separator: '__' }, `${long}_two`);
    expect(a.length).toBe(MAX_NAME_LENGTH);
    expect(b.length).toBe(MAX_NAME_LENGTH);
    expect(a).not.toBe(b);
    expect(publicName({ prefix: 'server', separator: '__' }, `${long}_one`)).toBe(a);
    expect(a.startsWith('server__aaa')).toBe(true);
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('leaves short names alone', () => {
    expect(shorten('short')).toBe('short');
  });
});

describe('resource URIs', () => {
  it('maps reversibly with the prefix', () => {
    const pub = publicUri('fs', 'file:///tmp/a+b.txt');
    expect(pub).toBe('fs+file:///tmp/a+b.txt');
    expect(splitPublicUri(pub, ['fs', 'echo'])).toEqual({ prefix: 'fs', uri: 'file:///tmp/a+b.txt' });
  });

  it('does not claim URIs of unknown prefixes', () => {
    expect(splitPublicUri('other+x://y', ['fs'])).toBeUndefined();
    expect(splitPublicUri('file:///x', ['fs'])).toBeUndefined();
  });
});
