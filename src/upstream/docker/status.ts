/**
 * What `mcp-proxy status` shows about Docker: the proxy's own containers (image label
 * io.mcp-proxy.role=proxy) and the upstream containers it started (io.mcp-proxy.managed=true),
 * with state, health and uptime.
 */
import { errorMessage } from '../../errors.js';
import { type ContainerSummary, type DockerClient, LABELS } from './client.js';

export interface DockerStatusRow {
  kind: 'proxy' | 'upstream';
  id: string;
  name: string;
  image: string;
  /** The upstream's server name (upstream rows). */
  server?: string;
  /** created | running | exited | ... */
  state: string;
  /** healthy | unhealthy | starting | none */
  health: string;
  /** Seconds since the container started (running containers only). */
  uptimeSeconds?: number;
  startedAt?: string;
  /** Docker's own status text, e.g. "Up 5 minutes (healthy)". */
  status: string;
}

export async function dockerStatus(docker: DockerClient, now: () => number = Date.now): Promise<DockerStatusRow[]> {
  const [proxies, upstreams] = await Promise.all([
    docker.listContainers([`${LABELS.role}=proxy`]),
    docker.listContainers([`${LABELS.managed}=true`]),
  ]);
  const rows: DockerStatusRow[] = [];
  const add = async (kind: DockerStatusRow['kind'], c: ContainerSummary) => {
    let health = 'none';
    let startedAt: string | undefined;
    let running = c.state === 'running';
    try {
      const d = await docker.inspectContainer(c.id);
      health = d.health ?? 'none';
      startedAt = d.startedAt;
      running = d.running;
    } catch {
      // Gone between list and inspect: report what the list said.
    }
    const started = startedAt ? Date.parse(startedAt) : Number.NaN;
    rows.push({
      kind,
      id: c.id.slice(0, 12),
      name: c.name,
      image: c.image,
      server: c.labels[LABELS.server],
      state: c.state,
      health,
      startedAt,
      uptimeSeconds:
        running && Number.isFinite(started) ? Math.max(0, Math.round((now() - started) / 1000)) : undefined,
      status: c.status,
    });
  };
  await Promise.all([...proxies.map((c) => add('proxy', c)), ...upstreams.map((c) => add('upstream', c))]);
  rows.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'proxy' ? -1 : 1));
  return rows;
}

export type DockerStatusResult =
  | { available: true; endpoint: string; rows: DockerStatusRow[] }
  | { available: false; endpoint?: string; reason: string };

/** dockerStatus for `status`: never throws; says why when no engine answers. */
export async function tryDockerStatus(client: () => Promise<DockerClient>): Promise<DockerStatusResult> {
  let docker: DockerClient | undefined;
  try {
    docker = await client();
    await docker.ping();
    return { available: true, endpoint: docker.endpoint, rows: await dockerStatus(docker) };
  } catch (e) {
    return { available: false, endpoint: docker?.endpoint, reason: errorMessage(e) };
  }
}

/** "3d 4h", "5m 10s", "42s". */
export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

/** Plain-text lines for the status command (a header, then one line per container). */
export function formatDockerStatus(result: DockerStatusResult): string[] {
  if (!result.available) return [`docker: not available (${result.reason})`];
  if (result.rows.length === 0) return [`docker: ${result.endpoint}, no proxy or upstream containers`];
  const lines = [`docker: ${result.endpoint}`];
  for (const r of result.rows) {
    const who = r.kind === 'proxy' ? 'proxy' : `upstream ${r.server ?? '?'}`;
    const up = r.uptimeSeconds !== undefined ? `up ${formatUptime(r.uptimeSeconds)}` : r.state;
    const health = r.health === 'none' ? '' : `, ${r.health}`;
    lines.push(`  ${who.padEnd(24)} ${r.name} (${r.id}) ${r.image}: ${up}${health}`);
  }
  return lines;
}
