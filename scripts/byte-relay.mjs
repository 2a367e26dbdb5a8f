#!/usr/bin/env node
// A byte relay: starts `node <server>` and copies bytes both ways, nothing else (no parsing, no MCP).
// scripts/bench.mjs measures it beside the proxy as the floor of any process placed between a client
// and a stdio server on this machine: the extra pipe hops and wake-ups alone.
//   node scripts/byte-relay.mjs <server.mjs>
import { spawn } from 'node:child_process';

const child = spawn(process.execPath, [process.argv[2]], { stdio: ['pipe', 'pipe', 'ignore'] });
process.stdin.on('data', (d) => child.stdin.write(d));
child.stdout.on('data', (d) => process.stdout.write(d));
process.stdin.on('end', () => child.kill());
child.on('exit', () => process.exit(0));
