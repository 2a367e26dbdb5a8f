// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what these commands write
/**
 * `import`: a client's servers into the proxy config, their literal secrets into the credentials file
 * (asked first), and with --write the client pointed at the proxy. Every file is written atomically
 * with a backup of what it replaces, and secret values are only ever shown masked.
 */
import readline from 'node:readline';
import { resolveUserPath } from '../../config/locate.js';
import { readCredentialsFile } from '../../credentials/sources.js';
import { writeCredential } from '../../credentials/store.js';
import { AppError } from '../../errors.js';
import {
  CLIENT_LABELS,
  CLIENTS,
  type ClientConfigLocation,
  type ClientId,
  clientConfigLocation,
  type EntryDeployment,
  isClientId,
  PROXY_ENTRY_NAME,
} from '../../generate/clients.js';
import { analyzeImport, buildImport, type SourceServers, workspaceFolderOf } from '../../generate/importer.js';
import { readJsonFile, writeFileAtomic } from '../../generate/jsonFile.js';
import { CREDENTIAL_PLACEHOLDER } from '../../generate/restore.js';
import { mask } from '../../observability/redact.js';
import type { ImportArgs } from '../args.js';
import type { CliContext } from '../context.js';
import { credentialChainFor } from '../credentialOptions.js';
import { describeWrite, note, out, proxyConfigPath } from './output.js';
import { mergeProxyEntry, proxyEntry } from './proxyEntry.js';

/** `text` with each moved secret replaced by `${mcp-proxy-credential:NAME}` (JSON and TOML escape alike). */
function withPlaceholders(text: string, secrets: { secret: string; variable: string }[]): string {
  let out = text;
  for (const s of secrets) {
    const escaped = JSON.stringify(s.secret).slice(1, -1);
    out = out.split(escaped).join(`\${${CREDENTIAL_PLACEHOLDER}${s.variable}}`);
  }
  return out;
}

function importSource(args: ImportArgs, ctx: CliContext): { source: SourceServers; location?: ClientConfigLocation } {
  const isClient = (CLIENTS as readonly string[]).includes(args.from);
  if (isClient) {
    const location = clientConfigLocation(args.from as ClientId, ctx, args.project);
    const f = readJsonFile(location.file, `${CLIENT_LABELS[location.client]} config`, true);
    return {
      location,
      source: {
        file: f.file,
        text: f.text,
        value: f.value,
        key: location.key,
        format: location.format,
        client: location.client,
        workspaceFolder: workspaceFolderOf(f.file),
        homedir: ctx.homedir,
      },
    };
  }
  const file = resolveUserPath(args.from, ctx);
  // A backup (`config.toml.bak-...`) is read in the format of the file it was taken from.
  const format = /\.toml(\.bak-[^/\\]*)?$/i.test(file) ? 'toml' : 'json';
  const f = readJsonFile(file, 'client config', true, format);
  const keys = ['mcpServers', 'servers', 'context_servers', 'mcp_servers'] as const;
  const key = keys.find((k) => f.value[k] !== undefined);
  if (key === undefined) {
    throw new AppError(
      'CONFIG_INVALID',
      `${file} holds no "mcpServers" (or "servers", "context_servers", mcp_servers) object`,
      {
        hint: `name a client (${CLIENTS.join(', ')}) or a file with {"mcpServers": {...}}; nothing was written`,
      },
    );
  }
  const byKey: Record<(typeof keys)[number], ClientId> = {
    mcpServers: 'claude-desktop',
    servers: 'vscode',
    context_servers: 'zed',
    mcp_servers: 'codex',
  };
  const dialect: ClientId = args.client ?? byKey[key];
  return {
    location: { client: dialect, file, key, scope: 'global', format },
    source: {
      file,
      text: f.text,
      value: f.value,
      key,
      format,
      client: dialect,
      workspaceFolder: workspaceFolderOf(file),
      homedir: ctx.homedir,
    },
  };
}

async function confirm(question: string, ctx: CliContext): Promise<boolean> {
  const rl = readline.createInterface({ input: ctx.stdin, output: ctx.stderr, terminal: false });
  try {
    const answer: string = await new Promise((resolve) => rl.question(question, resolve));
    return /^(y|yes|)$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

function serverSummary(entry: Record<string, unknown>): string {
  if (typeof entry.command === 'string') {
    const args = Array.isArray(entry.args) ? entry.args.join(' ') : '';
    return `${entry.command}${args ? ` ${args}` : ''}`;
  }
  if (typeof entry.url === 'string') return entry.url;
  if (typeof entry.image === 'string') return `docker ${entry.image}`;
  return '';
}

type Analysis = ReturnType<typeof analyzeImport>;
type ImportTexts = ReturnType<typeof buildImport>;
type ProxyTarget = ReturnType<typeof proxyConfigPath>;

export async function importServers(args: ImportArgs, ctx: CliContext): Promise<number> {
  const { source, location } = importSource(args, ctx);
  if (source.value[source.key] !== undefined) {
    const v = source.value[source.key];
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      throw new AppError('CONFIG_INVALID', `"${source.key}" in ${source.file} is not an object of servers`, {
        hint: 'nothing was written',
      });
    }
  }
  const proxy = proxyConfigPath(args.config, ctx);
  const proxyFile = readJsonFile(proxy.file, 'proxy config', false);
  const proxyServers = proxyFile.value.mcpServers ?? {};
  if (!proxyServers || typeof proxyServers !== 'object' || Array.isArray(proxyServers)) {
    throw new AppError('CONFIG_INVALID', `"mcpServers" in ${proxy.file} is not an object`, {
      hint: 'nothing was written',
    });
  }
  const credentialsFile = credentialChainFor(args, ctx).credentialsFile;
  const existingCredentials = readCredentialsFile({ path: credentialsFile, platform: ctx.platform }) ?? {};

  const a = analyzeImport(source, proxyServers as Record<string, unknown>, existingCredentials);
  for (const s of a.secrets) ctx.redactor.add(s.secret);
  out(ctx, planLines(a, source, proxy).join('\n'));
  const moveSecrets = await askToMoveSecrets(a, args, credentialsFile, ctx);

  const deployment = args.deployment ?? (ctx.deployment.kind as Exclude<EntryDeployment, 'remote'>);
  const clientEntry =
    args.write && location
      ? {
          name: PROXY_ENTRY_NAME,
          entry: proxyEntry(
            location.client,
            deployment,
            { configPath: proxy.file, credentials: args.credentials, image: args.image ?? ctx.env.MCP_PROXY_IMAGE },
            ctx,
          ),
        }
      : undefined;
  const texts = buildImport(a, {
    proxyText: proxyFile.text,
    existingCredentials,
    moveSecrets,
    source,
    clientEntry,
    proxyFormat: /\.ya?ml$/i.test(proxy.file) ? 'yaml' : 'json',
  });
  if (texts.clientText !== undefined && location && clientEntry) {
    // VS Code remote inputs are not needed for local entries; merge keeps everything else.
    texts.clientText = mergeProxyEntry(texts.clientText, location, clientEntry.entry);
  }

  if (args.dryRun) {
    out(ctx, await dryRunDiff(texts, { proxy: proxy.file, proxyText: proxyFile.text, source, credentialsFile }));
    if (!args.yes && a.secrets.length) note(ctx, 'note: the diff assumes you accept moving the secrets (--yes).');
    return 0;
  }
  const written = writeImport(texts, a, { proxy: proxy.file, source, credentialsFile, moveSecrets, args, ctx });
  out(ctx, ['', ...written].join('\n'));
  if (!args.write && (a.imported.length || a.unchanged.length)) {
    const from = (CLIENTS as readonly string[]).includes(args.from) ? args.from : undefined;
    note(
      ctx,
      from
        ? `Next: point ${CLIENT_LABELS[from as ClientId]} at the proxy with \`mcp-proxy import --from ${from} --write\` ` +
            `(removes the imported entries there) or \`mcp-proxy generate client-config --client ${from} --write\`.`
        : 'Next: point your client at the proxy with `mcp-proxy generate client-config --client <client> --write`.',
    );
  }
  return 0;
}

/** What the import will do, one line a server, then the literal secrets found (masked). */
function planLines(a: Analysis, source: SourceServers, proxy: ProxyTarget): string[] {
  const lines = [`from ${source.file}`, `into ${proxy.file}${proxy.exists ? '' : ' (new)'}`, ''];
  for (const s of a.imported) {
    lines.push(
      a.literal.includes(s.name)
        ? `  ~ ${s.name}  already in the proxy config, with literal secrets`
        : `  + ${s.name}  ${serverSummary(s.entry)}`,
    );
  }
  for (const s of a.unchanged) lines.push(`  = ${s.name}  already in the proxy config`);
  for (const r of a.renamed)
    lines.push(`  ~ "${r.from}" is imported as "${r.to}" (names use letters, digits, _ and -)`);
  for (const c of a.clashes) lines.push(`  ! ${c.clientName}  not imported: ${c.reason}`);
  for (const s of a.skipped) lines.push(`  ? ${s.name}  skipped (left in the client): ${s.reason}`);
  for (const p of a.proxyEntries) lines.push(`  · ${p}  is the proxy itself (left as is)`);
  if (a.imported.length + a.unchanged.length + a.clashes.length + a.skipped.length === 0) {
    lines.push(`  (no servers under "${source.key}")`);
  }
  if (a.secrets.length) {
    lines.push('', `Literal secrets found (${a.secrets.length}):`);
    for (const s of a.secrets) {
      const where = s.field === 'args' ? `args[${s.key}]` : s.field === 'url' ? 'url' : `${s.field}.${s.key}`;
      lines.push(`  ${s.server} ${where} = ${mask(s.secret)}  ->  \${${s.variable}}`);
    }
  }
  return lines;
}

/** Whether to move the literal secrets into the credentials file: --yes / --dry-run, else ask on a terminal. */
async function askToMoveSecrets(
  a: Analysis,
  args: ImportArgs,
  credentialsFile: string,
  ctx: CliContext,
): Promise<boolean> {
  if (!a.secrets.length) return false;
  if (args.yes || args.dryRun) return true;
  if (ctx.stdin.isTTY) {
    return confirm(
      `Move ${a.secrets.length} secret(s) into ${credentialsFile} (mode 0600) and reference them as \${VAR}? [Y/n] `,
      ctx,
    );
  }
  // Without a terminal nobody can answer: writing literal secrets now would strand them.
  throw new AppError(
    'USAGE',
    `${a.secrets.length} literal secret(s) found and no terminal to ask; nothing was written`,
    {
      hint: `run again with --yes to move them into ${credentialsFile} (mode 0600) as \${VAR} references, or with --dry-run to see the plan`,
    },
  );
}

async function dryRunDiff(
  texts: ImportTexts,
  o: { proxy: string; proxyText: string; source: SourceServers; credentialsFile: string },
): Promise<string> {
  const { createTwoFilesPatch } = await import('diff');
  const diffs: string[] = [];
  if (texts.proxyText !== o.proxyText) {
    diffs.push(createTwoFilesPatch(o.proxy, o.proxy, o.proxyText, texts.proxyText, '', '', { context: 3 }));
  }
  const { file, text } = o.source;
  if (texts.clientText !== undefined && texts.clientText !== text) {
    diffs.push(createTwoFilesPatch(file, file, text, texts.clientText, '', '', { context: 3 }));
  }
  const creds = Object.keys(texts.credentials);
  if (creds.length) {
    diffs.push(
      [
        `--- ${o.credentialsFile}`,
        `+++ ${o.credentialsFile}`,
        ...creds.map((n) => `+ ${n}: ${mask(texts.credentials[n])}`),
      ].join('\n'),
    );
  }
  return ['', 'Dry run: nothing was written. The changes would be:', '', ...diffs].join('\n');
}

/** Writes credentials first, then the proxy config, then the client, so an interruption never loses a server. */
function writeImport(
  texts: ImportTexts,
  a: Analysis,
  o: {
    proxy: string;
    source: SourceServers;
    credentialsFile: string;
    moveSecrets: boolean;
    args: ImportArgs;
    ctx: CliContext;
  },
): string[] {
  const { ctx, source, credentialsFile } = o;
  const written: string[] = [];
  for (const [name, value] of Object.entries(texts.credentials)) {
    writeCredential({ file: credentialsFile, name, value, platform: ctx.platform });
  }
  if (Object.keys(texts.credentials).length) {
    written.push(`stored ${Object.keys(texts.credentials).join(', ')} in ${credentialsFile} (mode 0600)`);
  }
  const proxyResult = writeFileAtomic(o.proxy, texts.proxyText, {
    mode: 0o644,
    forceMode: texts.literalSecrets ? 0o600 : undefined,
    platform: ctx.platform,
  });
  written.push(describeWrite(proxyResult));
  if (texts.clientText === undefined) return written;
  // The backup must not keep what was just moved: placeholders that `restore` fills in again.
  const moved = o.moveSecrets ? a.secrets : [];
  const r = writeFileAtomic(source.file, texts.clientText, {
    platform: ctx.platform,
    backupText: moved.length ? withPlaceholders(source.text, moved) : undefined,
    backupMode: a.secrets.length ? 0o600 : undefined,
  });
  written.push(describeWrite(r));
  if (r.backup && moved.length) {
    const restore = isClientId(o.args.from) ? ` --client ${o.args.from}` : ` --file ${source.file}`;
    written.push(
      `  the backup holds ${moved.map((m) => `\${${CREDENTIAL_PLACEHOLDER}${m.variable}}`).join(', ')} where the secrets were; ` +
        `\`mcp-proxy restore${restore}\` fills them in`,
    );
  } else if (r.backup && a.secrets.length) {
    written.push(`  the backup keeps the literal secrets (mode 0600): delete it once the client works`);
  }
  return written;
}
