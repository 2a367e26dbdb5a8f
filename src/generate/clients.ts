// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what client configs hold
/**
 * The MCP clients we generate entries for and import from: where each keeps its config on each OS,
 * under which key its servers live, in which format, and the entry that starts or reaches the proxy.
 * Each location below is the one the client's own documentation names.
 *
 * | client         | global file                                                                      | project file           | key             |
 * |----------------|----------------------------------------------------------------------------------|------------------------|-----------------|
 * | claude-desktop | <app config>/Claude/claude_desktop_config.json                                   | -                      | mcpServers      |
 * | cursor         | ~/.cursor/mcp.json                                                               | .cursor/mcp.json       | mcpServers      |
 * | vscode         | <app config>/Code/User/mcp.json                                                  | .vscode/mcp.json       | servers         |
 * | claude-code    | ~/.claude.json                                                                   | .mcp.json              | mcpServers      |
 * | windsurf       | ~/.codeium/windsurf/mcp_config.json                                              | -                      | mcpServers      |
 * | cline          | <app config>/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json | -           | mcpServers      |
 * | zed            | ~/.config/zed/settings.json ($XDG_CONFIG_HOME; Windows %APPDATA%\Zed)            | .zed/settings.json     | context_servers |
 * | gemini-cli     | ~/.gemini/settings.json                                                          | .gemini/settings.json  | mcpServers      |
 * | codex          | $CODEX_HOME/config.toml, default ~/.codex/config.toml (TOML)                     | .codex/config.toml     | mcp_servers     |
 *
 * <app config> is ~/Library/Application Support on macOS, %APPDATA% on Windows, $XDG_CONFIG_HOME or ~/.config on Linux.
 */
import type path from 'node:path';
import { AppError } from '../errors.js';
import { pathApi } from '../util/paths.js';

export const CLIENTS = [
  'claude-desktop',
  'cursor',
  'vscode',
  'claude-code',
  'windsurf',
  'cline',
  'zed',
  'gemini-cli',
  'codex',
] as const;
export type ClientId = (typeof CLIENTS)[number];

export function isClientId(name: string): name is ClientId {
  return (CLIENTS as readonly string[]).includes(name);
}

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
  windsurf: 'Windsurf',
  cline: 'Cline',
  zed: 'Zed',
  'gemini-cli': 'Gemini CLI',
  codex: 'Codex CLI',
};

export interface PlatformContext {
  env: Record<string, string | undefined>;
  homedir: string;
  cwd: string;
  platform: NodeJS.Platform;
}

export type ServersKey = 'mcpServers' | 'servers' | 'context_servers' | 'mcp_servers';

export interface ClientConfigLocation {
  client: ClientId;
  file: string;
  /** The member that holds the servers. */
  key: ServersKey;
  scope: 'global' | 'project';
  /** JSON (comments tolerated) or TOML (Codex). */
  format: 'json' | 'toml';
}

/** %APPDATA% on Windows, ~/Library/Application Support on macOS, $XDG_CONFIG_HOME or ~/.config elsewhere. */
function appConfigDir(ctx: PlatformContext): string {
  const p = pathApi(ctx.platform);
  if (ctx.platform === 'win32') return ctx.env.APPDATA || p.join(ctx.homedir, 'AppData', 'Roaming');
  if (ctx.platform === 'darwin') return p.join(ctx.homedir, 'Library', 'Application Support');
  return xdgConfigHome(ctx);
}

function xdgConfigHome(ctx: PlatformContext): string {
  const p = pathApi(ctx.platform);
  const xdg = ctx.env.XDG_CONFIG_HOME;
  return xdg && p.isAbsolute(xdg) ? xdg : p.join(ctx.homedir, '.config');
}

interface ClientFiles {
  key: ServersKey;
  format?: 'json' | 'toml';
  global: (ctx: PlatformContext, p: path.PlatformPath) => string;
  /** Relative to the current directory; absent: the client has no per-project file. */
  project?: string[];
}

const FILES: Record<ClientId, ClientFiles> = {
  'claude-desktop': {
    key: 'mcpServers',
    global: (ctx, p) => p.join(appConfigDir(ctx), 'Claude', 'claude_desktop_config.json'),
  },
  cursor: {
    key: 'mcpServers',
    global: (ctx, p) => p.join(ctx.homedir, '.cursor', 'mcp.json'),
    project: ['.cursor', 'mcp.json'],
  },
  vscode: {
    key: 'servers',
    global: (ctx, p) => p.join(appConfigDir(ctx), 'Code', 'User', 'mcp.json'),
    project: ['.vscode', 'mcp.json'],
  },
  'claude-code': { key: 'mcpServers', global: (ctx, p) => p.join(ctx.homedir, '.claude.json'), project: ['.mcp.json'] },
  windsurf: { key: 'mcpServers', global: (ctx, p) => p.join(ctx.homedir, '.codeium', 'windsurf', 'mcp_config.json') },
  cline: {
    key: 'mcpServers',
    global: (ctx, p) =>
      p.join(
        appConfigDir(ctx),
        'Code',
        'User',
        'globalStorage',
        'saoudrizwan.claude-dev',
        'settings',
        'cline_mcp_settings.json',
      ),
  },
  zed: {
    key: 'context_servers',
    // Zed uses ~/.config/zed on macOS too, not Application Support.
    global: (ctx, p) =>
      ctx.platform === 'win32'
        ? p.join(ctx.env.APPDATA || p.join(ctx.homedir, 'AppData', 'Roaming'), 'Zed', 'settings.json')
        : p.join(
            ctx.platform === 'darwin' ? p.join(ctx.homedir, '.config') : xdgConfigHome(ctx),
            'zed',
            'settings.json',
          ),
    project: ['.zed', 'settings.json'],
  },
  'gemini-cli': {
    key: 'mcpServers',
    global: (ctx, p) => p.join(ctx.homedir, '.gemini', 'settings.json'),
    project: ['.gemini', 'settings.json'],
  },
  codex: {
    key: 'mcp_servers',
    format: 'toml',
    global: (ctx, p) => {
      const home = ctx.env.CODEX_HOME;
      return p.join(home && p.isAbsolute(home) ? home : p.join(ctx.homedir, '.codex'), 'config.toml');
    },
    project: ['.codex', 'config.toml'],
  },
};

/** Where `client` keeps its MCP servers on this OS (`project`: the file in the current directory). */
export function clientConfigLocation(client: ClientId, ctx: PlatformContext, project = false): ClientConfigLocation {
  const p = pathApi(ctx.platform);
  const f = FILES[client];
  const format = f.format ?? 'json';
  if (!project) return { client, file: f.global(ctx, p), key: f.key, scope: 'global', format };
  if (!f.project) {
    throw new AppError('USAGE', `${CLIENT_LABELS[client]} has no per-project config file`, {
      hint: `drop --project: ${CLIENT_LABELS[client]} reads one global ${p.basename(f.global(ctx, p))}`,
    });
  }
  return { client, file: p.join(ctx.cwd, ...f.project), key: f.key, scope: 'project', format };
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
  const p = pathApi(o.platform);
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
        // Never root in the container: as root we leave the image's own (non-root) user in place.
        ...(o.user && !o.user.startsWith('0:') ? ['--user', o.user] : []),
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

/** Clients whose config cannot reference the token without holding it literally (no variable expansion). */
const NO_TOKEN_REFERENCE: Partial<Record<ClientId, string>> = {
  'claude-desktop': 'Claude Desktop does not take URLs in claude_desktop_config.json',
  cline: 'Cline cannot read the bearer token from a variable (it would have to be written literally)',
  zed: 'Zed cannot read the bearer token from a variable (it would have to be written literally)',
};

/** The remote (Streamable HTTP) entry for the clients that take URLs; the token is never written literally. */
export function remoteEntry(client: ClientId, url: string): Record<string, unknown> {
  const refused = NO_TOKEN_REFERENCE[client];
  if (refused) {
    throw new AppError('USAGE', refused, {
      details: [
        'Instead, run the proxy locally over stdio and let it reach the remote endpoint as an upstream',
        '(no mcp-remote needed): add to your proxy config',
        `  "mcpServers": { "remote": { "url": "${url}", "headers": { "Authorization": "Bearer \${${TOKEN_VARIABLE}}" } } }`,
        `store the token with \`mcp-proxy credentials set ${TOKEN_VARIABLE}\`, then generate the local entry:`,
        `  mcp-proxy generate client-config --client ${client} --deployment node   (or binary / npx / docker)`,
      ],
      hint:
        client === 'claude-desktop'
          ? 'or add the URL as a custom connector in Claude Desktop settings (Settings > Connectors)'
          : undefined,
    });
  }
  switch (client) {
    case 'cursor':
      return { url, headers: { Authorization: `Bearer \${env:${TOKEN_VARIABLE}}` } };
    case 'vscode':
      return { type: 'http', url, headers: { Authorization: `Bearer \${input:${VSCODE_TOKEN_INPUT}}` } };
    case 'claude-code':
      return { type: 'http', url, headers: { Authorization: `Bearer \${${TOKEN_VARIABLE}}` } };
    case 'windsurf':
      return { serverUrl: url, headers: { Authorization: `Bearer \${env:${TOKEN_VARIABLE}}` } };
    case 'gemini-cli':
      // `url` would mean SSE to Gemini CLI; `httpUrl` is Streamable HTTP.
      return { httpUrl: url, headers: { Authorization: `Bearer \${${TOKEN_VARIABLE}}` } };
    case 'codex':
      return { url, bearer_token_env_var: TOKEN_VARIABLE };
    default:
      throw new AppError('INTERNAL', `no remote entry for ${client}`);
  }
}

/** The local (stdio) entry in the client's own dialect. */
export function stdioEntry(client: ClientId, launch: StdioLaunch): Record<string, unknown> {
  switch (client) {
    case 'vscode':
      return { type: 'stdio', command: launch.command, args: launch.args };
    case 'claude-code':
      return { type: 'stdio', command: launch.command, args: launch.args, env: {} };
    case 'zed':
      return { command: launch.command, args: launch.args, env: {} };
    default:
      return { command: launch.command, args: launch.args };
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
    case 'windsurf':
      return `Windsurf reads \${env:${TOKEN_VARIABLE}} from its environment: export ${TOKEN_VARIABLE} before starting Windsurf.`;
    case 'gemini-cli':
      return `Gemini CLI expands \${${TOKEN_VARIABLE}} from its environment: export ${TOKEN_VARIABLE} before starting gemini.`;
    case 'codex':
      return `Codex sends the value of $${TOKEN_VARIABLE} (bearer_token_env_var) as the bearer token: export it before starting codex.`;
    default:
      return '';
  }
}
