/** `generate client-config`: the proxy's entry for one client, printed or merged into its config file. */
import { shellQuote } from '../../credentials/sources.js';
import { AppError } from '../../errors.js';
import {
  CLIENT_LABELS,
  CLIENTS,
  clientConfigLocation,
  PROXY_ENTRY_NAME,
  remoteTokenNote,
  vscodeTokenInput,
} from '../../generate/clients.js';
import { readJsonFile, setServerEntry, writeFileAtomic } from '../../generate/jsonFile.js';
import type { GenerateArgs } from '../args.js';
import type { CliContext } from '../context.js';
import { describeWrite, note, out, proxyConfigPath } from './output.js';
import { deploymentFor, mergeProxyEntry, proxyEntry } from './proxyEntry.js';

export async function generateClientConfig(args: GenerateArgs, ctx: CliContext): Promise<number> {
  if (!args.client) {
    throw new AppError('USAGE', 'generate client-config needs --client', {
      hint: `one of ${CLIENTS.join(', ')}, e.g. \`mcp-proxy generate client-config --client claude-desktop\``,
    });
  }
  const client = args.client;
  const deployment = deploymentFor(args.deployment, ctx);
  if (args.url && deployment !== 'remote') {
    throw new AppError('USAGE', '--url is for --deployment remote', { hint: 'add --deployment remote' });
  }
  const config = proxyConfigPath(args.config, ctx);
  const entry = proxyEntry(
    client,
    deployment,
    {
      configPath: config.file,
      credentials: args.credentials,
      url: args.url,
      image: args.image ?? ctx.env.MCP_PROXY_IMAGE,
    },
    ctx,
  );
  const location = clientConfigLocation(client, ctx, args.project);

  if (deployment !== 'remote' && !config.exists) {
    note(
      ctx,
      `note: ${config.file} does not exist yet; create it with \`mcp-proxy init\` or \`mcp-proxy import --from ${client}\``,
    );
  }
  if (deployment === 'remote') {
    const tokenNote = remoteTokenNote(client);
    if (tokenNote) note(ctx, `note: ${tokenNote}`);
  }
  if (deployment === 'docker') {
    note(ctx, 'note: the image must exist locally or in a registry you can pull from (see docs/onboarding.md)');
  }

  if (!args.write) {
    const snippet: Record<string, unknown> = { [location.key]: { [PROXY_ENTRY_NAME]: entry } };
    if (client === 'vscode' && deployment === 'remote') snippet.inputs = [vscodeTokenInput()];
    out(
      ctx,
      location.format === 'toml'
        ? setServerEntry('', location, PROXY_ENTRY_NAME, entry).trimEnd()
        : JSON.stringify(snippet, null, 2),
    );
    note(
      ctx,
      `Add this to ${location.file} (${CLIENT_LABELS[client]}), keeping your other entries, or run it again with --write.`,
    );
    if (client === 'claude-code') {
      const scope = args.project ? 'project' : 'user';
      note(ctx, `Or: claude mcp add-json ${PROXY_ENTRY_NAME} ${shellQuote(JSON.stringify(entry))} --scope ${scope}`);
    }
    return 0;
  }
  const current = readJsonFile(location.file, `${CLIENT_LABELS[client]} config`, false);
  const next = mergeProxyEntry(current.text, location, entry);
  const result = writeFileAtomic(location.file, next, { mode: 0o600, platform: ctx.platform });
  out(ctx, describeWrite(result));
  if (result.changed) note(ctx, `Restart ${CLIENT_LABELS[client]} to pick up the "${PROXY_ENTRY_NAME}" entry.`);
  return 0;
}
