// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what these commands write
/** The client-config entry that starts or reaches the proxy, and merging it into a client's config text. */
import fs from 'node:fs';
import { DEFAULTS } from '../../config/defaults.js';
import { AppError } from '../../errors.js';
import {
  type ClientConfigLocation,
  type ClientId,
  type EntryDeployment,
  PACKAGE_NAME,
  PROXY_ENTRY_NAME,
  remoteEntry,
  stdioEntry,
  stdioLaunch,
  VSCODE_TOKEN_INPUT,
  vscodeTokenInput,
} from '../../generate/clients.js';
import { appendJsonArray, parseJsonObject, setServerEntry } from '../../generate/jsonFile.js';
import { VERSION } from '../../version.js';
import type { CliContext } from '../context.js';
import { credentialChainFor } from '../credentialOptions.js';
import { note } from './output.js';

const DEFAULT_REMOTE_URL = `http://${DEFAULTS.host}:${DEFAULTS.port}/mcp`;

export function deploymentFor(requested: string | undefined, ctx: CliContext): EntryDeployment {
  return (requested as EntryDeployment | undefined) ?? ctx.deployment.kind;
}

/** The entry (in `client`'s dialect) that starts or reaches the proxy. */
export function proxyEntry(
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
export function mergeProxyEntry(
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
