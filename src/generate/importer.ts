// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what this module writes
/**
 * `mcp-proxy import`: takes the servers a client already has, adds them to the proxy config, moves their
 * literal secrets into the credentials file as `${VAR}` references, and (with --write) leaves the client
 * with the one proxy entry. Pure planning here (texts in, texts out); the command does the I/O.
 *
 * Nothing is overwritten: a server whose name is already in the proxy config with a different entry is
 * reported as a clash and stays in the client; entries we do not understand are reported, skipped and
 * left in the client too.
 */
import path from 'node:path';
import { normalizeServerEntry, UpstreamServer } from '../config/schema.js';
import { jsonEqual } from '../util/objects.js';
import type { ClientId, ServersKey } from './clients.js';
import { normalizeDialect } from './dialects.js';
import { setJsonValue, setServerEntry, setYamlValue } from './jsonFile.js';
import { applySecrets, findSecrets, nameSecrets, type PlannedSecret, type SecretCandidate } from './secrets.js';

const SERVER_NAME = /^[A-Za-z0-9_-]{1,48}$/;

export interface SourceServers {
  /** The client config (or any JSON file) the servers come from. */
  file: string;
  text: string;
  value: Record<string, unknown>;
  /** The member holding the servers. */
  key: ServersKey;
  /** The client's file format (JSON unless Codex's TOML). */
  format?: 'json' | 'toml';
  /** Whose dialect the entries are in (decides how client-specific keys are read). */
  client?: ClientId;
  /** For VS Code project files: the folder `${workspaceFolder}` means. */
  workspaceFolder?: string;
  homedir: string;
}

export interface ImportedServer {
  /** Name in the proxy config (may differ from the client's name when that one is not allowed). */
  name: string;
  /** Name in the client config. */
  clientName: string;
  /** As converted, with literal values. */
  entry: Record<string, unknown>;
}

export interface ImportAnalysis {
  /** Servers to add. */
  imported: ImportedServer[];
  /** Already in the proxy config with the same entry (nothing to add; still removed from the client). */
  unchanged: ImportedServer[];
  /** Same name, different entry in the proxy config: not overwritten, left in the client. */
  clashes: { name: string; clientName: string; reason: string }[];
  /** Not understood: left in the client. */
  skipped: { name: string; reason: string }[];
  /** The proxy itself (an earlier `generate client-config --write`). */
  proxyEntries: string[];
  renamed: { from: string; to: string }[];
  /** Already in the proxy config, still with literal secrets (listed in `imported` too, to move them). */
  literal: string[];
  /** Literal secrets in the servers to add, with chosen variable names. */
  secrets: PlannedSecret[];
}

/** The client's servers object, or an error message. */
export function serversOf(source: SourceServers): Record<string, unknown> {
  const v = source.value[source.key];
  if (v === undefined) return {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    throw new Error(`"${source.key}" in ${source.file} is not an object of servers`);
  }
  return v as Record<string, unknown>;
}

/** True for an entry that starts or reaches this proxy. */
export function isProxyEntry(name: string, entry: unknown): boolean {
  if (name === 'mcp-proxy') return true;
  if (!entry || typeof entry !== 'object') return false;
  const e = entry as Record<string, unknown>;
  const words = [e.command, ...(Array.isArray(e.args) ? e.args : [])].filter((x): x is string => typeof x === 'string');
  return words.some(
    (w) =>
      /(^|[/\\@])mcp-proxy-server(@|$)/.test(w) || /mcp-proxy\.mjs$/.test(w) || /(^|[/\\])mcp-proxy(\.exe)?$/.test(w),
  );
}

/** Keys other clients write that carry no meaning for the proxy; dropped silently. */
const IGNORED_KEYS = new Set(['autoApprove', 'alwaysAllow', 'disabledTools', 'trust', 'gallery', 'version', 'dev']);

/**
 * One client entry -> a proxy config entry, or the reason we cannot take it.
 * `${env:NAME}` (Cursor, VS Code) becomes `${NAME}`; `${workspaceFolder}` and `${userHome}` are resolved.
 */
export function convertEntry(
  raw: unknown,
  source: Pick<SourceServers, 'workspaceFolder' | 'homedir' | 'client'>,
): { entry: Record<string, unknown> } | { reason: string } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { reason: 'the entry is not an object' };
  raw = normalizeDialect(source.client, raw as Record<string, unknown>);
  const problems: string[] = [];
  const fix = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v.replace(/\$\{([^}]*)\}/g, (m, inner: string) => {
        if (/^env:([A-Za-z_][A-Za-z0-9_]*)$/.test(inner)) return `\${${inner.slice(4)}}`;
        if (inner === 'workspaceFolder' && source.workspaceFolder) return source.workspaceFolder;
        if (inner === 'userHome') return source.homedir;
        if (/^[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?$/.test(inner)) return m;
        problems.push(
          inner.startsWith('input:')
            ? `it uses the client's prompt variable ${m}; store the value with \`mcp-proxy credentials set NAME\` and write \${NAME} instead`
            : `it uses the client variable ${m}, which the proxy cannot resolve`,
        );
        return m;
      });
    }
    if (Array.isArray(v)) return v.map(fix);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fix(x)]));
    }
    return v;
  };
  const entry = fix(raw) as Record<string, unknown>;
  for (const k of IGNORED_KEYS) delete entry[k];
  if (entry.envFile !== undefined) {
    problems.push(
      'it reads an "envFile", which the proxy does not; move those variables into "env" or the credentials file',
    );
  }
  if (problems.length) return { reason: [...new Set(problems)].join('; ') };

  // Validate as the proxy will (a `${VAR}` inside a URL validates as a placeholder host).
  const probe = JSON.parse(JSON.stringify(entry).replace(/\$\{[^}]*\}/g, 'x'));
  const parsed = UpstreamServer.safeParse(normalizeServerEntry(probe));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    const unknownKeys = issue.code === 'unrecognized_keys' ? ` (${(issue as { keys: string[] }).keys.join(', ')})` : '';
    return { reason: `the proxy does not understand it: ${where}${issue.message}${unknownKeys}` };
  }
  return { entry };
}

/** A name the proxy accepts: invalid characters become "-", at most 48 characters. */
export function proxyServerName(name: string): string {
  const n = name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return (n || 'server').slice(0, 48);
}

/**
 * Decides what to import. `proxyServers`: the proxy config's current `mcpServers`; `existingCredentials`:
 * the credentials file's contents (a secret name already holding a different value gets another name).
 */
export function analyzeImport(
  source: SourceServers,
  proxyServers: Record<string, unknown>,
  existingCredentials: Record<string, string>,
): ImportAnalysis {
  const servers = serversOf(source);
  const a: ImportAnalysis = {
    imported: [],
    unchanged: [],
    clashes: [],
    skipped: [],
    proxyEntries: [],
    renamed: [],
    literal: [],
    secrets: [],
  };
  const candidates: SecretCandidate[] = [];
  const usedNames = new Set(Object.keys(proxyServers));
  const pending: { server: ImportedServer; secrets: SecretCandidate[] }[] = [];

  for (const [clientName, raw] of Object.entries(servers)) {
    if (isProxyEntry(clientName, raw)) {
      a.proxyEntries.push(clientName);
      continue;
    }
    const converted = convertEntry(raw, source);
    if ('reason' in converted) {
      a.skipped.push({ name: clientName, reason: converted.reason });
      continue;
    }
    let name = clientName;
    if (!SERVER_NAME.test(name)) {
      name = proxyServerName(clientName);
      a.renamed.push({ from: clientName, to: name });
    }
    const server: ImportedServer = { name, clientName, entry: converted.entry };
    const found = findSecrets(name, converted.entry);
    if (Object.hasOwn(proxyServers, name)) {
      // Same entry already there, literally or with the secrets replaced by any reference: nothing to add.
      const existing = proxyServers[name];
      if (jsonEqual(existing, converted.entry) && found.length) {
        // Imported earlier with its secrets left literal: importing again (with --yes) moves them.
        a.literal.push(name);
        pending.push({ server, secrets: found });
        candidates.push(...found);
      } else if (jsonEqual(existing, converted.entry) || sameModuloReferences(existing, converted.entry, found)) {
        a.unchanged.push(server);
      } else {
        a.clashes.push({
          name,
          clientName,
          reason: `the proxy config already has a different "${name}" (kept; rename one of them to import it)`,
        });
      }
      continue;
    }
    if (usedNames.has(name)) {
      a.clashes.push({ name, clientName, reason: `"${clientName}" becomes "${name}", which another server has` });
      continue;
    }
    usedNames.add(name);
    pending.push({ server, secrets: found });
    candidates.push(...found);
  }
  a.secrets = nameSecrets(candidates, existingCredentials);
  for (const p of pending) a.imported.push(p.server);
  return a;
}

/** True when `existing` equals `entry` once each secret is replaced by whatever reference `existing` holds there. */
function sameModuloReferences(existing: unknown, entry: Record<string, unknown>, secrets: SecretCandidate[]): boolean {
  if (!existing || typeof existing !== 'object' || secrets.length === 0) return false;
  const copy: Record<string, unknown> = structuredClone(entry);
  const ex = existing as Record<string, unknown>;
  for (const s of secrets) {
    let theirs: unknown;
    if (s.field === 'url') theirs = ex.url;
    else {
      const target = s.field === 'args' ? (ex.args as unknown[] | undefined) : (ex[s.field] as Record<string, unknown>);
      theirs = target?.[s.key as never];
    }
    if (typeof theirs !== 'string' || !/\$\{[^}]+\}/.test(theirs)) return false;
    if (s.field === 'url') copy.url = theirs;
    else if (s.field === 'args') (copy.args as unknown[])[s.key as number] = theirs;
    else (copy[s.field] as Record<string, unknown>)[s.key as string] = theirs;
  }
  return jsonEqual(existing, copy);
}

export interface ImportTexts {
  /** The new proxy config text. */
  proxyText: string;
  /** Credentials to store (name -> value), only the ones not already there with that value. */
  credentials: Record<string, string>;
  /** The new client config text (only with `clientEntry`). */
  clientText?: string;
  /** True when the proxy config keeps literal secrets (it is then written 0600). */
  literalSecrets: boolean;
}

export const SCHEMA_URL = 'https://unpkg.com/mcp-proxy-server/dist/config.schema.json';

/** The text of a new, empty proxy config. */
export function emptyProxyConfig(schema = SCHEMA_URL): string {
  return `${JSON.stringify({ $schema: schema, mcpServers: {} }, null, 2)}\n`;
}

/**
 * Builds the new texts. `moveSecrets`: replace literal secrets with references (and return them to store).
 * `clientEntry`: also rewrite the client: remove what is now in the proxy, add the proxy entry.
 */
export function buildImport(
  a: ImportAnalysis,
  opts: {
    proxyText: string;
    existingCredentials: Record<string, string>;
    moveSecrets: boolean;
    source?: SourceServers;
    clientEntry?: { name: string; entry: Record<string, unknown> };
    /** The proxy config's format (YAML configs are edited as YAML, comments kept). */
    proxyFormat?: 'json' | 'yaml';
  },
): ImportTexts {
  const yaml = opts.proxyFormat === 'yaml';
  let proxyText = opts.proxyText.trim() === '' ? (yaml ? 'mcpServers: {}\n' : emptyProxyConfig()) : opts.proxyText;
  const credentials: Record<string, string> = {};
  for (const s of a.imported) {
    const mine = a.secrets.filter((x) => x.server === s.name);
    const entry = opts.moveSecrets ? applySecrets(s.entry, mine) : s.entry;
    proxyText = yaml
      ? setYamlValue(proxyText, ['mcpServers', s.name], entry)
      : setJsonValue(proxyText, ['mcpServers', s.name], entry);
  }
  if (opts.moveSecrets) {
    for (const s of a.secrets) {
      if (opts.existingCredentials[s.variable] !== s.secret) credentials[s.variable] = s.secret;
    }
  }
  let clientText: string | undefined;
  if (opts.clientEntry && opts.source) {
    clientText = opts.source.text;
    for (const s of [...a.imported, ...a.unchanged]) {
      clientText = setServerEntry(clientText, opts.source, s.clientName, undefined);
    }
    clientText = setServerEntry(clientText, opts.source, opts.clientEntry.name, opts.clientEntry.entry);
  }
  return { proxyText, credentials, clientText, literalSecrets: !opts.moveSecrets && a.secrets.length > 0 };
}

/** `${workspaceFolder}` for a project file `<folder>/.vscode/mcp.json` or `<folder>/.cursor/mcp.json`. */
export function workspaceFolderOf(file: string): string | undefined {
  const dir = path.dirname(file);
  return /^\.(vscode|cursor)$/.test(path.basename(dir)) ? path.dirname(dir) : undefined;
}
