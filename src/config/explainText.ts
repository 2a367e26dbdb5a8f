/** Plain words for what the schema expected and what the config holds, and the fix for a wrong type. */
import type { JsonPath } from './substitute.js';

export function article(word: string): string {
  // Said as letters: "an http server", "an sse server".
  return /^([aeiou]|http|sse)/i.test(word) ? `an ${word}` : `a ${word}`;
}

export function describeExpected(expected: string): string {
  switch (expected) {
    case 'record':
    case 'object':
      return 'an object';
    case 'array':
      return 'a list';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    default:
      return article(expected);
  }
}

export function describeValue(v: unknown, secret: boolean): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') {
    if (secret) return 'a string (from a variable)';
    return v.length <= 40 ? `the string ${JSON.stringify(v)}` : 'a string';
  }
  if (typeof v === 'number') return Number.isInteger(v) ? `the number ${v}` : `the number ${v}`;
  return String(v);
}

export const FIELD_HINTS: Record<string, string> = {
  args: 'a list of strings, e.g. "args": ["-y", "@modelcontextprotocol/server-memory"]',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: config syntax, not a template
  env: 'an object of strings, e.g. "env": { "API_KEY": "${API_KEY}" }',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: config syntax, not a template
  headers: 'an object of strings, e.g. "headers": { "Authorization": "Bearer ${TOKEN}" }',
  timeout: 'milliseconds as a number, e.g. 30000',
  connectTimeout: 'milliseconds as a number, e.g. 30000',
  port: 'a number from 0 to 65535, e.g. 8765',
  disabled: 'true or false, without quotes',
  include: 'a list of glob patterns, e.g. ["read_*", "search"]',
  exclude: 'a list of glob patterns, e.g. ["delete_*"]',
  volumes: 'a list like ["/host/dir:/data:ro"]',
  prefix: 'a string like "gh", or false for no prefix',
  tools: 'an object like "tools": { "include": ["read_*"], "exclude": ["delete_*"] }',
  mcpServers:
    'an object with one entry per server, e.g. "mcpServers": { "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] } }',
};

export function typeHint(path: JsonPath, expected: string, value: unknown): string | undefined {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if ((parent === 'env' || parent === 'headers') && expected === 'string' && value !== undefined) {
    return `quote the value: "${String(value)}" (${parent === 'env' ? 'env' : 'header'} values are strings)`;
  }
  if (typeof last === 'string' && FIELD_HINTS[last]) return `write ${FIELD_HINTS[last]}`;
  if (expected === 'array' && typeof value === 'string')
    return `write a list: ["${value.length <= 40 ? value : '...'}"]`;
  if (
    (expected === 'number' || expected === 'int') &&
    typeof value === 'string' &&
    /^\s*-?\d+(\.\d+)?\s*$/.test(value)
  ) {
    return `remove the quotes: ${value.trim()}`;
  }
  if (expected === 'boolean' && (value === 'true' || value === 'false')) return `remove the quotes: ${value}`;
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return `quote it: "${value}"`;
  return undefined;
}
