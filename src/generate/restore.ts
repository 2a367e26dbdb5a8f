// biome-ignore-all lint/suspicious/noTemplateCurlyInString: placeholders are what this module reads
/**
 * Backups of client configs, as `--write` leaves them (`<file>.bak-YYYYMMDDTHHMMSSZ`), and the
 * placeholders `import` leaves in them where it moved a secret out: `${mcp-proxy-credential:NAME}`.
 * No client uses that syntax, so `restore` can fill exactly these back in from the credentials store.
 */
import fs from 'node:fs';
import path from 'node:path';

export const CREDENTIAL_PLACEHOLDER = 'mcp-proxy-credential:';
const PLACEHOLDER = /\$\{mcp-proxy-credential:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The backups of `file`, oldest first. */
export function listBackups(file: string): string[] {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.bak-`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const stamp = (n: string) => {
    // YYYYMMDDTHHMMSSZ, then the -2, -3 ... of backups taken within one second.
    const m = /^(\d{8}T\d{6}Z)(?:-(\d+))?$/.exec(n.slice(prefix.length));
    return m ? `${m[1]}-${(m[2] ?? '1').padStart(6, '0')}` : undefined;
  };
  return names
    .filter((n) => n.startsWith(prefix) && stamp(n) !== undefined)
    .sort((a, b) => (stamp(a) as string).localeCompare(stamp(b) as string))
    .map((n) => path.join(dir, n));
}

/** Replaces each placeholder with its value (JSON-escaped); names without a value are returned as missing. */
export function fillPlaceholders(
  text: string,
  lookup: (name: string) => string | undefined,
): { text: string; filled: string[]; missing: string[] } {
  const filled = new Set<string>();
  const missing = new Set<string>();
  const out = text.replace(PLACEHOLDER, (m, name: string) => {
    const value = lookup(name);
    if (value === undefined) {
      missing.add(name);
      return m;
    }
    filled.add(name);
    return JSON.stringify(value).slice(1, -1);
  });
  return { text: out, filled: [...filled], missing: [...missing] };
}
