/** `init`: a starter config (and with --docker, the compose setup around it). */
import fs from 'node:fs';
import path from 'node:path';
import { resolveUserPath } from '../../config/locate.js';
import { AppError } from '../../errors.js';
import { writeFileAtomic } from '../../generate/jsonFile.js';
import { renderStarterConfig, schemaReference } from '../../generate/starter.js';
import { userConfigDir } from '../../util/paths.js';
import type { InitArgs } from '../args.js';
import type { CliContext } from '../context.js';
import { reportCompose, writeCompose } from './compose.js';
import { describeWrite, note, out } from './output.js';

export async function initConfig(args: InitArgs, ctx: CliContext): Promise<number> {
  const file = args.config ? resolveUserPath(args.config, ctx) : path.join(userConfigDir(ctx), 'config.json');
  if (/\.ya?ml$/i.test(file)) {
    throw new AppError('USAGE', `init writes JSON; ${file} is a YAML name`, { hint: 'use a .json file name' });
  }
  if (fs.existsSync(file) && !args.force) {
    throw new AppError('USAGE', `${file} already exists; nothing was written`, {
      hint: args.docker
        ? `for a compose setup around it, run \`mcp-proxy generate compose --config ${file}\` (or --force to start over)`
        : 'pass --force to replace it (a backup is kept), or --config <other file>',
    });
  }
  const schema = schemaReference({ configFile: file, entry: ctx.entry, deployment: ctx.deployment.kind });
  const result = writeFileAtomic(file, renderStarterConfig({ schema }), { mode: 0o644, platform: ctx.platform });
  out(ctx, describeWrite(result));
  if (args.docker) {
    const r = await writeCompose(
      { configFile: file, output: args.output, image: args.image ?? ctx.env.MCP_PROXY_IMAGE, port: args.port },
      ctx,
    );
    reportCompose(r, ctx);
  }
  note(ctx, 'Next:');
  note(ctx, '  mcp-proxy import --from claude-desktop --dry-run      bring in the servers a client already has');
  note(ctx, `  mcp-proxy validate --config ${file}`);
  note(ctx, '  mcp-proxy generate client-config --client claude-desktop --write');
  return 0;
}
