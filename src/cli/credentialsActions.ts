/**
 * The work behind `mcp-proxy credentials check|set|list` (imported lazily by the command).
 * Values are only ever printed masked; every value found is registered with ctx.redactor.
 */

import { describeSearch } from '../config/locate.js';
import type { ParsedSource } from '../config/parse.js';
import { formatPath, type JsonPath, substitute } from '../config/substitute.js';
import type { CredentialChain } from '../credentials/chain.js';
import { registerSecret } from '../credentials/redact.js';
import { assertVariableName, writeCredential } from '../credentials/store.js';
import { AppError } from '../errors.js';
import { mask } from '../observability/redact.js';
import type { CliContext } from './context.js';
import { type CredentialArgs, credentialChainFor } from './credentialOptions.js';
import { locateConfigFor } from './locate.js';

interface Args extends CredentialArgs {
  name?: string;
  config?: string;
  json?: boolean;
}

export interface VariableReport {
  name: string;
  /** `optional`: a name the proxy itself reads (MCP_PROXY_TOKEN) that is not set. */
  status: 'found' | 'default' | 'missing' | 'optional';
  /** 'config' for `${VAR}` references; 'proxy' for names the proxy reads itself. */
  usedBy?: 'config' | 'proxy';
  source?: string;
  origin?: string;
  /** Masked. */
  value?: string;
  /** Where the config uses it (missing ones only). */
  usedAt?: string[];
  /** For missing ones: every place searched and how to set it. */
  help?: string;
}

// ------------------------------------------------------------------------------------------------ check

export async function checkCredentials(args: Args, ctx: CliContext): Promise<number> {
  const located = locateConfigFor(ctx, args.config);
  if (!located) {
    throw new AppError('CONFIG_NOT_FOUND', 'no config file found, so there is nothing to check', {
      details: ['Looked for:', ...describeSearch(ctx).map((p) => `  ${p}`)],
      hint: 'pass --config <file>',
    });
  }
  const parsed = await readRawConfig(located.path);
  const chain = credentialChainFor(args, ctx);
  const reports = checkVariables(parsed.value, chain, (p) => {
    const pos = parsed.locate(p, 'value');
    return pos ? `${formatPath(p)} (${located.path}:${pos.line}:${pos.column})` : formatPath(p);
  });
  if (!reports.some((r) => r.name === PROXY_TOKEN)) reports.push(proxyTokenReport(chain));
  const missing = reports.filter((r) => r.status === 'missing');

  if (args.json) {
    const out = {
      config: located.path,
      deployment: ctx.deployment,
      searchOrder: chain.sources.map((s) => s.describe()),
      variables: reports,
      ok: missing.length === 0,
    };
    ctx.stdout.write(`${ctx.redactor.redact(JSON.stringify(out, null, 2))}\n`);
    return missing.length ? 3 : 0;
  }

  const lines = [
    `config: ${located.path}`,
    `deployment: ${ctx.deployment.kind} (${ctx.deployment.evidence})`,
    `search order: ${chain.sources.map((s) => s.describe()).join(' > ')} > \${VAR:-default}`,
    '',
  ];
  if (reports.length === 0) lines.push('The config references no variables.');
  const width = Math.max(8, ...reports.map((r) => r.name.length));
  for (const r of reports) {
    const name = r.name.padEnd(width);
    const note = r.usedBy === 'proxy' && r.status === 'found' ? `  (${PROXY_TOKEN_NOTE})` : '';
    if (r.status === 'found') lines.push(`  ok       ${name}  ${r.value}  from ${r.source} ${r.origin}${note}`);
    else if (r.status === 'default') lines.push(`  default  ${name}  not set; the config's default applies`);
    else if (r.status === 'optional') lines.push(`  -        ${name}  not set (${PROXY_TOKEN_NOTE})`);
    else lines.push(`  MISSING  ${name}  used at ${r.usedAt?.join(', ')}`);
  }
  ctx.stdout.write(`${ctx.redactor.redact(lines.join('\n'))}\n`);
  if (missing.length) {
    throw new AppError(
      'CREDENTIALS_MISSING',
      `${missing.length} required variable${missing.length > 1 ? 's are' : ' is'} not set: ${missing.map((m) => m.name).join(', ')}`,
      { details: missing.flatMap((m) => (m.help ?? '').split('\n')) },
    );
  }
  return 0;
}

const PROXY_TOKEN = 'MCP_PROXY_TOKEN';
const PROXY_TOKEN_NOTE = 'read by the proxy: HTTP bearer tokens; required to bind HTTP beyond loopback';

/** MCP_PROXY_TOKEN is looked up through the same chain by `run` and `status`; show where it comes from. */
function proxyTokenReport(chain: CredentialChain): VariableReport {
  const found = chain.find(PROXY_TOKEN);
  if (!found) return { name: PROXY_TOKEN, status: 'optional', usedBy: 'proxy' };
  return {
    name: PROXY_TOKEN,
    status: 'found',
    usedBy: 'proxy',
    source: found.source,
    origin: found.origin,
    value: found.value === '' ? '(empty)' : mask(found.value),
  };
}

/** Resolves every `${VAR}` the raw config references through the chain. */
export function checkVariables(
  raw: unknown,
  chain: CredentialChain,
  where: (path: JsonPath) => string = formatPath,
): VariableReport[] {
  const result = substitute(raw, (name) => chain.lookup(name));
  const usedAt = new Map<string, string[]>();
  for (const m of result.missing) {
    const list = usedAt.get(m.name) ?? [];
    const at = where(m.path);
    if (!list.includes(at)) list.push(at);
    usedAt.set(m.name, list);
  }
  return result.referenced.map((name): VariableReport => {
    const found = chain.find(name);
    if (found) {
      return {
        name,
        status: 'found',
        usedBy: 'config',
        source: found.source,
        origin: found.origin,
        value: found.value === '' ? '(empty)' : mask(found.value),
      };
    }
    if (usedAt.has(name)) {
      return {
        name,
        status: 'missing',
        usedBy: 'config',
        usedAt: usedAt.get(name),
        help: chain.describeMissing(name),
      };
    }
    return { name, status: 'default', usedBy: 'config' };
  });
}

/** Reads and parses the config (JSON, or YAML for .yaml/.yml) without substituting or validating it. */
export async function readRawConfig(file: string): Promise<ParsedSource> {
  // Lazy: the config parser is only needed by `check`.
  const [{ readConfigFile }, { parseSource }] = await Promise.all([
    import('../config/load.js'),
    import('../config/parse.js'),
  ]);
  const parsed = parseSource(await readConfigFile(file), file);
  const syntax = parsed.problems.find((p) => p.severity === 'error');
  if (syntax || parsed.value === undefined) {
    const at = syntax?.line ? `:${syntax.line}:${syntax.column ?? 1}` : '';
    throw new AppError('CONFIG_PARSE', `config file ${file}${at}: ${syntax?.message ?? 'cannot be parsed'}`, {
      hint: syntax?.hint ?? 'run `mcp-proxy validate` for details',
    });
  }
  return parsed;
}

// ------------------------------------------------------------------------------------------------ set

export async function setCredential(args: Args, ctx: CliContext): Promise<number> {
  const name = args.name;
  if (!name) {
    throw new AppError('USAGE', 'credentials set needs the variable name', {
      hint: 'e.g. `mcp-proxy credentials set GITHUB_TOKEN` (the value is read from stdin or a prompt)',
    });
  }
  assertVariableName(name);
  const chain = credentialChainFor(args, ctx);
  const file = chain.credentialsFile;
  const value = ctx.stdin.isTTY ? await promptHidden(`${name} (input hidden): `, ctx) : await readAll(ctx.stdin);
  if (value === '') {
    throw new AppError('USAGE', `no value for ${name}: stdin was empty`, {
      hint: `pipe the value in, e.g. \`printf %s "$VALUE" | mcp-proxy credentials set ${name}\`, or run it in a terminal to be prompted`,
    });
  }
  registerSecret(ctx.redactor, value);
  const result = writeCredential({ file, name, value, platform: ctx.platform });
  const verb = result.replaced ? 'updated' : 'stored';
  ctx.stdout.write(`${verb} ${name} in ${file}${ctx.platform === 'win32' ? '' : ' (mode 0600)'}\n`);
  if (result.fixedMode) {
    ctx.stderr.write(
      `warning: ${file} was readable by other users; it is now 0600. Consider rotating the secrets it held.\n`,
    );
  }
  return 0;
}

/** Reads the whole piped stdin; one trailing newline (as `echo` adds) is dropped. */
async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Reads one line from a TTY without echoing it. */
function promptHidden(prompt: string, ctx: CliContext): Promise<string> {
  const input = ctx.stdin as NodeJS.ReadStream;
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = input.isRaw;
    // Echo off BEFORE the prompt shows, so nothing typed (or pasted) right after it is echoed.
    input.setRawMode?.(true);
    ctx.stderr.write(prompt);
    input.setEncoding('utf8');
    const done = (err?: Error) => {
      input.setRawMode?.(wasRaw ?? false);
      input.removeListener('data', onData);
      input.pause();
      ctx.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (data: string) => {
      for (const ch of data) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new AppError('USAGE', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

// ------------------------------------------------------------------------------------------------ list

export async function listCredentials(args: Args, ctx: CliContext): Promise<number> {
  const chain = credentialChainFor(args, ctx);
  const rows: { name: string; source: string; origin: string; value: string; effective: boolean }[] = [];
  for (const source of chain.sources) {
    for (const name of source.keys()) {
      const hit = source.get(name);
      if (!hit) continue;
      registerSecret(ctx.redactor, hit.value);
      const winner = chain.find(name);
      rows.push({
        name,
        source: source.name,
        origin: hit.origin,
        value: hit.value === '' ? '(empty)' : mask(hit.value),
        effective: winner?.source === source.name && winner.origin === hit.origin,
      });
    }
  }
  if (args.json) {
    const out = { deployment: ctx.deployment, searchOrder: chain.sources.map((s) => s.describe()), credentials: rows };
    ctx.stdout.write(`${ctx.redactor.redact(JSON.stringify(out, null, 2))}\n`);
    return 0;
  }
  const lines = [`search order: ${chain.sources.map((s) => s.describe()).join(' > ')}`, ''];
  if (rows.length === 0) lines.push('No stored credentials (the environment is not listed).');
  const width = Math.max(8, ...rows.map((r) => r.name.length));
  for (const r of rows) {
    lines.push(
      `  ${r.name.padEnd(width)}  ${r.value}  ${r.source} ${r.origin}${r.effective ? '' : '  (shadowed by an earlier source)'}`,
    );
  }
  ctx.stdout.write(`${ctx.redactor.redact(lines.join('\n'))}\n`);
  return 0;
}
