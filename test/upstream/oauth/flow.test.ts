import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamConfig } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/observability/logger.js';
import { browserLogin } from '../../../src/upstream/oauth/login.js';
import { OAuthRuntime } from '../../../src/upstream/oauth/runtime.js';
import { TokenStore } from '../../../src/upstream/oauth/tokenStore.js';
import { UpstreamPool } from '../../../src/upstream/pool.js';
import { tempDir } from '../../helpers/files.js';
import {
  type AuthServer,
  browse,
  type ProtectedServer,
  startAuthServer,
  startProtectedServer,
} from '../../helpers/oauth.js';

let as: AuthServer;
let mcp: ProtectedServer;
const tmp = tempDir('mcp-oauth-');
beforeAll(async () => {
  as = await startAuthServer();
  mcp = await startProtectedServer(as.issuer);
});
afterAll(async () => {
  await mcp?.close();
  await as?.close();
  tmp.cleanup();
});

describe('explore', () => {
  it('logs in and calls a tool', async () => {
    const store = new TokenStore({ dir: path.join(tmp.dir, 'oauth') });
    const login = await browserLogin({
      server: 'a',
      url: mcp.url,
      oauth: true,
      store,
      openUrl: async (u) => {
        await browse(u.href, u.searchParams.get('redirect_uri') as string);
      },
    });
    console.log(JSON.stringify(login, null, 1));
  });
});
