/** The team part of the config schema: who administers must name someone. */
import { describe, expect, test } from 'vitest';
import { AccessSettings } from '../../src/config/schemaTeam.js';

const issues = (access: unknown) =>
  AccessSettings.safeParse(access).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('proxy.access.admin', () => {
  test('one matcher or a list of them, with the fields of a rule\'s "who"', () => {
    expect(issues({ admin: { roles: ['admin'] } })).toEqual([]);
    expect(issues({ admin: [{ kinds: ['token'] }, { ids: ['oidc:carol'] }] })).toEqual([]);
    expect(issues({ admin: [] })).toEqual([]);
  });

  test('an empty matcher (everyone) and unknown fields are refused, with where', () => {
    expect(issues({ admin: {} })).toEqual([expect.stringMatching(/^admin: an empty matcher would make every caller/)]);
    expect(issues({ admin: [{ roles: ['a'] }, {}] })).toEqual([expect.stringMatching(/^admin\.1: an empty matcher/)]);
    expect(issues({ admin: { role: ['admin'] } }).join('\n')).toMatch(/role/);
  });
});
