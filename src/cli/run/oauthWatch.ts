/**
 * A new `auth login` reaches the running proxy without a restart: the token files of the servers
 * with `oauth` are watched, and when one changes while such a server is down (`needs-login`, or
 * `failed`), the config is applied again, which connects those servers again.
 * The proxy's own refreshes change these files too; they trigger nothing while the servers are up.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { UpstreamConfig } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import type { TokenStore } from '../../upstream/oauth/tokenStore.js';
import type { UpstreamPool } from '../../upstream/pool.js';
import { watchFiles } from './watch.js';

export async function watchLogins(
  store: TokenStore,
  servers: Record<string, UpstreamConfig>,
  pool: UpstreamPool,
  reload: (reason: string) => Promise<void>,
  logger: Logger,
): Promise<{ close(): Promise<void> }> {
  const names = Object.entries(servers)
    .filter(([, s]) => (s.type === 'http' || s.type === 'sse') && s.oauth)
    .map(([n]) => n);
  if (!names.length) return { close: async () => {} };
  // A seed is watched only where secrets are mounted (watching from / for a missing /run/secrets would be costly).
  const seeds = names.map((n) => store.seed(n)).filter((f): f is string => !!f && fs.existsSync(path.dirname(f)));
  const files = [...names.map((n) => store.file(n)), ...seeds];
  // A change seen while a server was between states (an attempt in flight, begun before the login) is
  // kept until a server is down, so the attempt that fails without it is followed by one with it.
  let changed = false;
  const check = () => {
    const waiting = names.filter((n) => pool.get(n)?.state === 'needs-login' || pool.get(n)?.state === 'failed');
    if (!waiting.length) return;
    changed = false;
    void reload(`OAuth login changed (${waiting.join(', ')})`);
  };
  const onChange = () => {
    changed = true;
    check();
  };
  const onStatus = (name?: string) => {
    if (changed && (name === undefined || names.includes(name))) check();
  };
  pool.on('status', onStatus);
  const watcher = await watchFiles(files, onChange, logger);
  // A login that landed while the watcher was starting changed nothing it could see: look once.
  if (files.some((f) => fs.existsSync(f))) onChange();
  return {
    close: async () => {
      pool.off('status', onStatus);
      await watcher.close();
    },
  };
}
