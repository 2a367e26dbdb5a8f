/**
 * A Node built-in loaded on first use. A static import loads it, and whatever it loads in turn, with the
 * importing module: node:v8 brings node:stream, for one. The launcher (src/boot/launcher.ts) needs these
 * only for `run`; `version` and `--help` must not pay for them.
 */
import { createRequire } from 'node:module';

export function lazyBuiltin<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= createRequire(import.meta.url)(id) as T;
    return loaded;
  };
}

/** node:v8, shared by the launcher and the heap governors (src/boot/). */
export const lazyV8 = lazyBuiltin<typeof import('node:v8')>('node:v8');
