/**
 * The live policy of a running proxy: compiled from `proxy.access`, replaced on reload. Each session
 * holds a view of its caller that follows the replacement, so a reload applies to open sessions at once
 * (they are told with list_changed).
 */
import { EventEmitter } from 'node:events';
import type { AccessConfig } from '../config/schema.js';
import { boundProfile, type Identity, LOCAL } from './identity.js';
import { type AccessView, ALLOW_ALL, accessView, compilePolicy, type Item, type Policy } from './policy.js';

export class AccessControl extends EventEmitter {
  private policy: Policy;
  private readonly views = new WeakMap<Identity, Map<string | undefined, AccessView>>();

  constructor(access?: AccessConfig) {
    super();
    this.policy = compilePolicy(access);
  }

  /** True when nothing can be hidden from anyone (no rules, no profiles). */
  get open(): boolean {
    return !this.policy.enabled;
  }

  /** Applies a reloaded config; emits `changed`. */
  update(access: AccessConfig | undefined): void {
    this.policy = compilePolicy(access);
    this.emit('changed');
  }

  profileNames(): string[] {
    return [...this.policy.profiles.keys()];
  }

  /** An error message when `name` is no profile, else undefined. */
  checkProfile(name: string): string | undefined {
    if (this.policy.profiles.has(name)) return undefined;
    const names = this.profileNames();
    return `unknown profile "${name}"; ${names.length ? `profiles: ${names.join(', ')}` : 'no profiles are configured (proxy.access.profiles)'}`;
  }

  /** Whether `identity` may administer (`proxy.access.admin`, as the config says now). */
  mayAdminister(identity: Identity): boolean {
    return this.policy.admin(identity);
  }

  /**
   * `view`, shared by the requests of one identity object with one profile: a stateless (2026-07-28)
   * request asks on every call, and the view's memo of decisions then lasts beyond one request. Views
   * follow policy replacements, and an identity object no request holds any more lets its views go.
   */
  sharedView(identity: Identity = LOCAL, profile?: string): AccessView {
    let byProfile = this.views.get(identity);
    if (!byProfile) {
      byProfile = new Map();
      this.views.set(identity, byProfile);
    }
    let view = byProfile.get(profile);
    if (!view) {
      view = this.view(identity, profile);
      byProfile.set(profile, view);
    }
    return view;
  }

  /** What `identity` (with the profile it chose, and the one its key is bound to) may see and use. */
  view(identity: Identity = LOCAL, profile?: string): AccessView {
    const profiles = [boundProfile(identity), profile].filter((p): p is string => p !== undefined);
    let compiledFor: Policy | undefined;
    let current: AccessView = ALLOW_ALL;
    const refresh = () => {
      if (compiledFor !== this.policy) {
        compiledFor = this.policy;
        current = accessView(this.policy, identity, profiles);
      }
      return current;
    };
    return { allows: (item: Item) => refresh().allows(item), unrestricted: () => refresh() === ALLOW_ALL };
  }
}
