// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what client configs hold
/**
 * The MCP clients we generate entries for and import from: where each keeps its config on each OS,
 * under which key its servers live, and the entry that starts or reaches the proxy for each deployment.
 *
 * | client         | file (global)                                                    | project file        | key        |
 * |----------------|------------------------------------------------------------------|---------------------|------------|
 * | claude-desktop | macOS ~/Library/Application Support/Claude/claude_desktop_config.json, Windows %APPDATA%\Claude\..., Linux ~/.config/Claude/... | - | mcpServers |
 * | cursor         | ~/.cursor/mcp.json                                               | .cursor/mcp.json    | mcpServers |
 * | vscode         | the user profile's mcp.json (Code/User/mcp.json)                  | .vscode/mcp.json    | servers    |
 * | claude-code    | ~/.claude.json                                                    | .mcp.json           | mcpServers |
 */
import path from 'node:path';
import { AppError } from '../errors.js';

export const CLIENTS = ['claude-desktop', 'cursor', 'vscode', 'claude-code'] as const;
export type ClientId = (typeof CLIENTS)[number];

export const DEPLOYMENTS = ['binary', 'npx', 'docker', 'node', 'remote'] as const;
export type EntryDeployment = (typeof DEPLOYMENTS)[number];

/** The name of our entry in every client config. */
export const PROXY_ENTRY_NAME = 'mcp-proxy';
export const PACKAGE_NAME = 'mcp-proxy-server';
/** What `docker compose -f docker/compose.yaml build` tags (docker/compose.yaml); `--image` or $MCP_PROXY_IMAGE override it. */
export const DEFAULT_IMAGE = 'mcp-proxy-server:local';
export const TOKEN_VARIABLE = 'MCP_PROXY_TOKEN';
/** VS Code prompts for this input once and stores it in its secret storage. */
export const VSCODE_TOKEN_INPUT = 'mcp-proxy-token';

export const CLIENT_LABELS: Record<ClientId, string> = {
  'claude-desktop': 'Claude Desktop',
  cursor: 'Cursor',
  vscode: 'VS Code',
  'claude-code': 'Claude Code',
};

export interface PlatformContext {
  env: Record<string, string | undefined>;
  homedir: string;
  cwd: string;
  platform: NodeJS.Platform;
}

export interface ClientConfigLocation {
  client: ClientId;
  file: string;
  /** The member that holds the servers. */
  key: 'mcpServers' | 'servers';
  scope: 'global' | 'project';
}

function api(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** %APPDATA% on Windows, ~/Library/Application Support on macOS, $XDG_CONFIG_HOME or ~/.config elsewhere. */
function appConfigDir(ctx: PlatformContext): string {
  const p = api(ctx.platform);
  if (ctx.platform === 'win32') return ctx.env.APPDATA || p.join(ctx.homedir, 'AppData', 'Roaming');
  if (ctx.platform === 'darwin') return p.join(ctx.homedir, 'Library', 'Application Support');
  const xdg = ctx.env.XDG_CONFIG_HOME;
  return xdg && p.isAbsolute(xdg) ? xdg : p.join(ctx.homedir, '.config');
}

/** Where `client` keeps its MCP servers on this OS (`project`: the file in the current directory). */
export function clientConfigLocation(client: ClientId, ctx: PlatformContext, project = false): ClientConfigLocation {
  const p = api(ctx.platform);
  switch (client) {
    case 'claude-desktop':
      if (project) {
        throw new AppError('USAGE', 'Claude Desktop has no per-project config file', {
          hint: 'drop --project: Claude Desktop reads one global claude_desktop_config.json',
        });
      }
      return {
        client,
        file: p.join(appConfigDir(ctx), 'Claude', 'claude_desktop_config.json'),
        key: 'mcpServers',
        scope: 'global',
      };
    case 'cursor':
      return {
        client,
        file: project ? p.join(ctx.cwd, '.cursor', 'mcp.json') : p.join(ctx.homedir, '.cursor', 'mcp.json'),
        key: 'mcpServers',
        scope: project ? 'project' : 'global',
      };
    case 'vscode':
      return {
        client,
        file: project ? p.join(ctx.cwd, '.vscode', 'mcp.json') : p.join(appConfigDir(ctx), 'Code', 'User', 'mcp.json'),
        key: 'servers',
        scope: project ? 'project' : 'global',
      };
    case 'claude-code':
      return {
        client,
        file: project ? p.join(ctx.cwd, '.mcp.json') : p.join(ctx.homedir, '.claude.json'),
        key: 'mcpServers',
        scope: project ? 'project' : 'global',
      };
  }
}

/** How a local client starts the proxy: a command and its arguments (stdio). */
export interface StdioLaunch {
  command: string;
  args: string[];
}

export interface LaunchOptions {
  deployment: Exclude<EntryDeployment, 'remote'>;
  /** Absolute path of the proxy config on this machine. */
  configPath: string;
  /** Absolute path of a credentials file to pass explicitly (only when not the default one). */
  credentialsFile?: string;
  /** For docker: a credentials file to mount (the default one, when it exists). */
  mountCredentials?: string;
  version: string;
  /** The running executable (the binary itself for `binary`, node for `node`). */
  execPath: string;
  /** The running bundle (dist/mcp-proxy.mjs), for `node`. */
  entry: string;
  platform: NodeJS.Platform;
  image?: string;
  /** docker: run the container as this "uid:gid" (ours), so the 0600 credentials file stays readable. */
  user?: string;
}

/** The command line that starts the proxy over stdio for one deployment. */
export function stdioLaunch(o: LaunchOptions): StdioLaunch {
  const p = api(o.platform);
  const run = ['run', '--config', o.configPath, ...(o.credentialsFile ? ['--credentials', o.credentialsFile] : [])];
  switch (o.deployment) {
    case 'binary':
      return { command: o.execPath, args: run };
    case 'node':
      // The absolute node path: GUI clients start with a minimal PATH that may not find `node`.
      return { command: o.execPath, args: [p.resolve(o.entry), ...run] };
    case 'npx': {
      const args = ['-y', `${PACKAGE_NAME}@${o.version}`, ...run];
      // On Windows `npx` is a .cmd shim that clients cannot spawn directly.
      return o.platform === 'win32' ? { command: 'cmd', args: ['/c', 'npx', ...args] } : { command: 'npx', args };
    }
    case 'docker': {
      const credentials = o.credentialsFile ?? o.mountCredentials;
      const args = [
        'run',
        '-i',
        '--rm',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        // As root, the image's own user is safer, unless it must read root's 0600 credentials file.
        ...(o.user && (!o.user.startsWith('0:') || credentials) ? ['--user', o.user] : []),
        '-v',
        `${o.configPath}:/config/mcp-proxy.json:ro`,
        ...(credentials ? ['-v', `${credentials}:/config/credentials.json:ro`] : []),
        o.image ?? DEFAULT_IMAGE,
        'run',
        '--transport',
        'stdio',
        '--config',
        '/config/mcp-proxy.json',
        ...(credentials ? ['--credentials', '/config/credentials.json'] : []),
      ];
      return { command: 'docker', args };
    }
  }
}

/** The remote (Streamable HTTP) entry for the clients that take URLs; the token is never written literally. */
export function remoteEntry(client: ClientId, url: string): Record<string, unknown> {
  switch (client) {
    case 'claude-desktop':
      throw new AppError('USAGE', 'Claude Desktop does not take URLs in claude_desktop_config.json', {
        details: [
          'Its config only starts local commands (stdio). Instead, run the proxy locally over stdio and let it',
          'reach the remote endpoint as an upstream (no mcp-remote needed): add to your proxy config',
          `  "mcpServers": { "remote": { "url": "${url}", "headers": { "Authorization": "Bearer \${${TOKEN_VARIABLE}}" } } }`,
          `store the token with \`mcp-proxy credentials set ${TOKEN_VARIABLE}\`, then generate the local entry:`,
          '  mcp-proxy generate client-config --client claude-desktop --deployment npx   (or binary / docker)',
        ],
        hint: 'or add the URL as a custom connector in Claude Desktop settings (Settings > Connectors)',
      });
    case 'cursor':
      return { url, headers: { Authorization: `Bearer \${env:${TOKEN_VARIABLE}}` } };
    case 'vscode':
      return { type: 'http', url, headers: { Authorization: `Bearer \${input:${VSCODE_TOKEN_INPUT}}` } };
    case 'claude-code':
      return { type: 'http', url, headers: { Authorization: `Bearer \${${TOKEN_VARIABLE}}` } };
  }
}

/** The local (stdio) entry in the client's own dialect. */
export function stdioEntry(client: ClientId, launch: StdioLaunch): Record<string, unknown> {
  switch (client) {
    case 'claude-desktop':
    case 'cursor':
      return { command: launch.command, args: launch.args };
    case 'vscode':
      return { type: 'stdio', command: launch.command, args: launch.args };
    case 'claude-code':
      return { type: 'stdio', command: launch.command, args: launch.args, env: {} };
  }
}

/** VS Code's `inputs` entry for the token prompt (remote entries only). */
export function vscodeTokenInput(): Record<string, unknown> {
  return {
    type: 'promptString',
    id: VSCODE_TOKEN_INPUT,
    description: `mcp-proxy bearer token (${TOKEN_VARIABLE})`,
    password: true,
  };
}

/** How a user reads the token placeholder in a remote entry. */
export function remoteTokenNote(client: ClientId): string {
  switch (client) {
    case 'cursor':
      return `Cursor reads \${env:${TOKEN_VARIABLE}} from its environment: export ${TOKEN_VARIABLE} before starting Cursor.`;
    case 'vscode':
      return `VS Code asks for the token once (input "${VSCODE_TOKEN_INPUT}") and keeps it in its secret storage.`;
    case 'claude-code':
      return `Claude Code expands \${${TOKEN_VARIABLE}} from its environment: export ${TOKEN_VARIABLE} before starting claude.`;
    default:
      return '';
  }
}
