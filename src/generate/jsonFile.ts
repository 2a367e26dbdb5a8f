/**
 * Reading and editing other programs' JSON files (client configs, the proxy config) without losing
 * anything: parse with positions (JSONC: VS Code's files may hold comments and trailing commas), edit
 * only the members we own with jsonc-parser's `modify` so every other entry, setting, comment and the
 * indentation stay as they were, write atomically (temp file in the same directory, fsync, rename),
 * and keep a backup of the original. An edit that changes nothing writes nothing.
 */

import fs from 'node:fs';
import path from 'node:path';
import {
  applyEdits,
  type FormattingOptions,
  findNodeAtLocation,
  type JSONPath,
  modify,
  type ParseError,
  parse,
  parseTree,
  printParseErrorCode,
} from 'jsonc-parser/lib/esm/main.js';
import { parseDocument } from 'yaml';
import { AppError, errorMessage } from '../errors.js';
import { atomicWrite } from '../util/atomicWrite.js';
import { jsonEqual } from '../util/objects.js';
import { readTextFileSync } from '../util/textFile.js';
import { parseTomlObject, setTomlTable } from './tomlFile.js';

export interface JsonFile {
  file: string;
  /** The text as read ('' when the file does not exist). */
  text: string;
  /** The parsed value ({} when the file does not exist or is empty). */
  value: Record<string, unknown>;
  exists: boolean;
  /** The file's permission bits (undefined when it does not exist). */
  mode?: number;
}

/** Offset -> 1-based line:column. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const nl = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: offset - nl };
}

const PARSE_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":"',
  CommaExpected: 'expected "," (a comma is missing between entries)',
  CloseBraceExpected: 'expected "}" (an object is not closed)',
  CloseBracketExpected: 'expected "]" (an array is not closed)',
  EndOfFileExpected: 'unexpected text after the end of the JSON value',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'a comment is not closed',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfNumber: 'a number is cut off',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape in a string',
  InvalidCharacter: 'invalid character in a string',
};

/**
 * Parses JSON (comments and trailing commas tolerated, as VS Code and Cursor do); throws an AppError
 * naming `file:line:column` for the first syntax error, or when the top level is not an object.
 */
export function parseJsonObject(text: string, file: string, what: string): Record<string, unknown> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return {};
  const errors: ParseError[] = [];
  const value = parse(body, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) {
    const first = errors[0];
    const { line, column } = lineColumn(body, first.offset);
    const reason = PARSE_MESSAGES[printParseErrorCode(first.error)] ?? printParseErrorCode(first.error);
    throw new AppError('CONFIG_PARSE', `${what} ${file}:${line}:${column} is not valid JSON: ${reason}`, {
      hint: `fix the file (nothing was written), e.g. check line ${line} and the line before it`,
    });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('CONFIG_INVALID', `${what} ${file} must hold a JSON object ({...}) at the top level`, {
      hint: 'nothing was written; fix or move the file and try again',
    });
  }
  return value as Record<string, unknown>;
}

/** Reads and parses a JSON (or, by its extension, YAML or TOML) file; `mustExist` decides whether a missing file is an error or `{}`. */
export function readJsonFile(
  file: string,
  what: string,
  mustExist: boolean,
  format?: 'json' | 'yaml' | 'toml',
): JsonFile {
  let text: string;
  let mode: number | undefined;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) {
      throw new AppError('CONFIG_UNREADABLE', `${what} ${file} is a directory, not a file`, {
        hint: 'point at the JSON file itself',
      });
    }
    mode = st.mode & 0o777;
    text = readTextFileSync(file);
  } catch (e) {
    if (e instanceof AppError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (mustExist) {
        throw new AppError('CONFIG_NOT_FOUND', `${what} not found: ${file}`, {
          hint: 'check the path, or name the file directly (e.g. --from ./path/to/config.json)',
        });
      }
      return { file, text: '', value: {}, exists: false };
    }
    throw new AppError('CONFIG_UNREADABLE', `cannot read ${what} ${file}: ${errorMessage(e)}`);
  }
  const kind = format ?? (/\.ya?ml$/i.test(file) ? 'yaml' : /\.toml$/i.test(file) ? 'toml' : 'json');
  const value =
    kind === 'yaml'
      ? parseYamlObject(text, file, what)
      : kind === 'toml'
        ? parseTomlObject(text, file, what)
        : parseJsonObject(text, file, what);
  return { file, text, value, exists: true, mode };
}

/** A YAML file's top-level mapping, with errors named `file:line:column`. */
export function parseYamlObject(text: string, file: string, what: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  const doc = parseDocument(text);
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const at = pos ? `:${pos.line}:${pos.col}` : '';
    throw new AppError('CONFIG_PARSE', `${what} ${file}${at} is not valid YAML: ${err.message.split('\n')[0]}`, {
      hint: 'fix the file (nothing was written)',
    });
  }
  const value = doc.toJS();
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('CONFIG_INVALID', `${what} ${file} must hold a mapping at the top level`, {
      hint: 'nothing was written; fix or move the file and try again',
    });
  }
  return value as Record<string, unknown>;
}

/** Sets the value at `p` in YAML text (comments and layout elsewhere kept); unchanged text when equal. */
export function setYamlValue(text: string, p: (string | number)[], value: unknown): string {
  const doc = parseDocument(text.trim() === '' ? '{}' : text);
  const current = doc.getIn(p);
  const plain =
    current && typeof current === 'object' && 'toJSON' in current
      ? (current as { toJSON(): unknown }).toJSON()
      : current;
  if (jsonEqual(plain, value)) return text;
  if (value === undefined) doc.deleteIn(p);
  else doc.setIn(p, doc.createNode(value));
  if (doc.contents && 'flow' in doc.contents && text.trim() === '') (doc.contents as { flow: boolean }).flow = false;
  return doc.toString();
}

/** Indentation and line endings as the file already uses them (2 spaces and \n for new files). */
export function formattingFor(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';
  if (indent.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: indent.length, eol };
}

function getPath(value: unknown, p: JSONPath): unknown {
  let cur = value;
  for (const seg of p) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg as string | number];
  }
  return cur;
}

/**
 * Sets (or with `undefined` removes) the value at `p` in JSON text, touching nothing else. Returns the
 * text unchanged when the value there is already equal, so a second run is a no-op.
 */
export function setJsonValue(text: string, p: JSONPath, value: unknown): string {
  const base = text.trim() === '' ? '{}\n' : text;
  const current = getPath(parse(base, [], { allowTrailingComma: true }), p);
  if (value === undefined ? current === undefined : jsonEqual(current, value)) return text;
  if (current === undefined && value !== undefined) {
    const inserted = insertAfterLastProperty(base, p, value);
    if (inserted !== undefined) return inserted;
  }
  const edits = modify(base, p, value, { formattingOptions: formattingFor(text) });
  let out = applyEdits(base, edits);
  if (!out.endsWith('\n')) out += formattingFor(text).eol;
  return out;
}

/**
 * Adds a new member after the last one of an existing, non-empty object, on its own lines. jsonc-parser's
 * `modify` would reformat the previous member and carry its end-of-line comment onto the new one.
 */
function insertAfterLastProperty(text: string, p: JSONPath, value: unknown): string | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true });
  const parent = root && (p.length === 1 ? root : findNodeAtLocation(root, p.slice(0, -1)));
  const last = parent?.type === 'object' ? parent.children?.at(-1) : undefined;
  if (!parent || !last) return undefined;
  const fmt = formattingFor(text);
  const lineStart = text.lastIndexOf('\n', last.offset) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
  const end = last.offset + last.length;
  // What follows the last member on its line: an optional comma, then maybe a comment.
  const rest = /^([ \t]*)(,?)([ \t]*(\/\/[^\r\n]*|\/\*[^\r\n]*?\*\/)?)/.exec(text.slice(end));
  if (!rest) return undefined;
  const hadComma = rest[2] === ',';
  const lineEnd = end + rest[0].length;
  // Anything else after it on that line (`{ "a": 1 }`): leave it to modify.
  if (!/^(\r?\n|$)/.test(text.slice(lineEnd))) return undefined;
  const unit = fmt.insertSpaces ? ' '.repeat(fmt.tabSize ?? 2) : '\t';
  const rendered = JSON.stringify(value, null, unit)
    .split('\n')
    .join(fmt.eol + indent);
  const member = `${fmt.eol}${indent}${JSON.stringify(p[p.length - 1])}: ${rendered}${hadComma ? ',' : ''}`;
  const withComma = hadComma ? text : `${text.slice(0, end)},${text.slice(end)}`;
  const at = hadComma ? lineEnd : lineEnd + 1;
  return withComma.slice(0, at) + member + withComma.slice(at);
}

/** Appends `value` to the array at `p` (created when absent), touching nothing else. */
export function appendJsonArray(text: string, p: JSONPath, value: unknown): string {
  const base = text.trim() === '' ? '{}\n' : text;
  const current = getPath(parse(base, [], { allowTrailingComma: true }), p);
  if (!Array.isArray(current)) return setJsonValue(text, p, [...(current === undefined ? [] : [current]), value]);
  const edits = modify(base, [...p, current.length], value, {
    formattingOptions: formattingFor(text),
    isArrayInsertion: true,
  });
  return applyEdits(base, edits);
}

/** `<file>.bak-YYYYMMDDTHHMMSSZ` (a numeric suffix when that name is taken). */
export function backupName(file: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  let name = `${file}.bak-${stamp}`;
  for (let i = 2; fs.existsSync(name); i++) name = `${file}.bak-${stamp}-${i}`;
  return name;
}

export interface WriteResult {
  file: string;
  changed: boolean;
  created: boolean;
  /** Where the original was copied (when there was one and it changed). */
  backup?: string;
}

/**
 * Writes `text` to `file` atomically. Nothing happens when the content is unchanged. An existing file is
 * first copied to a backup with the same permissions; the new file keeps the old mode (or `mode` for a
 * new file, default 0644; `forceMode` always wins).
 */
export function writeFileAtomic(
  target: string,
  text: string,
  opts: {
    backup?: boolean;
    mode?: number;
    forceMode?: number;
    now?: Date;
    platform?: NodeJS.Platform;
    /** What the backup holds instead of the original (the original with secrets taken out). */
    backupText?: string;
    /** The backup's mode instead of the original's. */
    backupMode?: number;
  } = {},
): WriteResult {
  // A symlinked config (dotfiles managers) is updated where it points, and stays a symlink.
  let file = target;
  try {
    file = fs.realpathSync(target);
  } catch {}
  let old: string | undefined;
  let oldMode: number | undefined;
  try {
    old = readTextFileSync(file);
    oldMode = fs.statSync(file).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AppError('CONFIG_UNREADABLE', `cannot read ${file}: ${errorMessage(e)}`);
    }
  }
  const mode = opts.forceMode ?? oldMode ?? opts.mode ?? 0o644;
  if (old === text && (oldMode === undefined || oldMode === mode)) {
    return { file: target, changed: false, created: false };
  }
  const dir = path.dirname(file);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new AppError('CONFIG_UNREADABLE', `cannot create directory ${dir}: ${errorMessage(e)}`);
  }
  let backup: string | undefined;
  if (old !== undefined && opts.backup !== false && old !== text) {
    backup = backupName(file, opts.now ?? new Date());
    writeRaw(backup, opts.backupText ?? old, opts.backupMode ?? oldMode ?? 0o600, opts.platform);
  }
  writeRaw(file, text, mode, opts.platform);
  return { file: target, changed: true, created: old === undefined, backup };
}

function writeRaw(file: string, text: string, mode: number, platform: NodeJS.Platform | undefined): void {
  try {
    atomicWrite(file, text, { mode, platform });
  } catch (e) {
    throw new AppError('CONFIG_UNREADABLE', `cannot write ${file}: ${errorMessage(e)}`, {
      hint: 'nothing was changed; check the directory permissions',
    });
  }
}

/** Sets (or with `undefined` removes) one server entry in a client config, JSON or TOML (Codex). */
export function setServerEntry(
  text: string,
  where: { key: string; format?: 'json' | 'toml'; file?: string },
  name: string,
  value: Record<string, unknown> | undefined,
): string {
  if (where.format === 'toml') return setTomlTable(text, where.key, name, value, where.file);
  return setJsonValue(text, [where.key, name], value);
}
