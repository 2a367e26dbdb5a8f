/**
 * Editing the proxy's own config file in place (`mcp-proxy add`, `remove`, `enable`, `disable`).
 *
 * Only the `mcpServers.<name>` member being changed is touched: JSON through jsonc-parser's `modify`
 * (the shared helpers in generate/jsonFile.ts keep indentation, key order and every other entry as
 * written), YAML through the `yaml` Document API (comments and layout kept). The new text is checked
 * with the proxy's own loader before anything is written, so an edit never leaves a config that
 * `run` would refuse; the write is atomic with a `<file>.bak-<timestamp>` copy of the previous file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findNodeAtLocation, type Node as JsonNode, modify, parseTree } from 'jsonc-parser/lib/esm/main.js';
import { isMap, parseDocument } from 'yaml';
import { AppError } from '../errors.js';
import {
  formattingFor,
  parseJsonObject,
  parseYamlObject,
  setJsonValue,
  type WriteResult,
  writeFileAtomic,
} from '../generate/jsonFile.js';
import { jsonEqual } from '../util/objects.js';
import { userConfigDir } from '../util/paths.js';
import { readTextFileSync } from '../util/textFile.js';
import { analyzeConfigText } from './analyze.js';
import { configErrorFor } from './configError.js';
import { describeSearch, type LocateOptions, locateConfig, resolveUserPath } from './locate.js';
import { type ConfigFormat, formatFor } from './parse.js';
import type { ConfigProblem } from './problems.js';
import type { Lookup } from './substitute.js';

export const SERVER_NAME = /^[A-Za-z0-9_-]{1,48}$/;

export interface EditableConfig {
  file: string;
  format: ConfigFormat;
  /** The text as read ('' for a file `add` is about to create). */
  text: string;
  exists: boolean;
  /** The servers as written (variables unexpanded). */
  servers: Record<string, unknown>;
}

type PathOptions = Pick<LocateOptions, 'env' | 'cwd' | 'homedir' | 'platform'>;

/**
 * The config file to edit, found as `run` finds it. With `create` (for `add`), a file that does not
 * exist yet is fine: `--config F` or `$MCP_PROXY_CONFIG` name it, else the user config directory's
 * config.json. Without it, no file is an error listing where we looked.
 */
export function locateForEdit(flag: string | undefined, opts: PathOptions, create: boolean): string {
  if (create) {
    const named = flag || opts.env.MCP_PROXY_CONFIG;
    if (named) return resolveUserPath(named, opts);
  }
  const located = locateConfig({ ...opts, path: flag });
  if (located) return located.path;
  if (create) return path.join(userConfigDir(opts), 'config.json');
  throw new AppError('CONFIG_NOT_FOUND', 'no config file found', {
    details: ['searched:', ...describeSearch(opts).map((p) => `  ${p}`)],
    hint: 'add a first server with `mcp-proxy add NAME -- COMMAND ARGS...` (it creates the file), or pass --config FILE',
  });
}

/** Reads the config for editing; a missing file is an empty config (JSON comments are tolerated here). */
export function readForEdit(file: string): EditableConfig {
  const format = formatFor(file);
  let text = '';
  let exists = true;
  try {
    if (fs.statSync(file).isDirectory()) {
      throw new AppError('CONFIG_UNREADABLE', `config ${file} is a directory, not a file`, {
        hint: 'point --config at the file itself',
      });
    }
    text = readTextFileSync(file);
  } catch (e) {
    if (e instanceof AppError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AppError('CONFIG_UNREADABLE', `cannot read config ${file}: ${(e as Error).message}`);
    }
    exists = false;
  }
  const value = format === 'yaml' ? parseYamlObject(text, file, 'config') : parseJsonObject(text, file, 'config');
  const servers = value.mcpServers ?? {};
  if (!servers || typeof servers !== 'object' || Array.isArray(servers)) {
    throw new AppError('CONFIG_INVALID', `"mcpServers" in ${file} is not an object of servers`, {
      hint: 'fix the file (nothing was written)',
    });
  }
  return { file, format, text, exists, servers: servers as Record<string, unknown> };
}

/** The text of a config that does not exist yet. */
export function newConfigText(format: ConfigFormat, schema: string): string {
  // YAML starts empty so the mapping we add is written in block style.
  return format === 'yaml' ? '' : `${JSON.stringify({ $schema: schema, mcpServers: {} }, null, 2)}\n`;
}

/** Sets (or with `undefined` removes) `mcpServers.<name>.<...field>`, touching nothing else. */
export function setServerValue(
  text: string,
  format: ConfigFormat,
  name: string,
  field: string[],
  value: unknown,
): string {
  const p = ['mcpServers', name, ...field];
  return format === 'yaml' ? setYaml(text, p, value) : setJson(text, p, value);
}

/**
 * JSON: the member at `p` is inserted, replaced or removed as text, so neighbours keep their layout
 * (a one-line entry stays on one line) and a comment ending the previous line stays there. An empty
 * or non-object text is left to the general helper.
 */
function setJson(text: string, p: string[], value: unknown): string {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (root?.type !== 'object') return setJsonValue(text, p, value);
  const parent = findNodeAtLocation(root, p.slice(0, -1));
  if (!parent) {
    // A missing parent ("mcpServers" itself) is added as a member of its own parent, the same way.
    return value === undefined ? text : setJson(text, p.slice(0, -1), { [p[p.length - 1]]: value });
  }
  if (parent.type !== 'object') return setJsonValue(text, p, value);
  const node = findNodeAtLocation(root, p);
  if (value === undefined) {
    if (!node) return text;
    // The last member leaves "{}" behind; otherwise jsonc-parser (without formatting options)
    // removes just the member and its comma.
    if (parent.children?.length === 1) return splice(text, parent.offset, parent.length, '{}');
    return applyEdit(text, modify(text, p, undefined, {})[0]);
  }
  const fmt = formattingFor(text);
  const unit = fmt.insertSpaces ? ' '.repeat(fmt.tabSize ?? 2) : '\t';
  const eol = fmt.eol ?? '\n';
  if (node) {
    if (jsonEqual(JSON.parse(text.slice(node.offset, node.offset + node.length)), value)) return text;
    const indent = lineIndent(text, (node.parent ?? node).offset);
    return splice(text, node.offset, node.length, render(value, unit, eol, indent));
  }
  const key = JSON.stringify(p[p.length - 1]);
  const members = parent.children ?? [];
  const close = parent.offset + parent.length - 1;
  if (members.length === 0) {
    const outer = lineIndent(text, parent.offset);
    const inner = outer + unit;
    return splice(
      text,
      parent.offset,
      parent.length,
      `{${eol}${inner}${key}: ${render(value, unit, eol, inner)}${eol}${outer}}`,
    );
  }
  const last = members[members.length - 1] as JsonNode;
  const end = last.offset + last.length;
  const lineEnd = text.slice(end, close).search(/\r?\n/);
  if (lineEnd === -1) {
    // A one-line object stays one line.
    return splice(text, end, 0, `, ${key}: ${JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ')}`);
  }
  const indent = lineIndent(text, last.offset);
  const at = end + lineEnd;
  const withMember = splice(text, at, 0, `${eol}${indent}${key}: ${render(value, unit, eol, indent)}`);
  return splice(withMember, end, 0, ',');
}

function render(value: unknown, unit: string, eol: string, indent: string): string {
  return JSON.stringify(value, null, unit).replace(/\n/g, `${eol}${indent}`);
}

/** The whitespace that starts the line holding `offset`. */
function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? '';
}

function splice(text: string, offset: number, length: number, insert: string): string {
  return text.slice(0, offset) + insert + text.slice(offset + length);
}

function applyEdit(text: string, edit: { offset: number; length: number; content: string } | undefined): string {
  return edit ? splice(text, edit.offset, edit.length, edit.content) : text;
}

function setYaml(text: string, p: string[], value: unknown): string {
  const doc = parseDocument(text.trim() === '' ? '{}' : text);
  if (text.trim() === '' && isMap(doc.contents)) doc.contents.flow = false;
  if (value === undefined) {
    if (!doc.hasIn(p)) return text;
    doc.deleteIn(p);
  } else {
    // An empty `mcpServers: {}` is a flow mapping; what we add into it reads better in block style.
    const parent = doc.getIn(p.slice(0, -1), true);
    if (isMap(parent) && parent.items.length === 0) parent.flow = false;
    doc.setIn(p, doc.createNode(value));
  }
  // Comments are kept; the library re-spaces some of them, and would pad flow collections.
  return doc.toString({ flowCollectionPadding: false });
}

export interface EditCheck {
  /** Warnings about the edited server (a variable set nowhere yet, a command not on PATH). */
  warnings: ConfigProblem[];
}

/**
 * Checks edited text with the proxy's own loader. Variables that are not set anywhere yet are
 * warnings (the user may store them next); every other problem refuses the edit (exit 2), naming it.
 */
export function checkEdit(
  text: string,
  file: string,
  lookup: Lookup,
  opts: PathOptions & { server?: string },
): EditCheck {
  const analysis = analyzeConfigText(text, file, lookup, {
    allowMissingVariables: true,
    checkCommands: { env: opts.env, platform: opts.platform, cwd: opts.cwd },
  });
  const err = configErrorFor(analysis, file, { cwd: opts.cwd, platform: opts.platform });
  if (err) {
    err.message = `${err.message}; nothing was written`;
    throw err;
  }
  const mine = opts.server === undefined ? '' : `mcpServers.${opts.server}`;
  return {
    warnings: analysis.problems.filter(
      (p) =>
        p.severity === 'warning' && (p.path === mine || p.path.startsWith(`${mine}.`) || p.path.startsWith(`${mine}[`)),
    ),
  };
}

/** Writes the edited config atomically, backing up the previous file; an unchanged text writes nothing. */
export function writeEdit(file: string, text: string, platform: NodeJS.Platform): WriteResult {
  return writeFileAtomic(file, text, { mode: 0o644, platform });
}
