/**
 * A registry of secret values that must never be printed. Every log line, error and status
 * output passes through `redact()`. Credentials register what they resolve.
 */
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

/** Masks a secret for display: keeps a hint of its shape, never enough to use it. */
export function mask(value: string): string {
  if (value.length <= 8) return '****';
  return `${value.slice(0, 2)}****${value.slice(-2)}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
