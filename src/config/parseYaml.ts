/** YAML config text -> value, syntax errors with a fix, duplicate keys, and a path -> line:column locator. */
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from 'yaml';
import type { ParsedSource } from './parsedSource.js';
import { type ConfigProblem, duplicateKey, makeProblem, type SourcePosition } from './problems.js';
import type { JsonPath } from './substitute.js';

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

export function parseYaml(text: string): ParsedSource {
  const lineCounter = new LineCounter();
  // merge: `<<: *anchor`, as compose files use it (YAML 1.1's merge key; off by default in 1.2).
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: true, merge: true });
  const pos = (offset: number): SourcePosition => {
    const lp = lineCounter.linePos(offset);
    return { line: lp.line, column: lp.col };
  };

  const locate = yamlLocator(doc, pos);

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
  findDuplicateYamlKeys(doc.contents, [], problems, pos);
  return { format: 'yaml', value, problems, locate };
}

/** JSON path -> where it is written (the key, or the value), falling back to the nearest enclosing entry. */
function yamlLocator(doc: Document, pos: (offset: number) => SourcePosition): ParsedSource['locate'] {
  return (path: JsonPath, target: 'key' | 'value' = 'key'): SourcePosition | undefined => {
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
}

function findDuplicateYamlKeys(
  node: unknown,
  path: JsonPath,
  problems: ConfigProblem[],
  pos: (offset: number) => SourcePosition,
): void {
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
      findDuplicateYamlKeys(pair.value, [...path, key], problems, pos);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      findDuplicateYamlKeys(item, [...path, i], problems, pos);
    });
  }
}
