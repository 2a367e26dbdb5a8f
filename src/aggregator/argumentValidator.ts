/**
 * Dynamic mode's check of a tool's arguments against the upstream tool's input schema, before the call
 * (dynamicTools.ts): each problem with where it is, so a model can fix its call in one turn. One
 * compiled validator per (server, tool, schema); a schema that cannot be compiled here is left to the
 * upstream to judge.
 */
import { createHash } from 'node:crypto';
import { addFormats } from '@modelcontextprotocol/server/validators/ajv';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';

/** Compiled validators kept before the cache starts over. */
const VALIDATOR_CACHE_LIMIT = 2_000;

export interface ArgumentProblem {
  /** Where in `arguments` (JSON Pointer-like, "" = the arguments object itself). */
  path: string;
  message: string;
}

type Result = Record<string, unknown>;
type Validator = (value: unknown) => ArgumentProblem[] | undefined;

/** JSON Schema validation of tool arguments, one compiled validator per (server, tool, schema). */
export class ArgumentValidator {
  private readonly engines = new Map<string, Ajv>();
  private readonly cache = new Map<string, Validator | null>();
  /** Schema object -> content hash (catalog objects are stable until the upstream's catalog changes). */
  private readonly hashes = new WeakMap<object, string>();

  /** The problems with `value` under `schema`, or undefined when it is valid (or cannot be checked). */
  validate(upstream: string, tool: string, schema: Result | undefined, value: unknown): ArgumentProblem[] | undefined {
    if (!schema || typeof schema !== 'object') return undefined;
    let hash = this.hashes.get(schema);
    if (!hash) {
      hash = createHash('sha256').update(JSON.stringify(schema)).digest('base64url').slice(0, 22);
      this.hashes.set(schema, hash);
    }
    const key = `${upstream}\u0000${tool}\u0000${hash}`;
    let validator = this.cache.get(key);
    if (validator === undefined) {
      validator = this.compile(schema);
      if (this.cache.size >= VALIDATOR_CACHE_LIMIT) this.cache.clear();
      this.cache.set(key, validator);
    }
    return validator ? validator(value) : undefined;
  }

  /** Number of cached validators (for tests). */
  get size(): number {
    return this.cache.size;
  }

  /** null: the schema cannot be compiled here; the upstream will judge the arguments itself. */
  private compile(schema: Result): Validator | null {
    const { $schema, $id: _id, ...body } = schema;
    try {
      const engine = this.engine(typeof $schema === 'string' ? $schema : undefined);
      const fn: ValidateFunction = engine.compile(body);
      return (value) => (fn(value) ? undefined : (fn.errors ?? []).map(problemOf));
    } catch {
      return null;
    }
  }

  /** Ajv engine for a declared dialect: none or 2020-12 -> 2020-12; 2019-09; draft-07/06 (and older) -> draft-07. */
  private engine(dialect: string | undefined): Ajv {
    const d = (dialect ?? '').replace(/#$/, '');
    const kind =
      !d || d.includes('2020-12') ? '2020' : d.includes('2019-09') ? '2019' : d.includes('draft') ? '07' : '2020';
    let engine = this.engines.get(kind);
    if (!engine) {
      const Engine = kind === '2020' ? Ajv2020 : kind === '2019' ? Ajv2019 : Ajv;
      engine = new Engine({
        strict: false,
        allErrors: true,
        validateSchema: false,
        validateFormats: true,
        logger: false,
      });
      addFormats(engine as never);
      this.engines.set(kind, engine);
    }
    return engine;
  }
}

function problemOf(e: ErrorObject): ArgumentProblem {
  const params = e.params as Record<string, unknown>;
  const at = e.instancePath;
  if (e.keyword === 'required') return { path: `${at}/${params.missingProperty}`, message: 'is required but missing' };
  if (e.keyword === 'additionalProperties') {
    return { path: `${at}/${params.additionalProperty}`, message: 'is not allowed here (unknown property)' };
  }
  if (e.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return { path: at, message: `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
  }
  return { path: at, message: e.message ?? `fails "${e.keyword}"` };
}
