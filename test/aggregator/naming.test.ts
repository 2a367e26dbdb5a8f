import { describe, expect, it } from 'vitest';
import {
  MAX_NAME_LENGTH,
  mapUris,
  prefixFor,
  publicName,
  publicUri,
  shorten,
  splitPublicUri,
  uriToPublic,
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

describe('URIs inside what an upstream sends', () => {
  const toPublic = uriToPublic('app');

  it("maps a tool's MCP Apps _meta keys and leaves the rest of the tool alone", () => {
    const tool = {
      name: 'get-time',
      inputSchema: { type: 'object', properties: { uri: { type: 'string', default: 'ui://x' } } },
      _meta: {
        ui: { resourceUri: 'ui://t/app.html', visibility: ['app'] },
        'ui/resourceUri': 'ui://t/app.html',
        other: 'ui://t',
      },
    };
    const out = mapUris(tool, toPublic);
    expect(out._meta).toEqual({
      ui: { resourceUri: 'app+ui://t/app.html', visibility: ['app'] },
      'ui/resourceUri': 'app+ui://t/app.html',
      other: 'ui://t',
    });
    expect(out.inputSchema).toBe(tool.inputSchema);
    expect(tool._meta.ui.resourceUri).toBe('ui://t/app.html');
  });

  it('maps resource_link and embedded resources in results and prompt messages, not text or structured data', () => {
    const result = {
      content: [
        { type: 'text', text: 'see ui://t/app.html' },
        { type: 'resource_link', uri: 'file:///a', name: 'a' },
        {
          type: 'resource',
          resource: { uri: 'ui://t/app.html', text: '<html>', _meta: { ui: { prefersBorder: true } } },
        },
      ],
      structuredContent: { uri: 'file:///kept' },
      _meta: { ui: { resourceUri: 'ui://t/app.html' } },
    };
    expect(mapUris(result, toPublic)).toEqual({
      content: [
        { type: 'text', text: 'see ui://t/app.html' },
        { type: 'resource_link', uri: 'app+file:///a', name: 'a' },
        {
          type: 'resource',
          resource: { uri: 'app+ui://t/app.html', text: '<html>', _meta: { ui: { prefersBorder: true } } },
        },
      ],
      structuredContent: { uri: 'file:///kept' },
      _meta: { ui: { resourceUri: 'app+ui://t/app.html' } },
    });
    const prompt = {
      messages: [{ role: 'user', content: { type: 'resource_link', uri: 'ui://t/app.html', name: 'x' } }],
    };
    expect(mapUris(prompt, toPublic).messages[0].content.uri).toBe('app+ui://t/app.html');
    expect(mapUris({ contents: [{ uri: 'ui://t/app.html', text: 'x' }] }, toPublic).contents[0].uri).toBe(
      'app+ui://t/app.html',
    );
  });

  it('returns the value itself for an unprefixed server or when nothing names a URI', () => {
    const result = { content: [{ type: 'resource_link', uri: 'file:///a', name: 'a' }] };
    expect(mapUris(result, uriToPublic(''))).toBe(result);
    const plain = { content: [{ type: 'text', text: 'x' }] };
    expect(mapUris(plain, toPublic)).toBe(plain);
  });
});
