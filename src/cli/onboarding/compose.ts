/**
 * `generate compose` (and `init --docker`): a compose.yaml, the config beside it and one 0600 file per
 * secret it needs, in an output directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { resolveUserPath } from '../../config/locate.js';
import { parseSource } from '../../config/parse.js';
import { substitute } from '../../config/substitute.js';
import { AppError } from '../../errors.js';
import { TOKEN_VARIABLE } from '../../generate/clients.js';
import { generateToken, renderCompose } from '../../generate/compose.js';
import { SCHEMA_URL } from '../../generate/importer.js';
import { setJsonValue, setYamlValue, type WriteResult, writeFileAtomic } from '../../generate/jsonFile.js';
import { readTextFileSync } from '../../util/textFile.js';
import { VERSION } from '../../version.js';
import type { GenerateArgs } from '../args.js';
import type { CliContext } from '../context.js';
import { credentialChainFor } from '../credentialOptions.js';
import { describeWrite, note, out, proxyConfigPath } from './output.js';

interface ComposeResult {
  outputDir: string;
  written: WriteResult[];
  missing: string[];
}

export async function writeCompose(
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

  const secretsDir = path.join(outputDir, 'secrets');
  const { written, missing } = writeSecretFiles(plan.secrets, secretsDir, (v) => chain.lookup(v), own, ctx);
  fs.chmodSync(secretsDir, 0o700);
  own(secretsDir);
  written.push(
    writeFileAtomic(path.join(outputDir, 'config', configName), text, { mode: 0o644, platform: ctx.platform }),
  );
  fs.chmodSync(path.join(outputDir, 'config'), 0o755);
  written.push(
    writeFileAtomic(path.join(outputDir, 'compose.yaml'), plan.text, { mode: 0o644, platform: ctx.platform }),
  );

  warnHostPaths(parsed.value, ctx);
  return { outputDir, written, missing };
}

/** One 0600 file per secret: the proxy token is generated once and kept; a variable with no value is listed. */
function writeSecretFiles(
  secrets: ReturnType<typeof renderCompose>['secrets'],
  secretsDir: string,
  lookup: (variable: string) => string | undefined,
  own: (file: string) => void,
  ctx: CliContext,
): { written: WriteResult[]; missing: string[] } {
  const written: WriteResult[] = [];
  const missing: string[] = [];
  for (const s of secrets) {
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
    const value = lookup(s.variable);
    if (value === undefined) {
      missing.push(s.variable);
      continue;
    }
    written.push(writeFileAtomic(file, value, { forceMode: 0o600, backup: false, platform: ctx.platform }));
    own(file);
  }
  return { written, missing };
}

/** Host paths a container cannot see. */
function warnHostPaths(config: unknown, ctx: CliContext): void {
  const servers = (config as { mcpServers?: Record<string, { command?: unknown; args?: unknown }> }).mcpServers;
  for (const [name, s] of Object.entries(servers ?? {})) {
    const words = [s?.command, ...(Array.isArray(s?.args) ? s.args : [])].filter((w) => typeof w === 'string');
    const hostPath = words.find((w) => path.isAbsolute(w as string) && !(w as string).startsWith('/config/'));
    if (hostPath)
      note(ctx, `note: server "${name}" uses the absolute path ${hostPath}: it must exist inside the container`);
  }
}

function readText(file: string, what: string): string {
  try {
    return readTextFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('CONFIG_NOT_FOUND', `${what} not found: ${file}`);
    throw new AppError('CONFIG_UNREADABLE', `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

export function reportCompose(r: ComposeResult, ctx: CliContext): void {
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
