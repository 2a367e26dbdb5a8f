// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what these commands write
/**
 * The work behind `add`, `remove`, `enable`, `disable` and `list` (loaded lazily). Results go to
 * stdout, notes and warnings to stderr; secret values are only ever shown masked.
 */

import { analyzeConfigText } from '../../config/analyze.js';
import {
  checkEdit,
  type EditableConfig,
  locateForEdit,
  newConfigText,
  readForEdit,
  SERVER_NAME,
  setServerValue,
  writeEdit,
} from '../../config/edit.js';
import { displayFile, formatProblem, nearest } from '../../config/problems.js';
import { normalizeServerEntry } from '../../config/schema.js';
import { readCredentialsFile } from '../../credentials/sources.js';
import { writeCredential } from '../../credentials/store.js';
import { AppError } from '../../errors.js';
import type { WriteResult } from '../../generate/jsonFile.js';
import { applySecrets, findSecrets, nameSecrets } from '../../generate/secrets.js';
import { schemaReference } from '../../generate/starter.js';
import type { AddArgs, ListArgs, ServerNameArgs } from '../args.js';
import type { CliContext } from '../context.js';
import { type CredentialArgs, credentialChainFor } from '../credentialOptions.js';
import { checkVariables, type VariableReport } from '../credentialsActions.js';

function out(ctx: CliContext, text: string): void {
  ctx.stdout.write(`${ctx.redactor.redact(text)}\n`);
}
function note(ctx: CliContext, text: string): void {
  ctx.stderr.write(`${ctx.redactor.redact(text)}\n`);
}

const RELOAD_NOTE = 'A running proxy watching this file applies the change now (live reload).';

// ------------------------------------------------------------------------------------------------ add

/** `K=V` -> [K, V]; the value may itself hold "=". */
function keyValues(list: string[] | undefined, flag: string): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const at = item.indexOf('=');
    if (at <= 0) {
      throw new AppError('USAGE', `--${flag} ${item.length > 40 ? `${item.slice(0, 12)}...` : item}: expected K=V`, {
        hint: `e.g. --${flag} ${flag === 'env' ? 'GITHUB_TOKEN=${GITHUB_TOKEN}' : '"Authorization=Bearer ${TOKEN}"'}`,
      });
    }
    out[item.slice(0, at).trim()] = item.slice(at + 1);
  }
  return out;
}

/** The config entry the command line describes, as written (secrets still literal). */
export function entryFromArgs(args: AddArgs): Record<string, unknown> {
  // Words after `--` arrive in `_` after the command name; bare words in the `command` positional.
  const words = [...(args.command ?? []), ...args._.slice(1)].map(String);
  const env = keyValues(args.env, 'env');
  const headers = keyValues(args.header, 'header');
  const remote = args.url !== undefined || args.type === 'http' || args.type === 'sse';
  const docker = args.type === 'docker' || args.image !== undefined;
  const usage = (message: string, hint: string) => new AppError('USAGE', message, { hint });
  if (remote && docker) throw usage('--url and --image/--type docker describe different kinds of server', 'pick one');
  if (remote) {
    if (!args.url) throw usage(`--type ${args.type} needs --url URL`, 'e.g. --url https://mcp.example.com/mcp');
    if (words.length) {
      throw usage(`a remote server (--url) takes no command, but got: ${words.join(' ')}`, 'drop the command or --url');
    }
    if (env) throw usage('--env is for servers the proxy starts; a remote server takes --header K=V', 'use --header');
  } else if (headers) {
    throw usage('--header is for remote servers (--url)', 'use --env K=V to give a started server a value');
  }
  if (docker && !args.image) throw usage('--type docker needs --image IMAGE', 'e.g. --type docker --image mcp/fetch');
  if (!remote && !docker && words.length === 0) {
    throw usage(
      `say what "${args.name}" runs: a command, --url or --image`,
      `e.g. \`mcp-proxy add ${args.name} -- npx -y @modelcontextprotocol/server-memory\` (the "--" keeps the command's own flags apart)`,
    );
  }
  const entry: Record<string, unknown> = {};
  if (args.type) entry.type = args.type;
  if (remote) {
    entry.url = args.url;
    if (headers) entry.headers = headers;
  } else if (docker) {
    entry.image = args.image;
    if (words.length) entry.args = words;
    if (env) entry.env = env;
  } else {
    entry.command = words[0];
    if (words.length > 1) entry.args = words.slice(1);
    if (env) entry.env = env;
  }
  if (args.description !== undefined) entry.description = args.description;
  if (args.prefix !== undefined) entry.prefix = args.prefix;
  if (args.disabled) entry.disabled = true;
  return entry;
}

const ADD_OPTIONS = new Set(
  '_ $0 name command url type image header env description prefix disabled force config c credentials env-file envFile log-level logLevel log-format logFormat verbose v debug help h'.split(
    ' ',
  ),
);

/** `add` is not strict (see servers.ts): an unknown option is explained here. */
function assertKnownOptions(args: AddArgs): void {
  // yargs adds a camelCase twin of every --kebab-case option; only the spelling given is reported.
  const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const unknown = Object.keys(args).find((k) => !ADD_OPTIONS.has(k) && !(kebab(k) !== k && kebab(k) in args));
  if (unknown === undefined) return;
  const flag = unknown.length === 1 ? `-${unknown}` : `--${unknown}`;
  const words = [...(args.command ?? []), ...args._.slice(1)].map(String);
  throw new AppError('USAGE', `add does not know the option ${flag}`, {
    hint: `if it belongs to the server's command, put the command after "--": mcp-proxy add ${args.name} [options] -- ${words[0] ?? 'COMMAND'} ${flag} ...`,
  });
}

export async function addServer(args: AddArgs, ctx: CliContext): Promise<number> {
  assertKnownOptions(args);
  if (!SERVER_NAME.test(args.name)) {
    throw new AppError('USAGE', `"${args.name}" is not a valid server name`, {
      hint: 'use 1-48 of letters, digits, "_" and "-" (e.g. github, my-server)',
    });
  }
  return addEntry(args.name, entryFromArgs(args), args, ctx);
}

/**
 * Writes server `name` with this entry (secrets still literal): the one path of `add` and the
 * dashboard's server registration. Literal secrets go to the credentials store first.
 */
export async function addEntry(
  name: string,
  literal: Record<string, unknown>,
  args: CredentialArgs & { config?: string; force?: boolean },
  ctx: CliContext,
): Promise<number> {
  const file = locateForEdit(args.config, ctx, true);
  const cfg = readForEdit(file);
  if (Object.hasOwn(cfg.servers, name) && !args.force) {
    throw new AppError('USAGE', `${file} already has a server "${name}"; nothing was written`, {
      hint: `pass --force to replace it, or choose another name (\`mcp-proxy list\` shows them)`,
    });
  }

  // Literal secrets go to the credentials store; the config gets ${NAME} in their place.
  const chain = credentialChainFor(args, ctx);
  const stored = readCredentialsFile({ path: chain.credentialsFile, platform: ctx.platform }) ?? {};
  const secrets = nameSecrets(findSecrets(name, literal), stored);
  for (const s of secrets) ctx.redactor.add(s.secret);
  const entry = applySecrets(literal, secrets);
  const toStore: Record<string, string> = {};
  for (const s of secrets) if (stored[s.variable] !== s.secret) toStore[s.variable] = s.secret;

  const base = cfg.exists
    ? cfg.text
    : newConfigText(
        cfg.format,
        schemaReference({ configFile: file, entry: ctx.entry, deployment: ctx.deployment.kind }),
      );
  const text = setServerValue(base, cfg.format, name, [], entry);
  const check = checkEdit(text, file, (n) => toStore[n] ?? chain.lookup(n), { ...ctx, server: name });

  // Credentials first: a config never references a secret that was not stored.
  for (const [name, value] of Object.entries(toStore)) {
    writeCredential({ file: chain.credentialsFile, name, value, platform: ctx.platform });
  }
  const result = writeEdit(file, text, ctx.platform);
  const replaced = Object.hasOwn(cfg.servers, name);
  out(ctx, `${replaced ? 'replaced' : 'added'} server "${name}" ${describeWrite(result)}`);
  for (const s of secrets) {
    const where = s.field === 'args' ? `args[${s.key}]` : s.field === 'url' ? 'url' : `${s.field}.${s.key}`;
    out(
      ctx,
      `  ${where}: the secret is ${toStore[s.variable] === undefined ? 'already' : 'now'} stored as ${s.variable} in ${chain.credentialsFile}; the config says ${s.replacement}`,
    );
  }
  reportWarnings(check.warnings, file, ctx);
  if (result.changed) note(ctx, RELOAD_NOTE);
  return 0;
}

function describeWrite(r: WriteResult): string {
  if (!r.changed) return `(${r.file} unchanged)`;
  if (r.created) return `to ${r.file} (created)`;
  return `in ${r.file}${r.backup ? ` (backup: ${r.backup})` : ''}`;
}

function reportWarnings(warnings: EditCheckWarning[], file: string, ctx: CliContext): void {
  for (const w of warnings) {
    const hint =
      w.kind === 'variable' && w.variable
        ? `store it with \`mcp-proxy credentials set ${w.variable}\` (or set it in the environment the proxy starts in)`
        : w.hint;
    // formatProblem names the severity itself ("... warning: ...").
    note(ctx, formatProblem({ ...w, hint }, displayFile(file, ctx.cwd)).join('\n'));
  }
}
type EditCheckWarning = ReturnType<typeof checkEdit>['warnings'][number];

// --------------------------------------------------------------------------------- remove / enable / disable

function existingServer(cfg: EditableConfig, name: string): void {
  if (Object.hasOwn(cfg.servers, name)) return;
  const names = Object.keys(cfg.servers);
  const near = nearest(name, names);
  throw new AppError('USAGE', `${cfg.file} has no server "${name}"; nothing was written`, {
    hint: names.length
      ? `${near ? `did you mean "${near}"? ` : ''}servers: ${names.join(', ')}`
      : 'the config has no servers yet; add one with `mcp-proxy add`',
  });
}

function editExisting(
  args: ServerNameArgs,
  ctx: CliContext,
  edit: (cfg: EditableConfig) => string,
): { cfg: EditableConfig; result: WriteResult } {
  const cfg = readForEdit(locateForEdit(args.config, ctx, false));
  existingServer(cfg, args.name);
  const text = edit(cfg);
  const chain = credentialChainFor({}, ctx);
  checkEdit(text, cfg.file, (n) => chain.lookup(n), ctx);
  return { cfg, result: writeEdit(cfg.file, text, ctx.platform) };
}

export async function removeServer(args: ServerNameArgs, ctx: CliContext): Promise<number> {
  const { result } = editExisting(args, ctx, (cfg) => setServerValue(cfg.text, cfg.format, args.name, [], undefined));
  out(ctx, `removed server "${args.name}" from ${result.file}${result.backup ? ` (backup: ${result.backup})` : ''}`);
  note(ctx, `${RELOAD_NOTE} Credentials it used stay in the store (\`mcp-proxy credentials list\`).`);
  return 0;
}

export async function setEnabled(args: ServerNameArgs, ctx: CliContext, enabled: boolean): Promise<number> {
  const { result } = editExisting(args, ctx, (cfg) =>
    setServerValue(cfg.text, cfg.format, args.name, ['disabled'], enabled ? undefined : true),
  );
  const state = enabled ? 'enabled' : 'disabled';
  if (!result.changed) out(ctx, `server "${args.name}" is already ${state} (${result.file} unchanged)`);
  else {
    out(ctx, `${state} server "${args.name}" in ${result.file}${result.backup ? ` (backup: ${result.backup})` : ''}`);
    note(ctx, RELOAD_NOTE);
  }
  return 0;
}

// ------------------------------------------------------------------------------------------------ list

export interface ServerListing {
  name: string;
  kind: string;
  enabled: boolean;
  /** command + args, URL (without query) or image, as written (variables unexpanded, secrets masked). */
  target: string;
  description?: string;
  variables: VariableReport[];
}

export async function listServers(args: ListArgs & CredentialArgs, ctx: CliContext): Promise<number> {
  const cfg = readForEdit(locateForEdit(args.config, ctx, false));
  const chain = credentialChainFor(args, ctx);
  const analysis = analyzeConfigText(cfg.text, cfg.file, (n) => chain.lookup(n), { allowMissingVariables: true });
  const rows: ServerListing[] = analysis.servers.map((s) => {
    const raw = cfg.servers[s.name];
    const entry = (normalizeServerEntry(raw) ?? {}) as Record<string, unknown>;
    // A literal secret left in the config is masked like any resolved value.
    for (const found of findSecrets(s.name, entry)) ctx.redactor.add(found.secret);
    return {
      name: s.name,
      kind: s.type,
      enabled: !s.disabled,
      target: s.target,
      ...(typeof entry.description === 'string' && { description: entry.description }),
      variables: checkVariables(raw, chain).map(({ usedAt: _u, help: _h, ...v }) => v),
    };
  });
  const errors = analysis.problems.filter((p) => p.severity === 'error' && p.kind !== 'variable').length;
  if (args.json) {
    out(ctx, JSON.stringify({ config: cfg.file, valid: errors === 0, servers: rows }, null, 2));
    return 0;
  }
  const lines = [`config: ${cfg.file}`, ''];
  if (rows.length === 0) lines.push('(no servers yet: add one with `mcp-proxy add NAME -- COMMAND ARGS...`)');
  else {
    const head = ['NAME', 'KIND', 'ENABLED', 'COMMAND / URL', 'VARIABLES'];
    const cells = rows.map((r) => [r.name, r.kind, r.enabled ? 'yes' : 'no', clip(r.target), variablesCell(r)]);
    const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    const line = (c: string[]) =>
      c
        .map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i])))
        .join('  ')
        .trimEnd();
    lines.push(line(head), ...cells.map(line));
  }
  if (errors) lines.push('', `note: the config has ${errors} problem(s); \`mcp-proxy validate\` names them`);
  out(ctx, lines.join('\n'));
  return 0;
}

function variablesCell(r: ServerListing): string {
  if (r.variables.length === 0) return '-';
  return r.variables
    .map((v) => {
      if (v.status === 'found') return `${v.name}=${v.value} (${v.source}${v.origin ? ` ${v.origin}` : ''})`;
      if (v.status === 'default') return `${v.name} (not set: default)`;
      return `${v.name} (MISSING)`;
    })
    .join(', ');
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
