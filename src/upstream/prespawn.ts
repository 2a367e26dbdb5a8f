/**
 * Stdio upstream processes started early: `run` starts them as soon as the config is read, before the
 * rest of the proxy has loaded, so a server boots while the proxy does. Each is kept under the key of
 * its resolved spawn parameters; the stdio transport of a connection with the same parameters takes it
 * instead of spawning (once: a second connection, or a restart, spawns its own). Whatever nobody took
 * is stopped by close(), as any upstream is stopped: nothing started here outlives the proxy.
 */
import type { UpstreamConfig } from '../config/schema.js';
import { HeldChild, resolveStdio, type StdioParams, spawnKey, spawnStdioChild } from './childProcess.js';

export class PrespawnRegistry {
  private readonly waiting = new Map<string, HeldChild[]>();
  /** Processes adopted per key that no spawn() has stood for yet. */
  private readonly adopted = new Map<string, number>();
  private closed = false;

  /** Starts the process of `params` now, for a transport to take later; an adopted one stands in for it. */
  spawn(params: StdioParams): void {
    if (this.closed) return;
    const key = spawnKey(params);
    const spare = this.adopted.get(key) ?? 0;
    if (spare > 0) {
      this.adopted.set(key, spare - 1);
      return;
    }
    this.keep(key, new HeldChild(spawnStdioChild(params), params));
  }

  /** Processes started before the registry existed (by the launcher's pre-read), to be taken like its own. */
  adopt(children: HeldChild[]): void {
    for (const held of children) {
      const key = spawnKey(held.params);
      this.adopted.set(key, (this.adopted.get(key) ?? 0) + 1);
      this.keep(key, held);
    }
  }

  private keep(key: string, held: HeldChild): void {
    this.waiting.set(key, [...(this.waiting.get(key) ?? []), held]);
  }

  /** The process started early with exactly these parameters, if one is waiting; it is the taker's now. */
  take(params: StdioParams): HeldChild | undefined {
    const key = spawnKey(params);
    const list = this.waiting.get(key);
    const held = list?.shift();
    if (list && !list.length) this.waiting.delete(key);
    return held;
  }

  /** The processes waiting to be taken. */
  pending(): HeldChild[] {
    return [...this.waiting.values()].flat();
  }

  /** Every process started early that is not taken yet, as the stdio transport stops one (stdin, then signals). */
  async close(): Promise<void> {
    this.closed = true;
    const left = this.pending();
    this.waiting.clear();
    this.adopted.clear();
    if (!left.length) return;
    const { ProcessStdioTransport } = await import('./stdioTransport.js');
    await Promise.all(
      left.map(async (held) => {
        if (held.child.pid === undefined) return; // it never started
        const t = new ProcessStdioTransport(held.params, () => held);
        await t.start().catch(() => {});
        await t.close();
      }),
    );
  }
}

/**
 * Starts early the servers worth it: stdio ones that start with the proxy. Not disabled or lazy ones
 * (those must not start now), nor replicas (each replica is its own connection, resolved elsewhere).
 * At most `limit` of them, except those `always` picks (a listing will wait for them anyway). A command
 * that cannot be found is left to the connection, which reports it.
 */
export function prespawnServers(
  registry: PrespawnRegistry,
  servers: Record<string, UpstreamConfig>,
  env: NodeJS.ProcessEnv,
  cwd: string,
  limit = Number.POSITIVE_INFINITY,
  always: (name: string, config: UpstreamConfig) => boolean = () => false,
): number {
  let started = 0;
  for (const [name, config] of Object.entries(servers)) {
    if (config.type !== 'stdio' || config.disabled || config.lazy || config.replicas !== undefined) continue;
    if (started >= limit && !always(name, config)) continue;
    const resolved = resolveStdio(config, env, cwd);
    if (!('params' in resolved)) continue;
    registry.spawn(resolved.params);
    started++;
  }
  return started;
}
