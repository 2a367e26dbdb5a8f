/**
 * The built proxy over stdio passes a large tools/call's arguments to a 2025-11-25 stdio upstream as the
 * bytes its client sent: a line written by hand (spacing and escapes JSON.stringify would not produce)
 * reaches the upstream with those bytes, while a small call's arguments are re-serialized as usual.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { BUNDLE, FIXTURES, NODE } from '../helpers/paths.js';

const RAW_LINE = path.join(FIXTURES, 'raw-line-server.mjs');

/** A client speaking newline-delimited JSON-RPC by hand, so the bytes of each line are the test's own. */
class LineClient {
  private pending = '';
  private readonly waiting = new Map<number, (m: any) => void>();

  constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => {
      this.pending += chunk.toString('utf8');
      for (let nl = this.pending.indexOf('\n'); nl >= 0; nl = this.pending.indexOf('\n')) {
        const m = JSON.parse(this.pending.slice(0, nl));
        this.pending = this.pending.slice(nl + 1);
        this.waiting.get(m.id)?.(m);
      }
    });
  }

  /** Writes `line` (a request with id `id`) and resolves with its response. */
  request(id: number, line: string): Promise<any> {
    const answered = new Promise((resolve) => this.waiting.set(id, resolve));
    this.child.stdin?.write(`${line}\n`);
    return answered;
  }

  notify(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }
}

describe('large tools/call arguments through the built proxy', () => {
  let child: ChildProcess;
  let client: LineClient;

  beforeAll(async () => {
    ensureBuilt();
    const dir = tmpDir();
    const config = writeConfig(dir, {
      mcpServers: { raw: { command: NODE, args: [RAW_LINE], protocol: '2025-11-25' } },
    });
    child = spawn(NODE, [BUNDLE, 'run', '--config', config, '--no-watch', '--log-level', 'warn'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    client = new LineClient(child);
    const init = await client.request(
      0,
      JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'lines', version: '1' } },
      }),
    );
    expect(init.result.serverInfo).toBeDefined();
    client.notify('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    // Arguments are read raw only for a tool whose upstream is known to be connected: wait until it is listed
    // (on a busy machine the first call could otherwise arrive while the server still starts).
    for (let id = 100; ; id++) {
      const list = await client.request(id, `{"jsonrpc":"2.0","id":${id},"method":"tools/list"}`);
      if (list.result?.tools?.some((t: { name: string }) => t.name === 'raw__take')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 60_000);

  afterAll(() => {
    child?.kill();
  });

  const lastCall = async (id: number): Promise<string> => {
    const r = await client.request(
      id,
      `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"raw__last_call","arguments":{}}}`,
    );
    return r.result.content[0].text;
  };

  it('a 256 KB argument object arrives at the upstream as the bytes the client wrote', async () => {
    // Spacing, an escaped "A" and an escaped slash: a parse and re-serialize would write none of them.
    const args = `{ "pad" :  "\\u0041${'x'.repeat(256 * 1024)}\\/ü 😀" , "n" : [ 1 , 2.50 ] }`;
    const line = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"raw__take","arguments":${args}}}`;
    const took = await client.request(1, line);
    expect(took.result.content[0].text).toBe(`took ${JSON.stringify(JSON.parse(args)).length}`);
    const seen = await lastCall(2);
    expect(seen).toContain(`"arguments":${args}`);
    expect(seen).toContain('"name":"take"');
  });

  it('a small argument object is parsed and written anew, as before', async () => {
    const args = '{ "pad" :  "\\u0041" }';
    const line = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"raw__take","arguments":${args}}}`;
    await client.request(3, line);
    const seen = await lastCall(4);
    expect(seen).toContain('"arguments":{"pad":"A"}');
  });
});
