// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what these commands write
/**
 * The work behind `generate client-config`, `generate compose`, `import` and `init` (imported lazily).
 * Results go to stdout (the snippet, the plan, the diff); notes and warnings to stderr. Every file is
 * written atomically with a backup of what it replaces, and secret values are only ever shown masked.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { DEFAULTS } from '../config/defaults.js';
import { locateConfig, resolveUserPath } from '../config/locate.js';
import { parseSource } from '../config/parse.js';
import { substitute } from '../config/substitute.js';
import { readCredentialsFile, shellQuote } from '../credentials/sources.js';
import { writeCredential } from '../credentials/store.js';
import { AppError } from '../errors.js';
import {
  CLIENT_LABELS,
  CLIENTS,
  type ClientConfigLocation,
  type ClientId,
  clientConfigLocation,
  type EntryDeployment,
  isClientId,
  PACKAGE_NAME,
  PROXY_ENTRY_NAME,
  remoteEntry,
  remoteTokenNote,
  stdioEntry,
  stdioLaunch,
  TOKEN_VARIABLE,
  VSCODE_TOKEN_INPUT,
  vscodeTokenInput,
} from '../generate/clients.js';
import { generateToken, renderCompose } from '../generate/compose.js';
import { analyzeImport, buildImport, SCHEMA_URL, type SourceServers, workspaceFolderOf } from '../generate/importer.js';
import {
  appendJsonArray,
  parseJsonObject,
  readJsonFile,
  setJsonValue,
  setServerEntry,
  setYamlValue,
  type WriteResult,
  writeFileAtomic,
} from '../generate/jsonFile.js';
import { CREDENTIAL_PLACEHOLDER } from '../generate/restore.js';
import { renderStarterConfig, schemaReference } from '../generate/starter.js';
import { mask } from '../observability/redact.js';
import { userConfigDir } from '../util/paths.js';
import { VERSION } from '../version.js';
import type { GenerateArgs } from './commands/generate.js';
import type { ImportArgs } from './commands/import.js';
import type { InitArgs } from './commands/init.js';
import type { CliContext } from './context.js';
import { credentialChainFor } from './credentialOptions.js';

const DEFAULT_REMOTE_URL = `http://${DEFAULTS.host}:${DEFAULTS.port}/mcp`;

function out(ctx: CliContext, text: string): void {
  ctx.stdout.write(`${ctx.redactor.redact(text)}\n`);
}
function note(ctx: CliContext, text: string): void {
  ctx.stderr.write(`${ctx.redactor.redact(text)}\n`);
}

function describeWrite(r: WriteResult): string {
  if (!r.changed) return `${r.file}: unchanged (already up to date)`;
  if (r.created) return `created ${r.file}`;
  return `updated ${r.file}${r.backup ? ` (backup: ${r.backup})` : ''}`;
}

/** The proxy config path: --config (need not exist), else what `run` finds, else the user config dir. */
function proxyConfigPath(config: string | undefined, ctx: CliContext): { file: string; exists: boolean } {
  if (config) {
    const file = resolveUserPath(config, ctx);
    return { file, exists: fs.existsSync(file) };
  }
  const located = locateConfig({ env: ctx.env, cwd: ctx.cwd, homedir: ctx.homedir, platform: ctx.platform });
  if (located) return { file: located.path, exists: true };
  return { file: path.join(userConfigDir(ctx), 'config.json'), exists: false };
}

function deploymentFor(requested: string | undefined, ctx: CliContext): EntryDeployment {
  return (requested as EntryDeployment | undefined) ?? ctx.deployment.kind;
}

/** The entry (in `client`'s dialect) that starts or reaches the proxy. */
function proxyEntry(
  client: ClientId,
  deployment: EntryDeployment,
  o: { configPath: string; credentials?: string; url?: string; image?: string },
  ctx: CliContext,
): Record<string, unknown> {
  if (deployment === 'remote') return remoteEntry(client, o.url ?? DEFAULT_REMOTE_URL);
  if (deployment === 'binary' && ctx.deployment.kind !== 'binary') {
    // Our executable is node here: `node run --config ...` would fail in the client.
    throw new AppError(
      'USAGE',
      `--deployment binary needs the standalone binary, but this copy runs on ${ctx.execPath}`,
      {
        hint:
          'run this command with the binary itself (`/path/to/mcp-proxy generate client-config ...`), ' +
          'or use --deployment node (this install) or --deployment npx; nothing was written',
      },
    );
  }
  if (deployment === 'npx') {
    note(
      ctx,
      `note: npx fetches ${PACKAGE_NAME}@${VERSION} from your npm registry; until that version is published there, ` +
        'use --deployment node (this install) or binary',
    );
  }
  const chain = credentialChainFor({ credentials: o.credentials }, ctx);
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (deployment === 'docker' && root && (o.credentials || fs.existsSync(chain.credentialsFile))) {
    note(
      ctx,
      `note: running as root, the container keeps the image's non-root user (uid 1000): make ${chain.credentialsFile} ` +
        'readable by it (e.g. `chown 1000 FILE`), or use `mcp-proxy generate compose`, which hands it the secret files',
    );
  }
  const launch = stdioLaunch({
    deployment,
    configPath: o.configPath,
    credentialsFile: o.credentials ? chain.credentialsFile : undefined,
    mountCredentials: fs.existsSync(chain.credentialsFile) ? chain.credentialsFile : undefined,
    version: VERSION,
    execPath: ctx.execPath,
    entry: ctx.entry,
    platform: ctx.platform,
    image: o.image,
    user:
      ctx.platform === 'linux' && typeof process.getuid === 'function'
        ? `${process.getuid()}:${process.getgid?.() ?? process.getuid()}`
        : undefined,
  });
  return stdioEntry(client, launch);
}

/** Merges the proxy entry (and VS Code's token input) into a client config text. */
function mergeProxyEntry(
  text: string,
  location: Pick<ClientConfigLocation, 'key' | 'client' | 'format' | 'file'>,
  entry: Record<string, unknown>,
): string {
  let next = setServerEntry(text, location, PROXY_ENTRY_NAME, entry);
  if (location.client === 'vscode' && JSON.stringify(entry).includes(`\${input:${VSCODE_TOKEN_INPUT}}`)) {
    const value = parseJsonObject(next, 'VS Code config', 'VS Code config');
    const inputs = Array.isArray(value.inputs) ? value.inputs : [];
    if (!inputs.some((i) => i && typeof i === 'object' && (i as { id?: unknown }).id === VSCODE_TOKEN_INPUT)) {
      next = appendJsonArray(next, ['inputs'], vscodeTokenInput());
    }
  }
  return next;
}

// ------------------------------------------------------------------------------------------ client-config

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

// ------------------------------------------------------------------------------------------ compose

interface ComposeResult {
  outputDir: string;
  written: WriteResult[];
  missing: string[];
}

async function writeCompose(
  o: { configFile: string; output?: string; image?: string; port?: number; credentials?: string; envFile?: string },
  ctx: CliContext,
): Promise<ComposeResult> {
  let text = readText(o.configFile, 'proxy config');
  const parsed = parseSource(text, o.configFile);
  const syntax = parsed.problems.find((p) => p.severity === 'error');
  if (syntax || parsed.value === undefined) {
    const at = syntax?.line ? `:${syntax.line}:${syntax.column ?? 1}` : '';
    throw new AppError('CONFIG_PARSE', `config file ${o.configFile}${at}: ${syntax?.message ?? 'cannot be parsed'}`, {
      hint: 'run `mcp-proxy validate` for details; nothing was written',
    });
  }
  const chain = credentialChainFor({ credentials: o.credentials, envFile: o.envFile }, ctx);
  const sub = substitute(parsed.value, (n) => chain.lookup(n));
  const missingRequired = new Set(sub.missing.map((m) => m.name));
  // Variables with a value (secret files) or required but missing (listed for the user to fill in);
  // unset ones with a `${VAR:-default}` default are left to their default.
  const variables = sub.referenced.filter((n) => chain.lookup(n) !== undefined || missingRequired.has(n));

  const outputDir = resolveUserPath(o.output ?? '.', ctx);
  // The container runs as the user owning the 0600 secret files: us, unless we are root (never run the
  // proxy as root in the container: the image's node user, 1000, gets the files instead).
  const ours = typeof process.getuid === 'function' ? process.getuid() : 1000;
  const root = ours === 0;
  const uid = root ? 1000 : ours;
  const gid = root ? 1000 : typeof process.getgid === 'function' ? process.getgid() : 1000;
  const own = (f: string) => {
    if (root && ctx.platform !== 'win32') fs.chownSync(f, uid, gid);
  };
  const isYaml = parsed.format === 'yaml';
  // A relative $schema (init's, pointing at this install) means nothing beside the copy in the output dir.
  const schema = (parsed.value as { $schema?: unknown }).$schema;
  if (typeof schema === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(schema)) {
    text = isYaml ? setYamlValue(text, ['$schema'], SCHEMA_URL) : setJsonValue(text, ['$schema'], SCHEMA_URL);
  }
  const configName = isYaml ? 'mcp-proxy.yaml' : 'mcp-proxy.json';
  const plan = renderCompose({
    version: VERSION,
    image: o.image,
    port: o.port,
    user: `${uid}:${gid}`,
    variables,
    configName,
  });

  const written: WriteResult[] = [];
  const missing: string[] = [];
  const secretsDir = path.join(outputDir, 'secrets');
  for (const s of plan.secrets) {
    const file = path.join(secretsDir, s.name);
    if (s.variable === TOKEN_VARIABLE) {
      const existing = fs.existsSync(file);
      const value = existing ? undefined : generateToken();
      if (value !== undefined) {
        ctx.redactor.add(value);
        written.push(writeFileAtomic(file, `${value}\n`, { forceMode: 0o600, backup: false, platform: ctx.platform }));
      } else {
        fs.chmodSync(file, 0o600);
      }
      own(file);
      continue;
    }
    const value = chain.lookup(s.variable);
    if (value === undefined) {
      missing.push(s.variable);
      continue;
    }
    written.push(writeFileAtomic(file, value, { forceMode: 0o600, backup: false, platform: ctx.platform }));
    own(file);
  }
  fs.chmodSync(secretsDir, 0o700);
  own(secretsDir);
  written.push(
    writeFileAtomic(path.join(outputDir, 'config', configName), text, { mode: 0o644, platform: ctx.platform }),
  );
  fs.chmodSync(path.join(outputDir, 'config'), 0o755);
  written.push(
    writeFileAtomic(path.join(outputDir, 'compose.yaml'), plan.text, { mode: 0o644, platform: ctx.platform }),
  );

  // Host paths a container cannot see.
  const servers = (parsed.value as { mcpServers?: Record<string, { command?: unknown; args?: unknown }> }).mcpServers;
  for (const [name, s] of Object.entries(servers ?? {})) {
    const words = [s?.command, ...(Array.isArray(s?.args) ? s.args : [])].filter((w) => typeof w === 'string');
    const hostPath = words.find((w) => path.isAbsolute(w as string) && !(w as string).startsWith('/config/'));
    if (hostPath)
      note(ctx, `note: server "${name}" uses the absolute path ${hostPath}: it must exist inside the container`);
  }
  return { outputDir, written, missing };
}

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('CONFIG_NOT_FOUND', `${what} not found: ${file}`);
    throw new AppError('CONFIG_UNREADABLE', `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

function reportCompose(r: ComposeResult, ctx: CliContext): void {
  for (const w of r.written) out(ctx, describeWrite(w));
  for (const m of r.missing) {
    note(
      ctx,
      `warning: ${m} is not set here: write its value to ${path.join(r.outputDir, 'secrets', m.toLowerCase())} ` +
        `(mode 0600) before \`docker compose up\`, or store it with \`mcp-proxy credentials set ${m}\` and generate again`,
    );
  }
  note(
    ctx,
    `Start it with \`docker compose up -d\` in ${r.outputDir}; clients send "Authorization: Bearer <secrets/mcp_proxy_token>".`,
  );
}

export async function generateCompose(args: GenerateArgs, ctx: CliContext): Promise<number> {
  const config = proxyConfigPath(args.config, ctx);
  if (!config.exists) {
    throw new AppError('CONFIG_NOT_FOUND', `no proxy config at ${config.file}`, {
      hint: 'create one with `mcp-proxy init` or `mcp-proxy import --from claude-desktop`, or pass --config <file>',
    });
  }
  const r = await writeCompose(
    {
      configFile: config.file,
      output: args.output,
      image: args.image ?? ctx.env.MCP_PROXY_IMAGE,
      port: args.port,
      credentials: args.credentials,
      envFile: args.envFile,
    },
    ctx,
  );
  reportCompose(r, ctx);
  return 0;
}

// ------------------------------------------------------------------------------------------ init

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

// ------------------------------------------------------------------------------------------ import

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
  const chain = credentialChainFor(args, ctx);
  const credentialsFile = chain.credentialsFile;
  const existingCredentials = readCredentialsFile({ path: credentialsFile, platform: ctx.platform }) ?? {};

  const a = analyzeImport(source, proxyServers as Record<string, unknown>, existingCredentials);
  for (const s of a.secrets) ctx.redactor.add(s.secret);

  // The plan.
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
  out(ctx, lines.join('\n'));

  let moveSecrets = false;
  if (a.secrets.length) {
    if (args.yes || args.dryRun) moveSecrets = true;
    else if (ctx.stdin.isTTY) {
      moveSecrets = await confirm(
        `Move ${a.secrets.length} secret(s) into ${credentialsFile} (mode 0600) and reference them as \${VAR}? [Y/n] `,
        ctx,
      );
    } else {
      // Without a terminal nobody can answer: writing literal secrets now would strand them.
      throw new AppError(
        'USAGE',
        `${a.secrets.length} literal secret(s) found and no terminal to ask; nothing was written`,
        {
          hint: `run again with --yes to move them into ${credentialsFile} (mode 0600) as \${VAR} references, or with --dry-run to see the plan`,
        },
      );
    }
  }

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
  if (texts.clientText !== undefined && location) {
    // VS Code remote inputs are not needed for local entries; merge keeps everything else.
    texts.clientText = mergeProxyEntry(texts.clientText, location, clientEntry!.entry);
  }

  if (args.dryRun) {
    const { createTwoFilesPatch } = await import('diff');
    const diffs: string[] = [];
    const proxyNew = texts.proxyText;
    if (proxyNew !== proxyFile.text) {
      diffs.push(createTwoFilesPatch(proxy.file, proxy.file, proxyFile.text, proxyNew, '', '', { context: 3 }));
    }
    if (texts.clientText !== undefined && texts.clientText !== source.text) {
      diffs.push(createTwoFilesPatch(source.file, source.file, source.text, texts.clientText, '', '', { context: 3 }));
    }
    const creds = Object.keys(texts.credentials);
    if (creds.length) {
      diffs.push(
        [
          `--- ${credentialsFile}`,
          `+++ ${credentialsFile}`,
          ...creds.map((n) => `+ ${n}: ${mask(texts.credentials[n])}`),
        ].join('\n'),
      );
    }
    out(ctx, ['', 'Dry run: nothing was written. The changes would be:', '', ...diffs].join('\n'));
    if (!args.yes && a.secrets.length) note(ctx, 'note: the diff assumes you accept moving the secrets (--yes).');
    return 0;
  }

  // Write: credentials first, then the proxy config, then the client, so an interruption never loses a server.
  const written: string[] = [];
  for (const [name, value] of Object.entries(texts.credentials)) {
    writeCredential({ file: credentialsFile, name, value, platform: ctx.platform });
  }
  if (Object.keys(texts.credentials).length) {
    written.push(`stored ${Object.keys(texts.credentials).join(', ')} in ${credentialsFile} (mode 0600)`);
  }
  const proxyResult = writeFileAtomic(proxy.file, texts.proxyText, {
    mode: 0o644,
    forceMode: texts.literalSecrets ? 0o600 : undefined,
    platform: ctx.platform,
  });
  written.push(describeWrite(proxyResult));
  if (texts.clientText !== undefined) {
    // The backup must not keep what was just moved: placeholders that `restore` fills in again.
    const moved = moveSecrets ? a.secrets : [];
    const r = writeFileAtomic(source.file, texts.clientText, {
      platform: ctx.platform,
      backupText: moved.length ? withPlaceholders(source.text, moved) : undefined,
      backupMode: a.secrets.length ? 0o600 : undefined,
    });
    written.push(describeWrite(r));
    if (r.backup && moved.length) {
      written.push(
        `  the backup holds ${moved.map((m) => `\${${CREDENTIAL_PLACEHOLDER}${m.variable}}`).join(', ')} where the secrets were; ` +
          `\`mcp-proxy restore${location && isClientId(args.from) ? ` --client ${args.from}` : ` --file ${source.file}`}\` fills them in`,
      );
    } else if (r.backup && a.secrets.length) {
      written.push(`  the backup keeps the literal secrets (mode 0600): delete it once the client works`);
    }
  }
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
