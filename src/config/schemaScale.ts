/**
 * Scale settings of one server entry: replicas (several copies of the server behind its one name),
 * how calls are spread over them, and the result cache. Replica entries are checked once merged
 * onto their server entry (see replicaConfigs), so a replica is validated exactly like a server.
 */
import { z } from 'zod';

export const BALANCE_STRATEGIES = ['round-robin', 'least-outstanding', 'session', 'weighted'] as const;

export const Balance = z
  .enum(BALANCE_STRATEGIES)
  .describe(
    'How calls are spread over the replicas: round-robin (default); least-outstanding (the less busy of two picked at random); session (one client session stays on one replica: consistent hashing); weighted (at random, in proportion to each replica\'s "weight").',
  );

const CacheRule = z
  .object({
    ttlMs: z.number().int().positive().describe('How long a result is served from the cache, ms.'),
    maxEntries: z.number().int().positive().optional().describe('Most results kept (least recently used go first).'),
  })
  .strict();

export const CacheSettings = z
  .object({
    ttlMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "Cache results of this server's tools annotated readOnlyHint and its resource reads for this long, ms.",
      ),
    maxEntries: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Most results kept for this server (default 1000; least recently used go first).'),
    tools: z
      .record(z.string(), z.union([CacheRule, z.literal(false)]))
      .optional()
      .describe('Per upstream tool name: its own TTL (caches it even without readOnlyHint), or false for never.'),
  })
  .strict()
  .describe('Opt-in result cache; invalidated by resources/updated and list_changed; never shared across identities.');

const ReplicaEntry = z
  .object({
    weight: z.number().int().positive().optional().describe('Share of calls under balance "weighted" (default 1).'),
    backup: z.boolean().optional().describe('Used only while every other replica is down.'),
  })
  // The endpoint fields (url, headers, command, args...) are checked with the server kinds once merged.
  .catchall(z.unknown());

/** Fields every server entry may carry, beside its transport. */
export const scaleFields = {
  replicas: z
    .union([z.number().int().min(1).max(32), z.array(ReplicaEntry).min(1).max(32)])
    .optional()
    .describe(
      'Several copies of this server behind its one name: a number starts that many processes (stdio, docker); a list gives each endpoint, its fields over this entry\'s (e.g. [{"url": "http://a/mcp"}, {"url": "http://b/mcp", "backup": true}]).',
    ),
  balance: Balance.optional(),
  cache: CacheSettings.optional(),
};

export type BalanceStrategy = z.infer<typeof Balance>;
export type CacheConfig = z.infer<typeof CacheSettings>;

/** One replica of a server: its own complete config, and its part in the balancing. */
export interface ReplicaSpec<C> {
  /** `name#1`, `name#2`... (status, metrics, logs); the server's own name when it has no replicas. */
  label: string;
  config: C;
  weight: number;
  backup: boolean;
}

const SCALE_KEYS = ['replicas', 'balance', 'cache'];
const KIND_KEYS = ['type', 'transport', 'command', 'url', 'image'];
/** Fields that are about the server, not about where it runs: a replica of another kind keeps them. */
const SHARED_KEYS = [
  'disabled',
  'prefix',
  'tools',
  'timeout',
  'connectTimeout',
  'description',
  'protocol',
  'isolation',
];

/**
 * The replicas of a server entry (already normalized), each a server entry of its own: the entry
 * itself N times for `"replicas": N`; for a list, each item's fields over the entry's (an item of
 * another transport kind keeps only the entry's kind-free fields). One replica when there are none.
 */
export function replicaEntries(
  name: string,
  entry: Record<string, unknown>,
  normalize: (raw: unknown) => unknown,
): ReplicaSpec<Record<string, unknown>>[] {
  const base = omit(entry, SCALE_KEYS);
  const { replicas } = entry;
  if (replicas === undefined) return [{ label: name, config: base, weight: 1, backup: false }];
  if (typeof replicas === 'number') {
    return Array.from({ length: replicas }, (_, i) => ({
      label: `${name}#${i + 1}`,
      config: base,
      weight: 1,
      backup: false,
    }));
  }
  const items = Array.isArray(replicas) ? replicas : [];
  return items.map((item, i) => {
    const { weight, backup, ...endpoint } = (item && typeof item === 'object' ? item : {}) as Record<string, unknown>;
    const own = normalize(endpoint) as Record<string, unknown>;
    const sameKind = !KIND_KEYS.some((k) => k in endpoint) || own.type === base.type;
    const inherited = sameKind ? base : pick(base, SHARED_KEYS);
    const config = normalize({ ...inherited, ...endpoint }) as Record<string, unknown>;
    return {
      label: `${name}#${i + 1}`,
      config: omit(config, SCALE_KEYS),
      weight: typeof weight === 'number' ? weight : 1,
      backup: backup === true,
    };
  });
}

/**
 * A server entry with no transport of its own takes its kind from its first replica (so
 * `{"replicas": [{"url": ...}, {"url": ...}]}` is a complete entry).
 */
export function kindFromFirstReplica(entry: Record<string, unknown>): Record<string, unknown> {
  if (KIND_KEYS.some((k) => entry[k] !== undefined) || !Array.isArray(entry.replicas)) return entry;
  const first = entry.replicas[0];
  if (!first || typeof first !== 'object') return entry;
  const { weight: _w, backup: _b, ...endpoint } = first as Record<string, unknown>;
  return { ...endpoint, ...entry };
}

/** Problems with a server entry's scale settings that are not about one replica's own fields. */
export function scaleProblems(entry: {
  type: string;
  replicas?: number | { backup?: boolean }[];
  balance?: string;
  isolation?: string;
}): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const { replicas } = entry;
  if (typeof replicas === 'number' && (entry.type === 'http' || entry.type === 'sse')) {
    out.push({
      path: ['replicas'],
      message: `a number of replicas starts that many processes, which a ${entry.type} server is not; list its endpoints instead: "replicas": [{"url": "..."}, {"url": "..."}]`,
    });
  }
  if (Array.isArray(replicas) && replicas.every((r) => r?.backup === true)) {
    out.push({
      path: ['replicas'],
      message: 'every replica is a backup: at least one must take calls while all are up',
    });
  }
  if (replicas !== undefined && entry.isolation === 'session') {
    out.push({
      path: ['isolation'],
      message:
        'isolation "session" gives each client session its own connection, which replicas cannot share; use "balance": "session" to keep a session on one replica',
    });
  }
  if (entry.balance !== undefined && replicas === undefined) {
    out.push({ path: ['balance'], message: 'balance spreads calls over replicas: add "replicas" or remove "balance"' });
  }
  return out;
}

function omit(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => keys.includes(k)));
}
