#!/usr/bin/env node
// A JSON-RPC line relay: starts `node <server>` and passes each message on after reading it: every line
// parsed, a request's id swapped for one of its own (its answer's swapped back), and written again, and
// nothing else (no MCP, no routing, no checks). scripts/bench.mjs measures it beside the byte relay and
// the proxy: the floor of any relay that reads the messages it carries, on this machine.
//   node scripts/json-relay.mjs <server.mjs>
import { spawn } from 'node:child_process';

const child = spawn(process.execPath, [process.argv[2]], { stdio: ['pipe', 'pipe', 'ignore'] });
/** The client's id of each request in flight, by the relay's own. */
const ids = new Map();
let next = 1;

function readLines(stream, onMessage) {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (text) => {
    buffered += text;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim()) onMessage(JSON.parse(line));
    }
  });
}

readLines(process.stdin, (m) => {
  if (m.method !== undefined && m.id !== undefined) {
    ids.set(next, m.id);
    m.id = next++;
  }
  child.stdin.write(`${JSON.stringify(m)}\n`);
});
readLines(child.stdout, (m) => {
  if (m.method === undefined && ids.has(m.id)) {
    const id = ids.get(m.id);
    ids.delete(m.id);
    m.id = id;
  }
  process.stdout.write(`${JSON.stringify(m)}\n`);
});
process.stdin.on('end', () => child.kill());
child.on('exit', () => process.exit(0));
