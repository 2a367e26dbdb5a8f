/** Dynamic mode's argument validation across JSON Schema dialects (src/aggregator/argumentValidator.ts). */
import { describe, expect, it } from 'vitest';
import { ArgumentValidator } from '../../src/aggregator/argumentValidator.js';

describe('ArgumentValidator', () => {
  it('validates draft-07 schemas (as zod 3 / most npm servers emit them)', () => {
    const v = new ArgumentValidator();
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { path: { type: 'string' }, depth: { type: 'integer', minimum: 0 } },
      required: ['path'],
      additionalProperties: false,
    };
    expect(v.validate('fs', 'tree', schema, { path: '/tmp' })).toBeUndefined();
    expect(v.validate('fs', 'tree', schema, { depth: -1, extra: 1 })).toEqual(
      expect.arrayContaining([
        { path: '/path', message: 'is required but missing' },
        { path: '/depth', message: 'must be >= 0' },
        { path: '/extra', message: 'is not allowed here (unknown property)' },
      ]),
    );
  });

  it('validates 2020-12 schemas, including keywords draft-07 does not have', () => {
    const v = new ArgumentValidator();
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { point: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'string' }] } },
    };
    expect(v.validate('s', 't', schema, { point: [1, 'a'] })).toBeUndefined();
    expect(v.validate('s', 't', schema, { point: ['a', 'a'] })).toEqual([
      { path: '/point/0', message: 'must be number' },
    ]);
  });

  it('treats a schema without $schema as 2020-12 and checks formats and enums', () => {
    const v = new ArgumentValidator();
    const schema = {
      type: 'object',
      properties: { url: { type: 'string', format: 'uri' }, mode: { enum: ['fast', 'safe'] } },
    };
    expect(v.validate('s', 't', schema, { url: 'https://example.com', mode: 'fast' })).toBeUndefined();
    expect(v.validate('s', 't', schema, { url: 'not a uri', mode: 'slow' })).toEqual([
      { path: '/url', message: 'must match format "uri"' },
      { path: '/mode', message: 'must be one of "fast", "safe"' },
    ]);
  });

  it('supports 2019-09 schemas', () => {
    const v = new ArgumentValidator();
    const schema = {
      $schema: 'https://json-schema.org/draft/2019-09/schema',
      type: 'object',
      properties: { n: { type: 'number' } },
      dependentRequired: { n: ['m'] },
    };
    expect(v.validate('s', 't', schema, { n: 1 })).toEqual([
      { path: '', message: 'must have property m when property n is present' },
    ]);
    expect(v.validate('s', 't', schema, { n: 1, m: 2 })).toBeUndefined();
  });

  it('caches one validator per (server, tool, schema) and recompiles when the schema changes', () => {
    const v = new ArgumentValidator();
    const a = { type: 'object', properties: { x: { type: 'number' } } };
    v.validate('s', 't', a, { x: 1 });
    v.validate('s', 't', { ...a }, { x: 2 }); // same content, new object: same entry
    expect(v.size).toBe(1);
    const b = { type: 'object', properties: { x: { type: 'string' } } };
    expect(v.validate('s', 't', b, { x: 1 })).toEqual([{ path: '/x', message: 'must be string' }]);
    expect(v.size).toBe(2);
    v.validate('other', 't', a, { x: 1 });
    expect(v.size).toBe(3);
  });

  it('compiles schemas with the same $id again without a clash', () => {
    const v = new ArgumentValidator();
    const one = { $id: 'urn:tool', type: 'object', properties: { x: { type: 'number' } } };
    const two = { $id: 'urn:tool', type: 'object', properties: { x: { type: 'string' } } };
    expect(v.validate('s', 't', one, { x: 'a' })).toEqual([{ path: '/x', message: 'must be number' }]);
    expect(v.validate('s', 't', two, { x: 1 })).toEqual([{ path: '/x', message: 'must be string' }]);
  });

  it('leaves arguments to the upstream when a schema cannot be compiled', () => {
    const v = new ArgumentValidator();
    const broken = { type: 'object', properties: { x: { $ref: '#/definitions/missing' } } };
    expect(v.validate('s', 't', broken, { x: 1 })).toBeUndefined();
  });
});
