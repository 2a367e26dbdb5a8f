/** The work behind `mcp-proxy keys` (imported lazily by the command). */
import path from 'node:path';
import { AppError } from '../errors.js';
import { createKey, defaultKeysFile, parseDuration, readKeysFile, revokeKey } from '../gateway/keys.js';
import type { KeysArgs } from './commands/keys.js';
import type { CliContext } from './context.js';
import { credentialChainFor } from './credentialOptions.js';
import { readRawConfig } from './credentialsActions.js';
import { locateConfigFor } from './locate.js';

export async function keysAction(args: KeysArgs, ctx: CliContext): Promise<number> {
  if (!args.action) {
    throw new AppError('USAGE', 'name an action: keys create NAME, keys list or keys revoke NAME', {
      hint: 'run `mcp-proxy keys --help`',
    });
  }
  const file = await keysFileFor(args, ctx);
  if (args.action === 'list') return list(file, args, ctx);
  if (!args.name) {
    throw new AppError('USAGE', `keys ${args.action} needs a NAME`, { hint: `mcp-proxy keys ${args.action} alice` });
  }
  if (args.action === 'revoke') {
    revokeKey(file, args.name);
    ctx.stderr.write(`revoked key "${args.name}" (${file}); a running proxy refuses it from now on\n`);
    return 0;
  }
  const ttlMs = args.expires ? parseDuration(args.expires) : undefined;
  const { key, record } = createKey(file, { name: args.name, roles: args.role, profile: args.profile, ttlMs });
  // The key on stdout alone (scripts capture it); what to do with it on stderr.
  ctx.stdout.write(`${key}\n`);
  ctx.stderr.write(
    `created key "${args.name}"${record.roles.length ? ` (roles: ${record.roles.join(', ')})` : ''}` +
      `${record.profile ? `, profile ${record.profile}` : ''}` +
      `${record.expires ? `, expires ${record.expires}` : ''} in ${file}.\n` +
      'It is shown only this once: clients send it as "Authorization: Bearer <key>".\n',
  );
  return 0;
}

function list(file: string, args: KeysArgs, ctx: CliContext): number {
  const keys = Object.entries(readKeysFile(file).keys).map(([name, r]) => ({
    name,
    roles: r.roles,
    ...(r.profile ? { profile: r.profile } : {}),
    created: r.created,
    ...(r.expires ? { expires: r.expires, expired: Date.parse(r.expires) <= Date.now() } : {}),
  }));
  if (args.json) {
    ctx.stdout.write(`${JSON.stringify({ file, keys }, null, 2)}\n`);
    return 0;
  }
  if (!keys.length) {
    ctx.stdout.write(`no keys in ${file}\n`);
    return 0;
  }
  for (const k of keys) {
    const extra = [
      k.roles.length ? `roles: ${k.roles.join(', ')}` : '',
      k.profile ? `profile: ${k.profile}` : '',
      `created ${k.created}`,
      k.expires ? `${k.expired ? 'EXPIRED' : 'expires'} ${k.expires}` : '',
    ].filter(Boolean);
    ctx.stdout.write(`${k.name}  ${extra.join('; ')}\n`);
  }
  return 0;
}

/** --keys-file, else the config's proxy.auth.keysFile (relative to the config), else beside the credentials file. */
async function keysFileFor(args: KeysArgs, ctx: CliContext): Promise<string> {
  if (args.keysFile) return path.resolve(ctx.cwd, args.keysFile);
  const located = locateConfigFor(ctx, args.config);
  if (located) {
    const raw = (await readRawConfig(located.path)).value as { proxy?: { auth?: { keysFile?: unknown } } };
    const configured = raw?.proxy?.auth?.keysFile;
    if (typeof configured === 'string') return path.resolve(path.dirname(located.path), configured);
  }
  return defaultKeysFile(credentialChainFor(args, ctx).credentialsFile);
}
