/**
 * `generate systemd`: the unit for this copy (its node and bundle, or the standalone binary), printed or
 * written with --output. The config and credentials paths are where the service reads them, by default
 * under /etc/mcp-proxy; they need not exist here.
 */
import path from 'node:path';
import { resolveUserPath } from '../../config/locate.js';
import { AppError } from '../../errors.js';
import { writeFileAtomic } from '../../generate/jsonFile.js';
import { renderSystemdUnit, underHome } from '../../generate/systemd.js';
import { VERSION } from '../../version.js';
import type { GenerateArgs } from '../args.js';
import type { CliContext } from '../context.js';
import { describeWrite, note, out } from './output.js';

export const SYSTEM_CONFIG = '/etc/mcp-proxy/config.json';
export const SYSTEM_CREDENTIALS = '/etc/mcp-proxy/credentials.json';

export async function generateSystemd(args: GenerateArgs, ctx: CliContext): Promise<number> {
  if (ctx.platform !== 'linux') {
    note(ctx, `note: systemd units are for Linux; this is ${ctx.platform}, so the paths below are this machine's`);
  }
  if (ctx.deployment.kind === 'npx' || ctx.deployment.kind === 'docker') {
    throw new AppError(
      'USAGE',
      `generate systemd needs an installed copy, but this one runs from ${ctx.deployment.kind}`,
      {
        hint: 'install the standalone binary or the npm package (docs/install.md) and run it from there; nothing was written',
      },
    );
  }
  const launch = ctx.deployment.kind === 'binary' ? [ctx.execPath] : [ctx.execPath, path.resolve(ctx.entry)];
  const configPath = args.config ? resolveUserPath(args.config, ctx) : SYSTEM_CONFIG;
  const credentialsPath = args.credentials ? resolveUserPath(args.credentials, ctx) : SYSTEM_CREDENTIALS;
  const text = renderSystemdUnit({
    version: VERSION,
    launch,
    configPath,
    credentialsPath,
    host: args.host,
    port: args.port,
    user: args.user,
  });
  if ([...launch, configPath].some(underHome)) {
    note(
      ctx,
      `note: ${[...launch, configPath].find(underHome)} is in a home directory: the service user must be able to read it (install to /opt or /usr/local for a system service)`,
    );
  }
  if (!args.output) {
    ctx.stdout.write(text);
    return 0;
  }
  const file = resolveUserPath(args.output, ctx);
  out(ctx, describeWrite(writeFileAtomic(file, text, { mode: 0o644, platform: ctx.platform })));
  note(
    ctx,
    `Install it: sudo cp ${file} /etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now ${path.basename(file, '.service')}`,
  );
  return 0;
}
