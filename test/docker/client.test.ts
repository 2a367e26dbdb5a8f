// Parts of the Docker port that need no engine: endpoint parsing, the unreachable-engine error, sizes.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { dockerConnection } from '../../src/upstream/docker/dockerode.js';
import { createDockerClient, formatDockerStatus, formatUptime, parseMemory } from '../../src/upstream/docker/index.js';

describe('docker connection', () => {
  it('reads DOCKER_HOST like the docker CLI', () => {
    expect(dockerConnection({ DOCKER_HOST: 'unix:///tmp/x.sock' }).options.socketPath).toBe('/tmp/x.sock');
    const tcp = dockerConnection({ DOCKER_HOST: 'tcp://10.0.0.5:2375' });
    expect(tcp.options).toMatchObject({ host: '10.0.0.5', port: '2375', protocol: 'http', socketPath: undefined });
    expect(dockerConnection({ DOCKER_HOST: 'tcp://h:2376' }).options.protocol).toBe('https');
    expect(dockerConnection({ DOCKER_HOST: 'ssh://me@box' }).options).toMatchObject({
      protocol: 'ssh',
      username: 'me',
    });
    expect(dockerConnection({}, 'linux').endpoint).toMatch(/^unix:\/\/.*docker\.sock$/);
  });

  it('says which socket it tried and how to fix it when no engine answers', async () => {
    const client = await createDockerClient({ DOCKER_HOST: 'unix:///nonexistent/mcp-proxy-test.sock' });
    const e = await client.ping().catch((err) => err);
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe('DOCKER_UNAVAILABLE');
    expect(e.exitCode).toBe(4);
    expect(e.message).toBe(
      'cannot reach a Docker engine at unix:///nonexistent/mcp-proxy-test.sock (the socket does not exist)',
    );
    expect(e.hint).toContain('DOCKER_HOST');
  });

  it('names a refused TCP endpoint', async () => {
    const client = await createDockerClient({ DOCKER_HOST: 'tcp://127.0.0.1:1' });
    const e = await client.ping().catch((err) => err);
    expect(e.code).toBe('DOCKER_UNAVAILABLE');
    expect(e.message).toContain('tcp://127.0.0.1:1');
    expect(formatDockerStatus({ available: false, reason: e.message })[0]).toContain('docker: not available');
  });
});

describe('sizes and formats', () => {
  it('parses memory limits', () => {
    expect(parseMemory('256m')).toBe(256 * 1024 * 1024);
    expect(parseMemory('1g')).toBe(1024 ** 3);
    expect(parseMemory('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseMemory('512MiB')).toBe(512 * 1024 * 1024);
    expect(() => parseMemory('lots', 'mcpServers.x.memory')).toThrow(
      /mcpServers\.x\.memory: "lots" is not a memory size/,
    );
    expect(() => parseMemory('1m')).toThrow(/minimum of 6m/);
  });

  it('formats uptime', () => {
    expect(formatUptime(42)).toBe('42s');
    expect(formatUptime(310)).toBe('5m 10s');
    expect(formatUptime(3 * 86400 + 4 * 3600)).toBe('3d 4h');
  });
});
