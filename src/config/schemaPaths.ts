/** Finding things in a config value and in the zod schema along a JSON path. */
import type { z } from 'zod';
import { ConfigSchema, DockerServer, HttpServer, normalizeServerEntry, StdioServer } from './schema.js';
import type { JsonPath } from './substitute.js';

export const SERVER_KINDS: Record<string, readonly string[]> = {
  stdio: Object.keys(StdioServer.shape),
  http: Object.keys(HttpServer.shape),
  sse: Object.keys(HttpServer.shape),
  docker: Object.keys(DockerServer.shape),
};
export const ALL_SERVER_KEYS = new Set([...Object.values(SERVER_KINDS).flat(), 'transport']);
export const KIND_KEYS = ['command', 'url', 'image'];

export function getAt(data: unknown, path: JsonPath): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

export function isServerPath(path: JsonPath): boolean {
  return path.length === 2 && path[0] === 'mcpServers';
}

/** The kind a server entry resolves to after `type` / `transport` / inference, if any. */
export function serverKind(entry: unknown): string | undefined {
  const n = normalizeServerEntry(entry) as { type?: unknown } | undefined;
  return n && typeof n.type === 'string' && SERVER_KINDS[n.type] ? n.type : undefined;
}

// Walks the zod schema along a path, following the data to pick a discriminated-union member.
export function schemaAt(path: JsonPath, data: unknown): z.core.$ZodType | undefined {
  let s: any = ConfigSchema;
  let d: unknown = data;
  const unwrap = () => {
    for (;;) {
      const def = s?._zod?.def;
      if (!def) return;
      if (['optional', 'nullable', 'default', 'readonly', 'nonoptional', 'catch', 'prefault'].includes(def.type)) {
        s = def.innerType;
      } else if (def.type === 'pipe') {
        s = def.out;
      } else if (def.type === 'union' && def.discriminator) {
        const kind = serverKind(d);
        s = def.options.find((o: any) => o._zod.def.shape?.type?._zod.def.values?.includes(kind));
        if (!s) return;
      } else {
        return;
      }
    }
  };
  unwrap();
  for (const seg of path) {
    const def = s?._zod?.def;
    if (!def) return undefined;
    if (def.type === 'object') s = def.shape[seg as string];
    else if (def.type === 'record') s = def.valueType;
    else if (def.type === 'array') s = def.element;
    else return undefined;
    d = getAt(d, [seg]);
    unwrap();
  }
  return s;
}

/** The keys an object at `path` accepts (empty when unknown). */
export function knownKeysAt(path: JsonPath, data: unknown): string[] {
  if (isServerPath(path)) {
    const kind = serverKind(getAt(data, path));
    return kind ? [...SERVER_KINDS[kind], 'transport'] : [...ALL_SERVER_KEYS];
  }
  const s: any = schemaAt(path, data);
  return s?._zod?.def?.type === 'object' ? Object.keys(s._zod.def.shape) : [];
}
