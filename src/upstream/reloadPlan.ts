/**
 * What a config reload does to each server (UpstreamPool.apply carries it out): only what changed is
 * touched. A server that was given up on (failed, or waiting for a login) is tried again on every
 * reload with the same config, since the user may have fixed it or logged in; a change of the proxy
 * settings that shape connections restarts every server.
 */
import type { ProxyConfig, UpstreamConfig } from '../config/schema.js';
import { connectionSettings } from './poolOptions.js';
import type { Upstream } from './upstream.js';

export interface ReloadPlan {
  added: string[];
  removed: string[];
  /** Servers whose config changed: restarted with the new one. */
  changed: string[];
  /** Same config, but given up on: started again. */
  retried: string[];
  unchanged: string[];
}

export function planReload(
  current: Map<string, Upstream>,
  configs: Record<string, UpstreamConfig>,
  proxy: ProxyConfig | undefined,
  previousProxy: ProxyConfig | undefined,
): ReloadPlan {
  const settingsChanged =
    JSON.stringify(connectionSettings(proxy)) !== JSON.stringify(connectionSettings(previousProxy));
  const plan: ReloadPlan = { added: [], removed: [], changed: [], retried: [], unchanged: [] };
  for (const name of current.keys()) if (!(name in configs)) plan.removed.push(name);
  for (const [name, config] of Object.entries(configs)) {
    const existing = current.get(name);
    if (!existing) {
      plan.added.push(name);
      continue;
    }
    const sameConfig = !settingsChanged && JSON.stringify(existing.config) === JSON.stringify(config);
    if (!sameConfig) plan.changed.push(name);
    else if (existing.state === 'failed' || existing.state === 'needs-login') plan.retried.push(name);
    else plan.unchanged.push(name);
  }
  return plan;
}
