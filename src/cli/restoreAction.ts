/** The work behind `mcp-proxy restore` (imported lazily). */
import { resolveUserPath } from '../config/locate.js';
import { AppError } from '../errors.js';
import { CLIENT_LABELS, CLIENTS, clientConfigLocation, isClientId } from '../generate/clients.js';
import { parseJsonObject, writeFileAtomic } from '../generate/jsonFile.js';
import { fillPlaceholders, listBackups } from '../generate/restore.js';
import { parseTomlObject } from '../generate/tomlFile.js';
import { readTextFileSync } from '../util/textFile.js';
import type { RestoreArgs } from './args.js';
import type { CliContext } from './context.js';
import { credentialChainFor } from './credentialOptions.js';

export async function restoreClientConfig(args: RestoreArgs, ctx: CliContext): Promise<number> {
  if (!args.client === !args.file) {
    throw new AppError('USAGE', 'restore needs --client NAME or --file FILE (one of them)', {
      hint: `clients: ${CLIENTS.join(', ')}`,
    });
  }
  if (args.client && !isClientId(args.client)) {
    throw new AppError('USAGE', `unknown client "${args.client}"`, { hint: `one of ${CLIENTS.join(', ')}` });
  }
  const location = args.client
    ? clientConfigLocation(args.client as (typeof CLIENTS)[number], ctx, args.project)
    : undefined;
  const file = location?.file ?? resolveUserPath(args.file as string, ctx);
  const backups = listBackups(file);
  if (args.list) {
    ctx.stdout.write(backups.length ? `${backups.join('\n')}\n` : '');
    if (!backups.length) ctx.stderr.write(`no backups of ${file}\n`);
    return 0;
  }
  const backup = args.backup ? resolveUserPath(args.backup, ctx) : backups.at(-1);
  if (!backup) {
    throw new AppError('CONFIG_NOT_FOUND', `no backup of ${file} to restore`, {
      hint: 'backups are made by `generate client-config --write` and `import --write` (named <file>.bak-<time>)',
    });
  }
  let text: string;
  try {
    text = readTextFileSync(backup);
  } catch (e) {
    throw new AppError('CONFIG_NOT_FOUND', `cannot read the backup ${backup}: ${(e as Error).message}`, {
      hint: `\`mcp-proxy restore ${args.client ? `--client ${args.client}` : `--file ${file}`} --list\` shows the backups`,
    });
  }
  const chain = credentialChainFor(args, ctx);
  const filled = fillPlaceholders(text, (n) => chain.lookup(n));
  if (filled.missing.length) {
    throw new AppError(
      'CREDENTIALS_MISSING',
      `the backup needs ${filled.missing.join(', ')}, which no credential source has`,
      {
        hint: `store it with \`mcp-proxy credentials set ${filled.missing[0]}\` (or pass --credentials FILE); nothing was written`,
      },
    );
  }
  // Refuse to put back something the client could not read.
  const format = location?.format ?? (/\.toml$/i.test(file) ? 'toml' : 'json');
  if (format === 'toml') parseTomlObject(filled.text, backup, 'backup');
  else parseJsonObject(filled.text, backup, 'backup');
  const r = writeFileAtomic(file, filled.text, {
    platform: ctx.platform,
    mode: 0o600,
    forceMode: filled.filled.length ? 0o600 : undefined,
  });
  if (!r.changed) {
    ctx.stdout.write(`${file}: unchanged (it already matches ${backup})\n`);
    return 0;
  }
  ctx.stdout.write(`restored ${file} from ${backup}${r.backup ? ` (what it replaced: ${r.backup})` : ''}\n`);
  if (filled.filled.length) {
    ctx.stderr.write(
      `note: ${filled.filled.join(', ')} filled in from the credentials store (the file is mode 0600)\n`,
    );
  }
  if (location) ctx.stderr.write(`Restart ${CLIENT_LABELS[location.client]} to pick it up.\n`);
  return 0;
}
