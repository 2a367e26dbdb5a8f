import { describe, expect, it } from 'vitest';
import { nameHash } from '../../src/util/nameHash.js';

describe('nameHash', () => {
  it('is 16 hex digits, the same for the same text', () => {
    expect(nameHash('["s",{"command":"node"}]')).toMatch(/^[0-9a-f]{16}$/);
    expect(nameHash('abc')).toBe(nameHash('abc'));
    expect(nameHash('')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('tells apart texts that differ by one character, in many places (no collision in 50,000)', () => {
    const seen = new Set<string>();
    const base = JSON.stringify(['server', { command: 'npx', args: ['-y', '@scope/server@1.2.3'] }]);
    for (let i = 0; i < 50_000; i++) {
      const at = i % base.length;
      seen.add(nameHash(`${base.slice(0, at)}${String.fromCharCode(32 + (i % 90))}${base.slice(at)}#${i}`));
    }
    expect(seen.size).toBe(50_000);
  });
});
