/** Build-time constants, replaced by esbuild's `define`; the fallbacks serve tests run from source. */
declare const __MCP_PROXY_VERSION__: string | undefined;
declare const __MCP_PROXY_BUILD__: string | undefined;
declare const __MCP_SDK_VERSION__: string | undefined;

export const VERSION: string = typeof __MCP_PROXY_VERSION__ === 'string' ? __MCP_PROXY_VERSION__ : '0.0.0-dev';
export const BUILD: string = typeof __MCP_PROXY_BUILD__ === 'string' ? __MCP_PROXY_BUILD__ : 'source';
export const SDK_VERSION: string = typeof __MCP_SDK_VERSION__ === 'string' ? __MCP_SDK_VERSION__ : 'unknown';
export const PACKAGE_NAME = 'mcp-proxy-server';
