/**
 * Config text -> value, with source positions. JSON (strict, as Claude Desktop and Cursor write it)
 * or YAML (`.yaml` / `.yml`). Syntax errors carry line and column and a fix; afterwards
 * `locate(path)` maps a JSON path back to its line:column so schema problems can point into the file.
 */
// The ESM build of jsonc-parser: its UMD main hides its requires from esbuild, which then cannot bundle them.
import { findNodeAtLocation, type Node as JsonNode, parseTree } from 'jsonc-parser/lib/esm/main.js';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from 'yaml';
import { type ConfigProblem, makeProblem, type SourcePosition } from './problems.js';
import type { JsonPath } from './substitute.js';

export type ConfigFormat = 'json' | 'yaml';

/** jsonc-parser's error codes (a `const enum` there, which isolatedModules cannot read). */
const ParseErrorCode = {
  InvalidSymbol: 1,
  InvalidNumberFormat: 2,
  PropertyNameExpected: 3,
  ValueExpected: 4,
  ColonExpected: 5,
  CommaExpected: 6,
  CloseBraceExpected: 7,
  CloseBracketExpected: 8,
  EndOfFileExpected: 9,
  InvalidCommentToken: 10,
  UnexpectedEndOfComment: 11,
  UnexpectedEndOfString: 12,
  UnexpectedEndOfNumber: 13,
  InvalidUnicode: 14,
  InvalidEscapeCharacter: 15,
  InvalidCharacter: 16,
} as const;
type ParseErrorCode = number;

export interface ParsedSource {
  format: ConfigFormat;
  /** The parsed value; undefined when the text has syntax errors. */
  value: unknown;
  /** Syntax errors, and warnings such as duplicate keys. */
  problems: ConfigProblem[];
  /**
   * Where `path` is written in the file: the key's position for an object member (`target: 'key'`,
   * the default) or the value's. Falls back to the nearest enclosing entry that exists.
   */
  locate(path: JsonPath, target?: 'key' | 'value'): SourcePosition | undefined;
}

export function formatFor(fileName: string): ConfigFormat {
  return /\.ya?ml$/i.test(fileName) ? 'yaml' : 'json';
}

/** Offset -> 1-based line and column. */
function lineIndex(text: string): (offset: number) => SourcePosition {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo] + 1 };
  };
}

const EXAMPLE =
  '{ "mcpServers": { "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] } } }';

/** Parses config text. Never throws. */
export function parseSource(input: string, fileName: string): ParsedSource {
  // Editors on Windows may save a byte-order mark; neither JSON.parse nor a human cares about it.
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const format = formatFor(fileName);
  if (text.trim() === '') {
    return {
      format,
      value: undefined,
      problems: [
        makeProblem(
          'syntax',
          '',
          'the config file is empty',
          { line: 1, column: 1 },
          { hint: `a minimal config: ${EXAMPLE}` },
        ),
      ],
      locate: () => undefined,
    };
  }
  return format === 'yaml' ? parseYaml(text) : parseJson(text);
}

// ---------------------------------------------------------------------------------------------- JSON

function prevNonSpace(text: string, offset: number): number {
  let i = offset - 1;
  while (i >= 0 && /\s/.test(text[i])) i--;
  return i;
}

function describeJsonError(text: string, code: ParseErrorCode, offset: number, root: JsonNode | undefined) {
  const at = text[offset];
  const prev = text[prevNonSpace(text, offset)];
  const word = /^[A-Za-z_$][\w$-]*/.exec(text.slice(offset))?.[0];
  const trailingComma = prev === ',' && (at === '}' || at === ']');
  if (trailingComma) {
    return {
      offset: prevNonSpace(text, offset),
      message: `trailing comma before "${at}"`,
      hint: 'remove the comma after the last entry: JSON does not allow trailing commas',
    };
  }
  if (
    offset >= text.length ||
    code === ParseErrorCode.CloseBraceExpected ||
    code === ParseErrorCode.CloseBracketExpected
  ) {
    if (offset >= text.trimEnd().length) {
      const missing =
        code === ParseErrorCode.CloseBracketExpected
          ? '"]"'
          : code === ParseErrorCode.CloseBraceExpected
            ? '"}"'
            : 'a value';
      return {
        offset: text.trimEnd().length,
        message: `unexpected end of file: missing ${missing}`,
        hint: 'every "{" needs a matching "}" and every "[" a matching "]"',
      };
    }
  }
  if (
    code === ParseErrorCode.EndOfFileExpected ||
    (root && offset >= root.offset + root.length && code === ParseErrorCode.InvalidSymbol)
  ) {
    return {
      offset,
      message: 'unexpected text after the end of the JSON object',
      hint: 'the file must hold exactly one JSON object; remove what follows, or merge it into the first object',
    };
  }
  switch (code) {
    case ParseErrorCode.InvalidCommentToken:
      return {
        offset,
        message: 'comments are not allowed in JSON',
        hint: 'remove the comment, or use a .yaml config, which allows # comments',
      };
    case ParseErrorCode.InvalidEscapeCharacter: {
      const m = /\\[^"\\/bfnrtu]/.exec(text.slice(offset));
      const bad = m ? m[0] : '\\';
      return {
        offset: m ? offset + m.index : offset,
        message: `invalid escape "${bad}" in a string`,
        hint: 'write a backslash as \\\\ (e.g. "C:\\\\Users\\\\me"), or use forward slashes in paths',
      };
    }
    case ParseErrorCode.UnexpectedEndOfString: {
      const nl = text.indexOf('\n', offset);
      return {
        offset: nl === -1 ? offset : nl,
        message: 'string is not closed before the end of the line',
        hint: 'add the closing double quote; a line break inside a string is written \\n',
      };
    }
    case ParseErrorCode.InvalidCharacter:
      return {
        offset,
        message: 'control character (such as a tab) inside a string',
        hint: 'write a tab as \\t and a line break as \\n',
      };
    case ParseErrorCode.ColonExpected:
      return { offset, message: 'expected ":" after the key', hint: 'members are written "key": value' };
    case ParseErrorCode.CommaExpected: {
      const p = prevNonSpace(text, offset);
      return {
        offset: p + 1,
        message: 'expected "," between entries',
        hint: 'add a comma here, after the previous value',
      };
    }
    case ParseErrorCode.InvalidNumberFormat:
      return {
        offset,
        message: 'invalid number',
        hint: 'numbers are written like 30000 or 1.5, without leading zeros or quotes',
      };
    case ParseErrorCode.PropertyNameExpected:
    case ParseErrorCode.ValueExpected:
    case ParseErrorCode.InvalidSymbol:
      if (at === "'") {
        return { offset, message: 'single quotes are not allowed in JSON', hint: 'use double quotes: "..."' };
      }
      if (word && code !== ParseErrorCode.ValueExpected && (prev === '{' || prev === ',')) {
        return { offset, message: `key ${word} is not quoted`, hint: `JSON keys need double quotes: "${word}"` };
      }
      if (word) {
        return {
          offset,
          message: `unexpected "${word}"`,
          hint: 'strings need double quotes; the only bare words in JSON are true, false and null',
        };
      }
      if (code === ParseErrorCode.PropertyNameExpected) {
        return { offset, message: 'expected a key in double quotes', hint: 'members are written "key": value' };
      }
      return {
        offset,
        message: at ? `unexpected "${at}"` : 'expected a value',
        hint: 'a value is a "string", number, true, false, null, {...} or [...]',
      };
    case ParseErrorCode.UnexpectedEndOfComment:
      return {
        offset,
        message: 'comment is not closed (and comments are not allowed in JSON)',
        hint: 'remove the comment',
      };
    case ParseErrorCode.UnexpectedEndOfNumber:
      return { offset, message: 'incomplete number', hint: 'numbers are written like 30000 or 1.5' };
    case ParseErrorCode.InvalidUnicode:
      return {
        offset,
        message: 'invalid \\u escape in a string',
        hint: 'a \\u escape takes four hex digits, e.g. \\u00e9',
      };
    default:
      return { offset, message: at ? `unexpected "${at}"` : 'unexpected end of file', hint: undefined };
  }
}

function parseJson(text: string): ParsedSource {
  const pos = lineIndex(text);
  const errors: { error: ParseErrorCode; offset: number; length: number }[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });

  const locate = (path: JsonPath, target: 'key' | 'value' = 'key'): SourcePosition | undefined => {
    if (!root) return undefined;
    for (let n = path.length; n >= 0; n--) {
      const node = findNodeAtLocation(root, path.slice(0, n));
      if (!node) continue;
      if (target === 'key' && node.parent?.type === 'property' && node.parent.children?.[0]) {
        return pos(node.parent.children[0].offset);
      }
      return pos(node.offset);
    }
    return undefined;
  };

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const first = errors[0];
    if (first) {
      const d = describeJsonError(text, first.error, first.offset, root);
      return {
        format: 'json',
        value: undefined,
        problems: [
          makeProblem('syntax', '', `invalid JSON: ${d.message}`, pos(d.offset), { hint: jsonHint(text, d.hint) }),
        ],
        locate,
      };
    }
    // The tolerant parser saw nothing wrong but JSON.parse did: report V8's reason without the echoed text.
    const msg = String((e as Error).message).replace(/, ".*$/s, '');
    const m = /at position (\d+)/.exec(msg);
    return {
      format: 'json',
      value: undefined,
      problems: [
        makeProblem(
          'syntax',
          '',
          `invalid JSON: ${msg.replace(/ in JSON at position \d+.*$/s, '')}`,
          m ? pos(Number(m[1])) : undefined,
        ),
      ],
      locate,
    };
  }

  const problems: ConfigProblem[] = [];
  if (root) findDuplicateJsonKeys(root, [], problems, pos);
  return { format: 'json', value, problems, locate };
}

/** A YAML-looking file named *.json gets a hint about why it was read as JSON. */
function jsonHint(text: string, hint: string | undefined): string | undefined {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[' && /^\s*[A-Za-z_][\w-]*\s*:/m.test(text)) {
    return `${hint ? `${hint}; ` : ''}this looks like YAML: name the file *.yaml to have it read as YAML`;
  }
  return hint;
}

/** A key seen twice in one object (JSON) or mapping (YAML); `path` ends with the key. */
function duplicateKey(
  path: JsonPath,
  first: SourcePosition,
  at: SourcePosition,
  container: 'object' | 'mapping',
): ConfigProblem {
  const key = String(path.at(-1));
  return makeProblem('schema', path, `duplicate key "${key}" (also at line ${first.line}:${first.column})`, at, {
    hint: `each key may appear once per ${container}: remove or rename one of them`,
  });
}

function findDuplicateJsonKeys(
  node: JsonNode,
  path: JsonPath,
  problems: ConfigProblem[],
  pos: (o: number) => SourcePosition,
): void {
  if (node.type === 'object') {
    const seen = new Map<string, number>();
    for (const prop of node.children ?? []) {
      const keyNode = prop.children?.[0];
      if (!keyNode) continue;
      const key = String(keyNode.value);
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push(duplicateKey([...path, key], pos(first), pos(keyNode.offset), 'object'));
      } else {
        seen.set(key, keyNode.offset);
      }
      if (prop.children?.[1]) findDuplicateJsonKeys(prop.children[1], [...path, key], problems, pos);
    }
  } else if (node.type === 'array') {
    (node.children ?? []).forEach((c, i) => {
      findDuplicateJsonKeys(c, [...path, i], problems, pos);
    });
  }
}

// ---------------------------------------------------------------------------------------------- YAML

const YAML_HINTS: Record<string, string> = {
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs for indentation',
  BAD_INDENT: 'align entries of the same mapping at the same indentation, with spaces',
  MISSING_CHAR: 'a closing quote or bracket is missing',
  MULTIPLE_DOCS: 'a config file holds one YAML document: remove the extra "---"',
  BLOCK_AS_IMPLICIT_KEY: 'a key must fit on one line, followed by ":"',
  MULTILINE_IMPLICIT_KEY: 'a key must fit on one line, followed by ":"; check for a missing ":" or bad indentation',
  UNEXPECTED_TOKEN: 'check the indentation and the ":" after each key',
  BAD_DQ_ESCAPE: 'inside double quotes write a backslash as \\\\, or use single quotes for Windows paths',
};

function yamlProblem(err: YAMLError, text: string, pos: (offset: number) => SourcePosition): ConfigProblem {
  const first = err.message
    .split('\n')[0]
    .replace(/ at line \d+, column \d+:?$/, '')
    .replace(/; please use YAML\.parseAllDocuments\(\)/, '');
  const lp = err.linePos?.[0];
  let where: SourcePosition | undefined = lp ? { line: lp.line, column: lp.col } : undefined;
  // An error found at the end of the file (unclosed quote or bracket) is shown at the last line with content.
  const end = text.trimEnd().length;
  if (err.pos?.[0] !== undefined && err.pos[0] >= end && end > 0) where = pos(end);
  const close = /end with an? ([\]}])/.exec(first);
  return makeProblem('syntax', '', `invalid YAML: ${first}`, where, {
    hint: close ? `add the missing "${close[1]}"` : YAML_HINTS[err.code],
  });
}

function parseYaml(text: string): ParsedSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: true });
  const pos = (offset: number): SourcePosition => {
    const lp = lineCounter.linePos(offset);
    return { line: lp.line, column: lp.col };
  };

  const locate = (path: JsonPath, target: 'key' | 'value' = 'key'): SourcePosition | undefined => {
    let node: unknown = doc.contents;
    let found: SourcePosition | undefined = (doc.contents as { range?: number[] } | null)?.range
      ? pos((doc.contents as { range: number[] }).range[0])
      : undefined;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
        if (!pair) return found;
        const keyRange = (pair.key as { range?: number[] } | null)?.range;
        const valueRange = (pair.value as { range?: number[] } | null)?.range;
        const r = target === 'key' ? (keyRange ?? valueRange) : (valueRange ?? keyRange);
        if (r) found = pos(r[0]);
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as { range?: number[] } | undefined;
        if (!item) return found;
        if (item.range) found = pos(item.range[0]);
        node = item;
      } else {
        return found;
      }
    }
    return found;
  };

  if (doc.errors.length > 0) {
    return { format: 'yaml', value: undefined, problems: doc.errors.map((e) => yamlProblem(e, text, pos)), locate };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    return {
      format: 'yaml',
      value: undefined,
      problems: [makeProblem('syntax', '', `invalid YAML: ${(e as Error).message}`, undefined)],
      locate,
    };
  }
  if (value === null || value === undefined) {
    return {
      format: 'yaml',
      value: undefined,
      problems: [
        makeProblem(
          'syntax',
          '',
          'the config file has no content (only comments or an empty document)',
          { line: 1, column: 1 },
          {
            hint: 'a minimal config:\n     mcpServers:\n       memory:\n         command: npx\n         args: ["-y", "@modelcontextprotocol/server-memory"]',
          },
        ),
      ],
      locate,
    };
  }

  const problems: ConfigProblem[] = [];
  const walk = (node: unknown, path: JsonPath) => {
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const offset = (pair.key as { range?: number[] } | null)?.range?.[0] ?? 0;
        const first = seen.get(key);
        if (first !== undefined) {
          problems.push(duplicateKey([...path, key], pos(first), pos(offset), 'mapping'));
        } else {
          seen.set(key, offset);
        }
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        walk(item, [...path, i]);
      });
    }
  };
  walk(doc.contents, []);
  return { format: 'yaml', value, problems, locate };
}
