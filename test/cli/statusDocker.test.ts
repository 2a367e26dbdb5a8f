import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Sandbox, sandbox } from '../helpers/cli.js';

let box: Sandbox | undefined;
afterAll(() => box?.cleanup());

describe('status --config with a docker upstream', () => {
  it('reaches the Docker engine through the client factory (a clear engine error, not a crash on a missing client)', async () => {
    box = sandbox('mcp-status-docker-');
    const file = path.join(box.dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify({ mcpServers: { box: { type: 'docker', image: 'example/none:1' } } }));
    // A port nothing listens on: the engine is unreachable, fast.
    const r = await box.run(['status', '--config', file, '--json', '--timeout', '5000'], {
      DOCKER_HOST: 'tcp://127.0.0.1:9',
    });
    const report = JSON.parse(r.stdout);
    const row = report.upstreams.find((u: { name: string }) => u.name === 'box');
    expect(row.state).toBe('failed');
    expect(row.lastError).toMatch(/^cannot reach a Docker engine at tcp:\/\/127\.0\.0\.1:9/);
  });
});
