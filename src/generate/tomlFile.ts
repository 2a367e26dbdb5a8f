/**
 * Editing a TOML client config (Codex's config.toml) without losing the user's other settings or
 * comments. smol-toml parses; we never re-serialise the whole document (that would drop every comment
 * and reorder tables). Instead the one `[mcp_servers.<name>]` table we own, with its sub-tables
 * (`[mcp_servers.<name>.env]`), is cut out of the text and a freshly rendered block is appended.
 */
import { parse, stringify, TomlError } from 'smol-toml';
import { AppError } from '../errors.js';
import { jsonEqual } from '../util/objects.js';

/** Parses TOML; a syntax error is named `file:line:column`. */
export function parseTomlObject(text: string, file: string, what: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    return parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      const reason = e.message.split('\n')[0];
      throw new AppError('CONFIG_PARSE', `${what} ${file}:${e.line}:${e.column} is not valid TOML: ${reason}`, {
        hint: 'fix the file (nothing was written)',
      });
    }
    throw e;
  }
}

/** A bare key when TOML allows one, else a quoted one. */
function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}

/** The dotted key of a table header line (`[a."b c".d]` -> ['a', 'b c', 'd']), or undefined. */
function headerPath(line: string): string[] | undefined {
  const m = /^\s*\[(?!\[)(.*)\]\s*(#.*)?$/.exec(line);
  if (!m) return undefined;
  try {
    // Parse the header itself: a table named by it, with one marker value inside.
    const probe = parse(`[${m[1]}]\n__probe = 1\n`) as Record<string, unknown>;
    const out: string[] = [];
    let cur: unknown = probe;
    while (cur && typeof cur === 'object' && !('__probe' in (cur as object))) {
      const keys = Object.keys(cur as object);
      if (keys.length !== 1) return undefined;
      out.push(keys[0]);
      cur = (cur as Record<string, unknown>)[keys[0]];
    }
    return out;
  } catch {
    return undefined;
  }
}

function startsWith(p: string[], prefix: string[]): boolean {
  return prefix.length <= p.length && prefix.every((k, i) => p[i] === k);
}

/**
 * Sets (or with `undefined` removes) the table `[key.name]` in TOML text, keeping everything else
 * byte for byte. Unchanged text when the table already holds `value`.
 */
export function setTomlTable(
  text: string,
  key: string,
  name: string,
  value: Record<string, unknown> | undefined,
  file = 'config.toml',
): string {
  const doc = parseTomlObject(text, file, 'TOML file');
  const current = (doc[key] as Record<string, unknown> | undefined)?.[name];
  if (value === undefined ? current === undefined : jsonEqual(current, value)) return text;

  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const kept: string[] = [];
  let inOurs = false;
  let cut: string[] = [];
  for (const line of lines) {
    const header = headerPath(line);
    const wasOurs = inOurs;
    if (header) inOurs = startsWith(header, [key, name]);
    else if (/^\s*\[\[/.test(line)) inOurs = false;
    if (wasOurs && !inOurs) {
      // Comments right above the next table belong to it, not to the one we cut.
      let i = cut.length;
      while (i > 0 && /^\s*(#.*)?$/.test(cut[i - 1])) i--;
      const blankBefore = kept.length > 0 && /^\s*$/.test(kept[kept.length - 1]);
      while (blankBefore && i < cut.length && /^\s*$/.test(cut[i])) i++;
      kept.push(...cut.slice(i));
    }
    if (inOurs) cut = wasOurs ? [...cut, line] : [line];
    else kept.push(line);
  }
  let out = kept.join(eol).replace(/\s+$/, '');
  const rest = parseTomlObject(out, file, 'TOML file');
  if ((rest[key] as Record<string, unknown> | undefined)?.[name] !== undefined) {
    throw new AppError('CONFIG_INVALID', `${file} defines ${key}.${name} in a form we cannot edit safely`, {
      hint: `write it as a [${key}.${tomlKey(name)}] table (or remove it by hand); nothing was written`,
    });
  }
  if (value !== undefined) {
    const block = stringify({ [key]: { [name]: value } })
      .trim()
      .split('\n')
      .join(eol);
    out = out === '' ? block : `${out}${eol}${eol}${block}`;
  }
  out = out === '' ? '' : `${out}${eol}`;
  // A final check that we produced what we meant.
  const check = (parseTomlObject(out, file, 'TOML file')[key] as Record<string, unknown> | undefined)?.[name];
  if (value === undefined ? check !== undefined : !jsonEqual(check, value)) {
    throw new AppError('INTERNAL', `editing ${file} did not give the intended ${key}.${name}; nothing was written`);
  }
  return out;
}
