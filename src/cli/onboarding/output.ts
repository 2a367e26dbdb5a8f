/**
 * Shared by the onboarding commands (`generate`, `import`, `init`): results go to stdout, notes and
 * warnings to stderr, both through the redactor; and which proxy config file they work on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { resolveUserPath } from '../../config/locate.js';
import type { WriteResult } from '../../generate/jsonFile.js';
import { userConfigDir } from '../../util/paths.js';
import type { CliContext } from '../context.js';
import { locateConfigFor } from '../locate.js';

export function out(ctx: CliContext, text: string): void {
  ctx.stdout.write(`${ctx.redactor.redact(text)}\n`);
}
export function note(ctx: CliContext, text: string): void {
  ctx.stderr.write(`${ctx.redactor.redact(text)}\n`);
}

export function describeWrite(r: WriteResult): string {
  if (!r.changed) return `${r.file}: unchanged (already up to date)`;
  if (r.created) return `created ${r.file}`;
  return `updated ${r.file}${r.backup ? ` (backup: ${r.backup})` : ''}`;
}

export /** The proxy config path: --config (need not exist), else what `run` finds, else the user config dir. */
function proxyConfigPath(config: string | undefined, ctx: CliContext): { file: string; exists: boolean } {
  if (config) {
    const file = resolveUserPath(config, ctx);
    return { file, exists: fs.existsSync(file) };
  }
  const located = locateConfigFor(ctx);
  if (located) return { file: located.path, exists: true };
  return { file: path.join(userConfigDir(ctx), 'config.json'), exists: false };
}
