/**
 * A registry of secret values that must never be printed. Every log line, error and status
 * output passes through `redact()`. Credentials register what they resolve.
 */
import { escapeRegExp } from '../util/text.js';
export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;

  /**
   * Registers a secret in every spelling it may take in our output: as is, JSON-escaped (pino's JSON
   * lines write `"` and `\` escaped) and URL-encoded (a token inside a logged URL).
   */
  add(value: string | undefined): void {
    // Very short values would mask ordinary words; they are not plausible secrets.
    if (!value || value.length < 4 || this.secrets.has(value)) return;
    for (const spelling of new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)])) {
      this.secrets.add(spelling);
    }
    this.pattern = undefined;
  }

  get size(): number {
    return this.secrets.size;
  }

  redact(text: string): string {
    if (this.secrets.size === 0) return text;
    if (!this.pattern) {
      const alts = [...this.secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.pattern = new RegExp(alts.join('|'), 'g');
    }
    return text.replace(this.pattern, (m) => mask(m));
  }
}

/** A text transform that masks registered secrets (what the upstream layer is given). */
export type RedactFn = (text: string) => string;

/**
 * Masks every string inside a JSON-like value (error `data` an upstream sent): keys and values,
 * nested arrays and objects. Returns the value itself when nothing needed masking.
 */
export function redactDeep<T>(value: T, redact: RedactFn, depth = 0): T {
  if (typeof value === 'string') return redact(value) as T;
  // Deeper than any error payload worth showing; left as is rather than recursing without end.
  if (!value || typeof value !== 'object' || depth > 32) return value;
  if (Array.isArray(value)) {
    const out = value.map((v) => redactDeep(v, redact, depth + 1));
    return (out.some((v, i) => v !== value[i]) ? out : value) as T;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const key = redact(k);
    const masked = redactDeep(v, redact, depth + 1);
    if (key !== k || masked !== v) changed = true;
    out[key] = masked;
  }
  return (changed ? out : value) as T;
}

/** Masks a secret for display: keeps a hint of its shape, never enough to use it. */
export function mask(value: string): string {
  if (value.length <= 8) return '****';
  return `${value.slice(0, 2)}****${value.slice(-2)}`;
}
