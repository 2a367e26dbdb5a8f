import { describe, expect, it } from 'vitest';
import { stripUndefined } from '../../src/util/objects.js';
import { escapeRegExp } from '../../src/util/text.js';

describe('text and object helpers', () => {
  it('escapeRegExp makes every special character literal', () => {
    const s = 'a.b*c+d?e^f$g{h}i(j)k|l[m]n\\o';
    expect(new RegExp(`^${escapeRegExp(s)}$`).test(s)).toBe(true);
    expect(new RegExp(escapeRegExp('a.c')).test('abc')).toBe(false);
  });

  it('stripUndefined drops undefined values and keeps null, 0 and false', () => {
    expect(stripUndefined({ a: undefined, b: null, c: 0, d: false })).toEqual({ b: null, c: 0, d: false });
  });
});
