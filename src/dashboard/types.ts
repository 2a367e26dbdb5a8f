/**
 * What the dashboard is given by the composition root (cli/run): the aggregator and pool to act on,
 * the policy, the log ring, the metrics, the masking, and the config port behind which the CLI's own
 * add/remove/validate code runs.
 */
import type { Aggregator } from '../aggregator/server.js';
import { AccessControl } from '../gateway/access.js';
import type { Identity } from '../gateway/identity.js';
import type { RenderableMetrics } from '../observability/metrics.js';
import type { UpstreamPool } from '../upstream/pool.js';
import type { LogRing } from './logRing.js';

export interface EditOutcome {
  ok: boolean;
  /** What was done (or why not), as the CLI says it; masked. */
  message: string;
  warnings?: string[];
  details?: string[];
}

/** The config file behind the running proxy; absent when it runs without one. */
export interface ConfigPort {
  /** The config as written (variables unexpanded, literal secrets masked) and where each variable comes from. */
  view(): Promise<Record<string, unknown>>;
  /** Checks a server entry as `add` would, writing nothing. */
  validate(name: string, entry: Record<string, unknown>): Promise<EditOutcome>;
  /** `mcp-proxy add NAME` with this entry (literal secrets go to the credentials store). */
  add(name: string, entry: Record<string, unknown>, force: boolean): Promise<EditOutcome>;
  /** `mcp-proxy remove NAME`. */
  remove(name: string): Promise<EditOutcome>;
}

export interface DashboardDeps {
  agg: Aggregator;
  pool: UpstreamPool;
  access?: AccessControl;
  logs: LogRing;
  metrics?: RenderableMetrics;
  redact: (text: string) => string;
  config?: ConfigPort;
  /** Request body limit in bytes. */
  maxBodyBytes?: number;
  /** Sparkline sampling interval, ms (default 5000). */
  sampleMs?: number;
}

/** Who administers when the dashboard is given no access control: the defaults of `proxy.access.admin`. */
export function mayAdminister(identity: Identity, access?: AccessControl): boolean {
  return (access ?? DEFAULT_CONTROL).mayAdminister(identity);
}

const DEFAULT_CONTROL = new AccessControl();
