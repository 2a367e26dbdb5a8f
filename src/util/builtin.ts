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
