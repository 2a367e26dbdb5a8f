/**
 * Registers a secret with the redactor. `Redactor.add` (src/observability/redact.ts) covers every
 * spelling a value may take in our output (as is, JSON-escaped, URL-encoded).
 */
import type { Redactor } from '../observability/redact.js';

export function registerSecret(redactor: Redactor | undefined, value: string): void {
  if (!redactor || !value) return;
  redactor.add(value);
}
