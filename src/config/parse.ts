/**
 * Config text -> value, with source positions. JSON (parseJson.ts) or YAML (`.yaml` / `.yml`,
 * parseYaml.ts). Syntax errors carry line and column and a fix; afterwards `locate(path)` maps a JSON
 * path back to its line:column so schema problems can point into the file.
 */
import type { ConfigFormat, ParsedSource } from './parsedSource.js';
import { parseJson } from './parseJson.js';
import { parseYaml } from './parseYaml.js';
import { makeProblem } from './problems.js';

export type { ConfigFormat, ParsedSource } from './parsedSource.js';

export function formatFor(fileName: string): ConfigFormat {
  return /\.ya?ml$/i.test(fileName) ? 'yaml' : 'json';
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
