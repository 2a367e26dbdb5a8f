/** The tagged fixture (test/fixtures/tagged-server.mjs) serving Streamable HTTP, as a real child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { FIXTURES, NODE } from './paths.js';

export const TAGGED = path.join(FIXTURES, 'tagged-server.mjs');

export interface TaggedUpstream {
  child: ChildProcess;
  /** Its MCP endpoint, `http://127.0.0.1:PORT/mcp`. */
  url: string;
  stop(): Promise<void>;
}

/** Starts `tagged-server.mjs --http`; resolves once it says its port, rejects if it exits first. */
export async function startTaggedUpstream(): Promise<TaggedUpstream> {
  const child = spawn(NODE, [TAGGED, '--http'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (c: string) => {
      out += c;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`tagged server exited ${code}: ${out}`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}/mcp`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
