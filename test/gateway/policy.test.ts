/** The access policy as pure functions: who a rule applies to, deny winning, profiles narrowing. */
import { describe, expect, test } from 'vitest';
import type { AccessConfig } from '../../src/config/schema.js';
import { AccessControl } from '../../src/gateway/access.js';
import { ANONYMOUS, type Identity, LOCAL } from '../../src/gateway/identity.js';
import { accessView, compilePolicy, filterListing, globMatcher, type Item } from '../../src/gateway/policy.js';

const key = (name: string, roles: string[] = [], profile?: string): Identity => ({
  id: `key:${name}`,
  kind: 'key',
  roles,
  claims: { name, ...(profile ? { profile } : {}) },
});
const oidc = (sub: string, claims: Record<string, unknown>): Identity => ({
  id: `oidc:${sub}`,
  kind: 'oidc',
  roles: [],
  claims: { sub, ...claims },
});
const tool = (server: string, name: string): Item => ({ kind: 'tool', server, name: `${server}__${name}` });

const ITEMS: Item[] = [
  tool('github', 'search_issues'),
  tool('github', 'delete_repository'),
  tool('memory', 'read_graph'),
  { kind: 'prompt', server: 'memory', name: 'memory__summarize' },
  { kind: 'resource', server: 'docs', name: 'docs+file:///a/b.md' },
];

const ACCESS: AccessConfig = {
  rules: [
    { who: { roles: ['dev'] }, allow: { servers: ['github', 'memory'] }, deny: { tools: ['github__delete_*'] } },
    { who: { keys: ['admin'] }, allow: { servers: ['*'] } },
    { who: { claims: { groups: ['docs-team'] } }, allow: { resources: ['docs+file:///*'] } },
    { who: { scopes: ['memory:read'] }, allow: { tools: ['memory__read_*'] } },
    { who: { kinds: ['token'] }, allow: { servers: ['*'] }, deny: { servers: ['docs'] } },
  ],
};

function visible(identity: Identity, access: AccessConfig | undefined = ACCESS, profiles: string[] = []): string[] {
  const view = accessView(compilePolicy(access), identity, profiles);
  return filterListing(view, ITEMS, (i) => i).map((i) => i.name);
}

describe('policy', () => {
  test('globs: "*" crosses "/" and the separator, "?" is one character, the rest is literal', () => {
    const m = globMatcher(['github__delete_*', 'docs+file:///*', 'a?c', 'x.y']);
    expect(m('github__delete_repository')).toBe(true);
    expect(m('docs+file:///deep/path/x.md')).toBe(true);
    expect(m('abc')).toBe(true);
    expect(m('abbc')).toBe(false);
    expect(m('xzy')).toBe(false);
    expect(m('github__search')).toBe(false);
  });

  test('roles: allowed servers minus a denied tool (deny wins over the allow of the same rule)', () => {
    expect(visible(key('alice', ['dev']))).toEqual([
      'github__search_issues',
      'memory__read_graph',
      'memory__summarize',
    ]);
  });

  test('deny wins over an allow from another rule, whatever the order', () => {
    const both = key('admin', ['dev']);
    expect(visible(both)).not.toContain('github__delete_repository');
    const reversed = { rules: [...(ACCESS.rules ?? [])].reverse() };
    expect(visible(both, reversed)).toEqual(visible(both));
  });

  test('a key name, a groups claim and an OAuth scope each select their rules', () => {
    expect(visible(key('admin'))).toEqual(ITEMS.map((i) => i.name));
    expect(visible(oidc('u1', { groups: ['docs-team', 'x'] }))).toEqual(['docs+file:///a/b.md']);
    expect(visible(oidc('u2', { scope: 'openid memory:read' }))).toEqual(['memory__read_graph']);
    expect(visible(oidc('u3', { scp: ['memory:read'] }))).toEqual(['memory__read_graph']);
    expect(visible(oidc('u4', { groups: 'docs-team' }))).toEqual(['docs+file:///a/b.md']);
  });

  test('default deny: an identity no rule names sees nothing; default allow: all but what is denied', () => {
    expect(visible(key('nobody'))).toEqual([]);
    expect(visible(ANONYMOUS)).toEqual([]);
    const open: AccessConfig = { default: 'allow', rules: [{ deny: { tools: ['*delete*'] } }] };
    expect(visible(key('nobody'), open)).toEqual(ITEMS.map((i) => i.name).filter((n) => !n.includes('delete')));
  });

  test('no access section: everyone sees everything; over stdio (local) rules never apply', () => {
    const none = accessView(compilePolicy(undefined), key('nobody'));
    expect(ITEMS.filter((i) => none.allows(i))).toEqual(ITEMS);
    expect(visible(LOCAL)).toEqual(ITEMS.map((i) => i.name));
  });

  test('profiles narrow (never widen) and apply to the local user too; a missing profile keeps nothing', () => {
    const access: AccessConfig = { ...ACCESS, profiles: { small: { tools: ['*search*', 'memory__*'] } } };
    expect(visible(LOCAL, access, ['small'])).toEqual(['github__search_issues', 'memory__read_graph']);
    expect(visible(key('alice', ['dev']), access, ['small'])).toEqual(['github__search_issues', 'memory__read_graph']);
    expect(visible(key('nobody'), access, ['small'])).toEqual([]);
    expect(visible(LOCAL, access, ['gone'])).toEqual([]);
  });

  test('AccessControl: a key bound to a profile gets it; a reload applies to views already handed out', () => {
    const control = new AccessControl({ ...ACCESS, profiles: { mem: { servers: ['memory'] } } });
    const bound = control.view(key('admin', [], 'mem'));
    const free = control.view(key('admin'));
    expect(ITEMS.filter((i) => bound.allows(i)).map((i) => i.server)).toEqual(['memory', 'memory']);
    expect(ITEMS.filter((i) => free.allows(i))).toHaveLength(ITEMS.length);
    let changed = 0;
    control.on('changed', () => changed++);
    control.update({ rules: [{ who: { keys: ['admin'] }, allow: { servers: ['docs'] } }], profiles: {} });
    expect(changed).toBe(1);
    expect(ITEMS.filter((i) => free.allows(i)).map((i) => i.server)).toEqual(['docs']);
    // Its profile is gone: the bound key sees nothing rather than everything.
    expect(ITEMS.filter((i) => bound.allows(i))).toEqual([]);
    expect(control.checkProfile('mem')).toMatch(/unknown profile "mem"/);
  });

  test('AccessControl.sharedView: one view per identity object and profile, each deciding as its own view and following reloads', () => {
    const control = new AccessControl({ ...ACCESS, profiles: { mem: { servers: ['memory'] } } });
    const dev = key('bob', ['dev']);
    const shared = control.sharedView(dev);
    expect(control.sharedView(dev)).toBe(shared);
    // Another identity object (even with the same id), or another profile, gets a view of its own.
    const other = control.sharedView(key('bob'));
    const narrowed = control.sharedView(dev, 'mem');
    expect(other).not.toBe(shared);
    expect(narrowed).not.toBe(shared);
    const sees = (v: { allows(i: Item): boolean }) => ITEMS.filter((i) => v.allows(i)).map((i) => i.name);
    expect(sees(shared)).toEqual(sees(control.view(dev)));
    expect(sees(other)).toEqual(sees(control.view(key('bob'))));
    expect(sees(narrowed)).toEqual(['memory__read_graph', 'memory__summarize']);
    control.update({ rules: [{ who: { roles: ['dev'] }, allow: { servers: ['docs'] } }] });
    expect(control.sharedView(dev)).toBe(shared);
    expect(sees(shared)).toEqual(['docs+file:///a/b.md']);
  });
});

describe('who administers (proxy.access.admin)', () => {
  const token: Identity = { id: 'token:abc', kind: 'token', roles: [] };
  const everyone = [token, ANONYMOUS, LOCAL, key('alice', ['admin']), key('bob', ['dev']), oidc('carol', {})];
  const admins = (control: AccessControl) => everyone.filter((i) => control.mayAdminister(i)).map((i) => i.id);

  test('default: the shared token, anonymous (auth off), the role "admin" and the local user', () => {
    expect(admins(new AccessControl())).toEqual(['token:abc', 'anonymous', 'local', 'key:alice']);
    // A policy that says nothing about admins keeps the default.
    expect(admins(new AccessControl(ACCESS))).toEqual(['token:abc', 'anonymous', 'local', 'key:alice']);
  });

  test('configured: exactly whom the matchers name (one or a list), plus the local user; live on reload', () => {
    const control = new AccessControl({ admin: { ids: ['oidc:carol'] } });
    expect(admins(control)).toEqual(['local', 'oidc:carol']);
    control.update({ admin: [{ roles: ['dev'] }, { kinds: ['token'] }] });
    expect(admins(control)).toEqual(['token:abc', 'local', 'key:bob']);
    control.update({ admin: [] });
    expect(admins(control)).toEqual(['local']);
  });

  test('a section that only names admins hides nothing from anyone', () => {
    expect(visible(key('bob'), { admin: { roles: ['ops'] } })).toEqual(ITEMS.map((i) => i.name));
    expect(visible(key('bob'), {})).toEqual([]);
  });
});
