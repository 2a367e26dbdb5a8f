/** What parsing a config text yields, whatever its format. */
import type { ConfigProblem, SourcePosition } from './problems.js';
import type { JsonPath } from './substitute.js';

export type ConfigFormat = 'json' | 'yaml';

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
