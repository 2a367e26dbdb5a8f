// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references in configs are what this test is about
/**
 * A variable from each credential source reaches a real upstream's environment through the BUILT proxy
 * (`run` over stdio, a real v2 client, the env-echo fixture upstream), in a docker and a node deployment;
 * and no secret value appears in the proxy's stderr at --log-level debug.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mask } from '../../src/observability/redact.js';
import { ensureBuilt } from '../helpers/build.js';
import { tmpDir } from '../helpers/files.js';
import { BUNDLE, ENV_ECHO } from '../helpers/paths.js';
import { connectProxy, type ProxySession, text } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

beforeAll(ensureBuilt);

let dir: string;
let session: ProxySession | undefined;

beforeEach(() => {
  dir = tmpDir('mcp-cred-e2e-');
});
afterEach(async () => {
  await session?.close();
  session = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(file: string, content: string, mode = 0o600): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  fs.chmodSync(file, mode);
  return file;
}

const SECRETS = {
  file: 'file-secret-value-AAAA1111',
  env: 'env-secret-value-BBBB2222',
  dotenv: 'dotenv-secret-value-CCCC3333',
  docker: 'docker-secret-value-DDDD4444',
  pointer: 'pointer-secret-value-EEEE5555',
  shadowFile: 'shadow-in-file-FFFF6666',
  shadowSecret: 'shadow-in-secret-GGGG7777',
  unreferenced: 'dotenv-unreferenced-HHHH8888',
};

/** One variable in each source, plus SHADOWED in both the credentials file and a Docker secret. */
function setup() {
  const home = path.join(dir, 'home');
  const secrets = path.join(dir, 'secrets');
  const credentials = write(
    path.join(dir, 'conf', 'credentials.json'),
    JSON.stringify({ FROM_FILE: SECRETS.file, SHADOWED: SECRETS.shadowFile }),
  );
  const envFile = write(
    path.join(dir, 'conf', 'proxy.env'),
    `FROM_DOTENV=${SECRETS.dotenv}\nDOTENV_ONLY=${SECRETS.unreferenced}\n`,
  );
  write(path.join(secrets, 'from_secret'), `${SECRETS.docker}\n`);
  write(path.join(secrets, 'shadowed'), `${SECRETS.shadowSecret}\n`);
  const pointer = write(path.join(dir, 'elsewhere', 'pointer.txt'), `${SECRETS.pointer}\n`);
  fs.mkdirSync(home, { recursive: true });
  const config = write(
    path.join(dir, 'mcp-proxy.json'),
    JSON.stringify({
      mcpServers: {
        envy: {
          command: process.execPath,
          args: [ENV_ECHO],
          env: {
            FROM_FILE: '${FROM_FILE}',
            FROM_ENV: '${FROM_ENV}',
            FROM_DOTENV: '${FROM_DOTENV}',
            FROM_SECRET: '${FROM_SECRET}',
            FROM_POINTER: '${FROM_POINTER}',
            SHADOWED: '${SHADOWED}',
            WITH_DEFAULT: '${NOT_SET_ANYWHERE:-the-default}',
            ENV_ECHO_STDERR: 'FROM_FILE,FROM_ENV,FROM_DOTENV,FROM_SECRET,FROM_POINTER,SHADOWED',
          },
        },
      },
    }),
    0o644,
  );
  const env = {
    HOME: home,
    MCP_PROXY_SECRETS_DIR: secrets,
    FROM_ENV: SECRETS.env,
    FROM_POINTER_FILE: pointer,
  };
  return { config, credentials, envFile, env };
}

async function getEnv(s: ProxySession, name: string): Promise<string> {
  return text(await s.client.callTool({ name: 'envy__get_env', arguments: { name } }));
}

describe('credentials reach upstreams through `run`', () => {
  for (const deployment of ['docker', 'node'] as const) {
    it(`${deployment}: one variable from each source, with ${deployment} precedence`, async () => {
      const { config, credentials, envFile, env } = setup();
      session = await connectProxy('v2-2025', config, {
        args: ['--credentials', credentials, '--env-file', envFile],
        env: { ...env, MCP_PROXY_DEPLOYMENT: deployment },
        cwd: dir,
      });
      expect(await getEnv(session, 'FROM_FILE')).toBe(SECRETS.file);
      expect(await getEnv(session, 'FROM_ENV')).toBe(SECRETS.env);
      expect(await getEnv(session, 'FROM_DOTENV')).toBe(SECRETS.dotenv);
      expect(await getEnv(session, 'FROM_SECRET')).toBe(SECRETS.docker);
      expect(await getEnv(session, 'FROM_POINTER')).toBe(SECRETS.pointer);
      expect(await getEnv(session, 'WITH_DEFAULT')).toBe('the-default');
      // Docker secrets count as files in a container and come first; elsewhere the credentials file does.
      expect(await getEnv(session, 'SHADOWED')).toBe(
        deployment === 'docker' ? SECRETS.shadowSecret : SECRETS.shadowFile,
      );
      // .env is read into a copy: a name the config does not reference never reaches an upstream.
      expect(await getEnv(session, 'DOTENV_ONLY')).toBe('(unset)');

      // The upstream printed every value to its stderr, which the proxy relays: masked, never in full.
      const stderr = await waitFor(() => {
        const s = session?.stderr() ?? '';
        return s.includes('env-echo: SHADOWED=') ? s : undefined;
      }, 'the upstream stderr lines');
      expect(stderr).toContain(`env-echo: FROM_FILE=${mask(SECRETS.file)}`);
      expect(stderr).toContain(`env-echo: FROM_ENV=${mask(SECRETS.env)}`);
      expect(stderr).toContain(`env-echo: FROM_DOTENV=${mask(SECRETS.dotenv)}`);
      expect(stderr).toContain(`env-echo: FROM_SECRET=${mask(SECRETS.docker)}`);
      expect(stderr).toContain(`env-echo: FROM_POINTER=${mask(SECRETS.pointer)}`);
      for (const value of Object.values(SECRETS)) expect(stderr).not.toContain(value);
    });
  }

  it('`credentials set` while running: the reload gives the upstream the new value', async () => {
    const { config, credentials, envFile, env } = setup();
    session = await connectProxy('v2-2025', config, {
      args: ['--credentials', credentials, '--env-file', envFile],
      env: { ...env, MCP_PROXY_DEPLOYMENT: 'node' },
      cwd: dir,
    });
    expect(await getEnv(session, 'FROM_FILE')).toBe(SECRETS.file);
    const rotated = 'rotated-file-secret-IIII9999';
    const set = spawnSync(process.execPath, [BUNDLE, 'credentials', 'set', 'FROM_FILE', '--credentials', credentials], {
      cwd: dir,
      encoding: 'utf8',
      input: `${rotated}\n`,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    expect(set.status).toBe(0);
    const s = session;
    await waitFor(
      async () => (await getEnv(s, 'FROM_FILE').catch(() => '')) === rotated,
      'the rotated value upstream',
      20_000,
    );
    expect(await getEnv(s, 'FROM_ENV')).toBe(SECRETS.env);
    expect(s.stderr()).toContain('config reloaded');
    expect(s.stderr()).not.toContain(rotated);
  });

  it('a missing variable stops `run` with exit 3, naming every place searched and how to set it', () => {
    const { config, credentials, envFile, env } = setup();
    fs.writeFileSync(
      config,
      JSON.stringify({
        mcpServers: { envy: { command: process.execPath, args: [ENV_ECHO], env: { T: '${GITHUB_TOKEN}' } } },
      }),
    );
    const r = spawnSync(
      process.execPath,
      [BUNDLE, 'run', '--config', config, '--credentials', credentials, '--env-file', envFile],
      {
        cwd: dir,
        encoding: 'utf8',
        input: '',
        env: { PATH: process.env.PATH ?? '', ...env, MCP_PROXY_DEPLOYMENT: 'docker' },
      },
    );
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('GITHUB_TOKEN');
    expect(r.stderr).toContain(
      `Docker secret ${path.join(dir, 'secrets')}/GITHUB_TOKEN or ${path.join(dir, 'secrets')}/github_token`,
    );
    expect(r.stderr).toContain(`credentials file ${credentials} (no key GITHUB_TOKEN)`);
    expect(r.stderr).toContain('environment variable GITHUB_TOKEN (not set)');
    expect(r.stderr).toContain(`.env file ${envFile} (no GITHUB_TOKEN=)`);
    expect(r.stderr).toContain('add a Docker secret github_token');
    for (const value of Object.values(SECRETS)) expect(r.stderr).not.toContain(value);
  });
});
