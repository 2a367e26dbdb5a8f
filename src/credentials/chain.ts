/**
 * The ordered credential lookup for one deployment, as in the Python mcp-proxy-server: files before the
 * environment before defaults (a `${VAR:-default}` default applies only when the chain finds nothing).
 * Docker secrets count as files inside a container.
 *
 * | deployment        | 1               | 2                | 3           | 4         | 5                            |
 * |-------------------|-----------------|------------------|-------------|-----------|------------------------------|
 * | docker            | Docker secrets  | credentials file | environment | .env file | `${VAR:-default}` default    |
 * | binary, npx, node | credentials file| environment      | .env file   | Docker secrets (if present) | default |
 *
 * `NAME_FILE` is part of the Docker secrets source, so it works in every deployment.
 * Every value found is registered with the redactor (also JSON- and URL-encoded), so it is masked in all
 * output from then on.
 */
import path from 'node:path';
import type { Deployment } from '../deployment/detect.js';
import type { Redactor } from '../observability/redact.js';
import { pathApi } from '../util/paths.js';
import { registerSecret } from './redact.js';
import {
  type CredentialSource,
  credentialsFileSource,
  defaultCredentialsPath,
  defaultSecretsDir,
  dockerSecretsSource,
  dotenvSource,
  environmentSource,
} from './sources.js';

export interface CredentialChainOptions {
  deployment: Deployment;
  env: Record<string, string | undefined>;
  cwd: string;
  homedir: string;
  platform: NodeJS.Platform;
  /** `--credentials FILE` (relative to cwd); default: the platform's credentials file. */
  credentialsFile?: string;
  /** `--env-file FILE` (relative to cwd); default: `<cwd>/.env` (optional). */
  envFile?: string;
  /** Default: `$MCP_PROXY_SECRETS_DIR`, else `/run/secrets`. */
  secretsDir?: string;
  redactor?: Redactor;
}

export interface FoundCredential {
  value: string;
  /** The source's short name: 'file', 'env', '.env' or 'docker-secret'. */
  source: string;
  /** A path, or 'environment'. */
  origin: string;
}

export interface CredentialChain {
  /** The value, or undefined (the config substituter then applies a `${VAR:-default}` default). */
  lookup(name: string): string | undefined;
  /** The value and where it came from. */
  find(name: string): FoundCredential | undefined;
  /** In lookup order. */
  readonly sources: CredentialSource[];
  /** What to tell the user when `name` is missing: every place searched and how to set it here. */
  describeMissing(name: string): string;
  /** The credentials file this chain reads (and `credentials set` writes). */
  readonly credentialsFile: string;
}

export function createCredentialChain(opts: CredentialChainOptions): CredentialChain {
  const resolve = (p: string) => pathApi(opts.platform).resolve(opts.cwd, p);
  const credentialsFile = opts.credentialsFile
    ? resolve(opts.credentialsFile)
    : defaultCredentialsPath({ env: opts.env, homedir: opts.homedir, platform: opts.platform });
  const envFile = opts.envFile ? resolve(opts.envFile) : resolve('.env');
  const secretsDir = opts.secretsDir ? resolve(opts.secretsDir) : defaultSecretsDir(opts.env);

  const file = credentialsFileSource({
    path: credentialsFile,
    platform: opts.platform,
    explicit: opts.credentialsFile !== undefined,
    systemdDir: opts.env.CREDENTIALS_DIRECTORY,
  });
  const env = environmentSource(opts.env);
  const dotenv = dotenvSource({ path: envFile, explicit: opts.envFile !== undefined });
  const secrets = dockerSecretsSource({ dir: secretsDir, env: opts.env });
  const sources = opts.deployment.kind === 'docker' ? [secrets, file, env, dotenv] : [file, env, dotenv, secrets];

  // No cache here: sources re-read their files only when they change, so a config reload sees new values.
  const find = (name: string): FoundCredential | undefined => {
    for (const source of sources) {
      const hit = source.get(name);
      if (hit) {
        registerSecret(opts.redactor, hit.value);
        return { value: hit.value, source: source.name, origin: hit.origin };
      }
    }
    return undefined;
  };

  return {
    sources,
    credentialsFile,
    find,
    lookup: (name) => find(name)?.value,
    describeMissing(name) {
      const places = sources.flatMap((s) => s.places(name));
      const lines = [
        `${name} is not set. Searched, in this order (${opts.deployment.kind} deployment):`,
        ...places.map((p, i) => `  ${i + 1}. ${p}`),
        'Set it in one of these ways:',
        ...howToSet(name, opts.deployment, {
          credentialsFile,
          envFile,
          secretsDir,
          platform: opts.platform,
          customFile: opts.credentialsFile !== undefined,
        }).map((h) => `  - ${h}`),
      ];
      return lines.join('\n');
    },
  };
}

interface HowToContext {
  credentialsFile: string;
  envFile: string;
  secretsDir: string;
  platform: NodeJS.Platform;
  customFile: boolean;
}

/** Ways to provide `name`, best first for the deployment. */
export function howToSet(name: string, deployment: Deployment, ctx: HowToContext): string[] {
  const secret = name.toLowerCase();
  const cli = deployment.kind === 'npx' ? 'npx mcp-proxy-server' : 'mcp-proxy';
  const fileFlag = ctx.customFile ? ` --credentials ${ctx.credentialsFile}` : '';
  const setCmd = `${cli} credentials set ${name}${fileFlag}   (stores it in ${ctx.credentialsFile}, mode 0600)`;
  const exportCmd =
    ctx.platform === 'win32'
      ? `$env:${name} = "..."   (PowerShell; cmd.exe: set ${name}=...)`
      : `export ${name}=...   (in the environment that starts the proxy, e.g. the MCP client's "env")`;
  const dotenvLine = `add ${name}=... to ${ctx.envFile}`;
  if (deployment.kind === 'docker') {
    return [
      `add a Docker secret ${secret} (compose: \`secrets: [${secret}]\` on the service, and top-level ` +
        `\`secrets: {${secret}: {file: ./${secret}.txt}}\`); it appears as ${path.posix.join(ctx.secretsDir, secret)}`,
      `pass it as an environment variable: docker run -e ${name}=... (compose: \`environment: [${name}]\`)`,
      `point ${name}_FILE at a mounted file holding the value`,
    ];
  }
  return [setCmd, exportCmd, dotenvLine];
}
