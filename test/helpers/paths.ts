/** Where things are, for every test: the repository, the built bundle, the fixtures and the npm servers. */
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BUNDLE = path.join(ROOT, 'dist/mcp-proxy.mjs');
export const NODE = process.execPath;
export const FIXTURES = path.join(ROOT, 'test/fixtures');
export const ECHO = path.join(FIXTURES, 'echo-server.mjs');
export const ENV_ECHO = path.join(FIXTURES, 'env-echo-server.mjs');
export const PAGED = path.join(FIXTURES, 'paged-server.mjs');
const SERVERS = path.join(ROOT, 'node_modules/@modelcontextprotocol');
export const MEMORY = path.join(SERVERS, 'server-memory/dist/index.js');
export const EVERYTHING = path.join(SERVERS, 'server-everything/dist/index.js');
export const FILESYSTEM = path.join(SERVERS, 'server-filesystem/dist/index.js');
