/**
 * The environment a stdio upstream starts with. The SDK's default passes only six variables
 * (HOME, LOGNAME, PATH, SHELL, TERM, USER); `npx`/`uvx`-style servers also need the locale,
 * temp dirs, proxy and CA settings, and the npm cache location. The configured `env` goes on top.
 */
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
