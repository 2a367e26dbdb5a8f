/**
 * Pure `${VAR}` / `${VAR:-default}` expansion in every string of a parsed JSON/YAML value.
 *
 * - `${NAME}` is replaced by `lookup(NAME)`; when that is undefined the name is reported as missing.
 * - `${NAME:-default}` uses `default` when NAME is unset or empty; the default may itself use `${...}`.
 * - `$$` is a literal `$`. A `$` followed by anything else is kept as it is.
 * - Object keys are never touched; only string values (at any depth).
 * - Every missing variable and every malformed reference is collected (with the JSON path where it
 *   was used), so one run reports them all.
 */

/** A JSON path: object keys and array indexes from the document root. */
export type JsonPath = (string | number)[];

export interface MissingVariable {
  name: string;
  path: JsonPath;
}

export interface SubstitutionProblem {
  path: JsonPath;
  message: string;
}

export interface SubstituteResult<T = unknown> {
  value: T;
  /** Every use of an unset variable without a default, in document order. */
  missing: MissingVariable[];
  /** Malformed references such as `${1X}` or an unterminated `${X`. */
  invalid: SubstitutionProblem[];
  /** Every variable name referenced anywhere (including in defaults), deduplicated, in first-use order. */
  referenced: string[];
  /** Paths of the strings that contained at least one `${...}` (their values came from the environment). */
  substituted: JsonPath[];
}

export type Lookup = (name: string) => string | undefined;

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

interface ExpandState {
  lookup: Lookup;
  path: JsonPath;
  missing: MissingVariable[];
  invalid: SubstitutionProblem[];
  referenced: Set<string>;
}

/**
 * Expands one string starting at `start`; stops at an unmatched `}` when `inDefault` is set.
 * Returns the expanded text and the index after the last consumed character.
 */
function expand(
  text: string,
  start: number,
  inDefault: boolean,
  state: ExpandState,
  active: boolean,
): { out: string; end: number; closed: boolean; used: boolean } {
  let out = '';
  let i = start;
  let used = false;
  while (i < text.length) {
    const ch = text[i];
    if (inDefault && ch === '}') return { out, end: i + 1, closed: true, used };
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next !== '{') {
      out += '$';
      i++;
      continue;
    }
    used = true;
    // `${` — read the name.
    let j = i + 2;
    if (j >= text.length || !NAME_START.test(text[j])) {
      const close = reportBadName(text, i, j, state);
      if (close === -1) return { out: out + text.slice(i), end: text.length, closed: false, used };
      out += text.slice(i, close + 1);
      i = close + 1;
      continue;
    }
    while (j < text.length && NAME_CHAR.test(text[j])) j++;
    const name = text.slice(i + 2, j);
    state.referenced.add(name);
    if (text[j] === '}') {
      if (active) {
        const v = state.lookup(name);
        if (v === undefined) state.missing.push({ name, path: state.path });
        else out += v;
      }
      i = j + 1;
      continue;
    }
    if (text[j] === ':' && text[j + 1] === '-') {
      const v = active ? state.lookup(name) : undefined;
      const useDefault = active && (v === undefined || v === '');
      const inner = expand(text, j + 2, true, state, useDefault);
      if (!inner.closed) {
        state.invalid.push({ path: state.path, message: `unterminated variable reference "${text.slice(i)}"` });
        return { out: out + text.slice(i), end: text.length, closed: false, used };
      }
      if (active) out += useDefault ? inner.out : (v as string);
      i = inner.end;
      continue;
    }
    const close = text.indexOf('}', j);
    if (close === -1) {
      state.invalid.push({ path: state.path, message: `unterminated variable reference "${text.slice(i)}"` });
      return { out: out + text.slice(i), end: text.length, closed: false, used };
    }
    state.invalid.push({
      path: state.path,
      message: `invalid variable reference "${text.slice(i, close + 1)}": use \${${name}} or \${${name}:-default}`,
    });
    out += text.slice(i, close + 1);
    i = close + 1;
  }
  return { out, end: i, closed: !inDefault, used };
}

/** `${` at `i` without a name at `j`: records it as invalid; returns the index of its `}` (-1: none). */
function reportBadName(text: string, i: number, j: number, state: ExpandState): number {
  const close = text.indexOf('}', j);
  const shown = close === -1 ? text.slice(i) : text.slice(i, close + 1);
  state.invalid.push({
    path: state.path,
    message:
      close === -1
        ? `unterminated variable reference "${shown}"`
        : `invalid variable reference "${shown}": names use letters, digits and "_" and do not start with a digit`,
  });
  return close;
}

/** Expands `${...}` references in one string. */
export function substituteString(
  text: string,
  lookup: Lookup,
  path: JsonPath = [],
): { value: string; missing: MissingVariable[]; invalid: SubstitutionProblem[]; referenced: string[] } {
  const state: ExpandState = { lookup, path, missing: [], invalid: [], referenced: new Set() };
  const r = expand(text, 0, false, state, true);
  return { value: r.out, missing: state.missing, invalid: state.invalid, referenced: [...state.referenced] };
}

/** Expands every string in `value` (recursively); keys are left untouched. Never throws. */
export function substitute<T = unknown>(value: T, lookup: Lookup): SubstituteResult<T> {
  const missing: MissingVariable[] = [];
  const invalid: SubstitutionProblem[] = [];
  const referenced = new Set<string>();
  const substituted: JsonPath[] = [];

  const walk = (v: unknown, path: JsonPath): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('$')) return v;
      const state: ExpandState = { lookup, path, missing, invalid, referenced };
      const r = expand(v, 0, false, state, true);
      if (r.used) substituted.push(path);
      return r.out;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        // A "__proto__" key from JSON.parse stays a plain (and, to the schema, unknown) key.
        Object.defineProperty(out, k, {
          value: walk(item, [...path, k]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return v;
  };

  const result = walk(value, []) as T;
  return { value: result, missing, invalid, referenced: [...referenced], substituted };
}

/** Every variable name a parsed config refers to (including names only used in defaults), in first-use order. */
export function referencedVariables(raw: unknown): string[] {
  return substitute(raw, () => undefined).referenced;
}

/** `mcpServers.github.env.TOKEN`, `args[0]`, `mcpServers["my.server"]`. */
export function formatPath(path: JsonPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || '(top level)';
}
