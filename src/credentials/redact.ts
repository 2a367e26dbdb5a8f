/**
 * Registers a secret with the redactor in every spelling it may take in our output, so masking does not
 * depend on how a line was serialized: as is, JSON-escaped (pino's JSON lines write `"` and `\` as `\"` and
 * `\\`, and control characters as `\n`...), and URL-encoded (a token inside a logged URL).
 * Masking itself is src/observability/redact.ts (`Redactor`, `mask`).
 */
import type { Redactor } from '../observability/redact.js';

export function registerSecret(redactor: Redactor | undefined, value: string): void {
  if (!redactor || !value) return;
  redactor.add(value);
  const json = JSON.stringify(value).slice(1, -1);
  if (json !== value) redactor.add(json);
  const url = encodeURIComponent(value);
  if (url !== value) redactor.add(url);
}
