/**
 * A login written while the server's attempt to connect is still running (begun before the login, so
 * it fails without it) is not lost: the change is kept and the config applied again once the server
 * is down. Real files, the real watcher; the pool is a stand-in that only reports states.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchLogins } from '../../../src/cli/run/oauthWatch.js';
import { createLogger } from '../../../src/observability/logger.js';
import { tmpDir } from '../../helpers/files.js';
import { waitFor } from '../../helpers/wait.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('OAuth login watch', () => {
  it('a login landing during a connect attempt reloads once the attempt has failed', async () => {
    const dir = tmpDir('mcp-proxy-oauthwatch-');
    const file = path.join(dir, 'remote.json');
    const pool = Object.assign(new EventEmitter(), { state: 'connecting', get: () => ({ state: pool.state }) });
    const reasons: string[] = [];
    const store = { file: () => file, seed: () => undefined };
    const watcher = await watchLogins(
      store as never,
      { remote: { type: 'http', url: 'http://127.0.0.1:1/mcp', oauth: true } as never },
      pool as never,
      async (reason) => {
        reasons.push(reason);
      },
      createLogger({ level: 'silent', format: 'json' }),
    );
    close = () => watcher.close();
    fs.writeFileSync(file, '{}');
    // The change is seen while the attempt runs: nothing to reload yet.
    await new Promise((r) => setTimeout(r, 500));
    expect(reasons).toEqual([]);
    pool.state = 'needs-login';
    pool.emit('status', 'remote');
    await waitFor(() => reasons.length === 1, 'a reload');
    expect(reasons).toEqual(['OAuth login changed (remote)']);
    // Kept only until used: the next failure alone reloads nothing.
    pool.emit('status', 'remote');
    expect(reasons).toHaveLength(1);
  });
});
