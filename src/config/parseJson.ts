/**
 * JSON config text (strict, as Claude Desktop and Cursor write it) -> value, syntax errors with a fix,
 * duplicate keys, and a locator from JSON path to line:column.
 */
// The ESM build of jsonc-parser: its UMD main hides its requires from esbuild, which then cannot bundle them.
import { findNodeAtLocation, type Node as JsonNode, parseTree } from 'jsonc-parser/lib/esm/main.js';
import { describeJsonError, jsonHint, type ParseErrorCode } from './jsonErrors.js';
import type { ParsedSource } from './parsedSource.js';
import { type ConfigProblem, duplicateKey, makeProblem, type SourcePosition } from './problems.js';
import type { JsonPath } from './substitute.js';

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

export function parseJson(text: string): ParsedSource {
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
