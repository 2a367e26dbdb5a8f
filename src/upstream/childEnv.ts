/**
 * The environment a stdio upstream starts with. The SDK's default passes only six variables
 * (HOME, LOGNAME, PATH, SHELL, TERM, USER); `npx`/`uvx`-style servers also need the locale,
 * temp dirs, proxy and CA settings, and the npm cache location. The configured `env` goes on top.
 */
import { serverCompileCacheDir } from '../util/cacheDir.js';

export const INHERITED_ENV_VARS = [
  // POSIX basics (the SDK's set)
  'HOME',
  'LOGNAME',
  'PATH',
  'SHELL',
  'TERM',
  'USER',
  // locale and time
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'LC_MESSAGES',
  'TZ',
  // temp and XDG dirs
  'TMPDIR',
  'TMP',
  'TEMP',
  'XDG_CONFIG_HOME',
  'XDG_CACHE_HOME',
  'XDG_DATA_HOME',
  'XDG_RUNTIME_DIR',
  // network: proxies and extra CAs (corporate networks)
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  // node / npm / python tool caches
  'NODE_OPTIONS',
  'NODE_COMPILE_CACHE',
  'NODE_DISABLE_COMPILE_CACHE',
  'NVM_DIR',
  'NVM_BIN',
  'npm_config_cache',
  'npm_config_registry',
  'npm_config_prefix',
  'UV_CACHE_DIR',
  'PYTHONPATH',
  'VIRTUAL_ENV',
  // Docker (for servers that drive the engine)
  'DOCKER_HOST',
  // Windows essentials
  'APPDATA',
  'LOCALAPPDATA',
  'HOMEDRIVE',
  'HOMEPATH',
  'PATHEXT',
  'PROGRAMFILES',
  'SYSTEMDRIVE',
  'SYSTEMROOT',
  'USERPROFILE',
  'WINDIR',
  'COMSPEC',
];

export function buildChildEnv(
  parent: NodeJS.ProcessEnv,
  configured: Record<string, string> | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED_ENV_VARS) {
    const value = parent[key];
    // Skip exported shell functions (security: they would run in the child's shell).
    if (value !== undefined && !value.startsWith('()')) env[key] = value;
  }
  return { ...env, ...(configured ?? {}) };
}

/**
 * The proxy's environment as the base of its stdio servers': with NODE_COMPILE_CACHE set to `dir`
 * (util/cacheDir.ts), unless the user set it or NODE_DISABLE_COMPILE_CACHE. Node 22.1+ then keeps each
 * server's compiled modules there (an `npx` server's npm CLI too), so every start after the first
 * compiles far less; older Node and other runtimes ignore the variable. A server's own `env` can turn it
 * off with NODE_DISABLE_COMPILE_CACHE=1.
 */
export function withCompileCache(env: NodeJS.ProcessEnv, dir: string | undefined): NodeJS.ProcessEnv {
  if (dir === undefined || env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return env;
  return { ...env, NODE_COMPILE_CACHE: dir };
}

/** Where the proxy runs: what the stdio servers' base environment is made from. */
export interface ServerHost {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  homedir: string;
}

/**
 * The base environment of every stdio server, for the config's `proxy` section (its `cache`, read raw by
 * the launcher's pre-read). The pre-read, the early start and the pool all start from it: a process
 * started early is taken only if its environment is exactly the one the connection would give it.
 */
export function serversEnv(host: ServerHost, proxy: { cache?: unknown } | undefined): NodeJS.ProcessEnv {
  const dir = proxy?.cache === false ? undefined : serverCompileCacheDir(host.env, host.platform, host.homedir);
  return withCompileCache(host.env, dir);
}
