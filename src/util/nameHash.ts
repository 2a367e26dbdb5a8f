/**
 * A 64-bit hash of a text as 16 hex digits, for names (of cache files) where a collision costs a stale
 * entry at most. Not node:crypto: loading it is ~4 ms of a stdio `run` before its first answer, and
 * nothing else on that path needs it. Two 32-bit FNV-1a lanes with different primes and mixing.
 */
export function nameHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0xcbf29ce4;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return hex8(a) + hex8(b);
}

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
