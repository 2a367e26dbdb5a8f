import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import type { CliContext } from '../../src/cli/context.js';
import { credentialChainFor, credentialOptions } from '../../src/cli/credentialOptions.js';
import { Redactor } from '../../src/observability/redact.js';
import { tempDir, writeFile } from '../helpers/files.js';

describe('credentialOptions', () => {
  it('declares --credentials and --env-file the same way for every command', async () => {
    const args = await credentialOptions(yargs([]).strict())
      .exitProcess(false)
      .parseAsync(['--credentials', 'conf/creds.json', '--env-file', 'prod.env']);
    expect(args.credentials).toBe(path.normalize('conf/creds.json'));
    expect(args.envFile).toBe('prod.env');
  });

  it('credentialChainFor builds the chain from the context and registers values with ctx.redactor', () => {
    const tmp = tempDir();
    const cwd = tmp.dir;
    writeFile(path.join(cwd, 'creds.json'), '{}');
    writeFile(path.join(cwd, 'x.env'), 'OTHER=1\n');
    const redactor = new Redactor();
    const ctx = {
      env: { SOME_TOKEN: 'some-token-value-123', MCP_PROXY_SECRETS_DIR: path.join(os.tmpdir(), 'no-such-dir-x') },
      cwd,
      homedir: '/home/me',
      platform: 'linux',
      deployment: { kind: 'npx', evidence: 'test' },
      redactor,
    } as unknown as CliContext;
    const chain = credentialChainFor({ credentials: 'creds.json', envFile: 'x.env' }, ctx);
    expect(chain.credentialsFile).toBe(path.join(cwd, 'creds.json'));
    expect(chain.sources.map((s) => s.describe())).toEqual([
      `file ${path.join(cwd, 'creds.json')}`,
      'environment',
      `.env file ${path.join(cwd, 'x.env')}`,
      expect.stringContaining('Docker secrets'),
    ]);
    expect(chain.find('SOME_TOKEN')).toEqual({ value: 'some-token-value-123', source: 'env', origin: 'environment' });
    expect(redactor.redact('t=some-token-value-123')).toBe('t=so****23');
    tmp.cleanup();
  });
});
