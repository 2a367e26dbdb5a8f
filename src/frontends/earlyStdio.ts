/**
 * Over stdio, the client's first message is read while the rest of the proxy loads, and a plain
 * 2025-era `initialize` is answered at once (what the answer says: aggregator/initializeOffer.ts).
 * Nothing else is interpreted here. The bytes read are handed, untouched and in order, to the stdio
 * frontend when it starts, the answered `initialize` first: the frontend's session replays it, so the
 * SDK's Server knows its client as usual, and the Server's own answer to it is dropped (stdio.ts).
 *
 * A first message that is anything else (a 2026-07-28 client's server/discover or a request with the
 * per-request envelope, a batch, a line that is not JSON, an `initialize` of a shape the SDK's schema
 * might refuse) is left as it came: the frontend serves it exactly as it would without this reader.
 * Reading stops after the first message, so the rest waits in stdin as it did before.
 */
import type { Readable } from 'node:stream';
import { startupMark } from '../observability/startupTrace.js';
import { lazyBuiltin } from '../util/builtin.js';

/** The requests answered here: what the SDK's initialize schema surely accepts. */
export interface PlainInitialize {
  id: string | number;
  params: { protocolVersion: string; capabilities: Record<string, unknown>; clientInfo: Record<string, unknown> };
}

export interface HandOver {
  /** What the frontend reads: the bytes read here first, then the rest of stdin. */
  stdin: NodeJS.ReadableStream;
  /** The `initialize` answered here, with the result it was given (the session keeps that offer). */
  answered?: { id: string | number; result: object };
}

export interface EarlyStdio {
  /** Settles once the first message is read and answered, or left to the frontend. */
  readonly decided: Promise<void>;
  /** Stops reading; the frontend takes over from here (once). */
  handOver(): HandOver;
  /** Stops reading when nothing is going to serve (the proxy failed to start). */
  stop(): void;
}

/** Only a stdin that ended before the frontend took it needs a stream made here (the launcher loads this module). */
const stream = lazyBuiltin<typeof import('node:stream')>('node:stream');

/** A first line longer than this is not looked at here (an initialize is a few hundred bytes). */
const MAX_FIRST_LINE = 1024 * 1024;

export function readStdioEarly(
  stdin: NodeJS.ReadableStream,
  stdout: NodeJS.WritableStream,
  /** The result for this initialize, or undefined to leave it to the frontend. */
  answer: (request: PlainInitialize) => object | undefined,
): EarlyStdio {
  const input = stdin as Readable;
  const read: Buffer[] = [];
  let readBytes = 0;
  let answered: HandOver['answered'];
  let reading = true;
  let decide!: () => void;
  const decided = new Promise<void>((resolve) => {
    decide = resolve;
  });
  // Until the frontend listens, a read error must not become an uncaught exception.
  const onError = () => {};

  const stopReading = () => {
    if (!reading) return;
    reading = false;
    input.off('readable', onReadable);
    input.off('error', onError);
    decide();
  };

  const onReadable = () => {
    for (let chunk = input.read() as Buffer | null; chunk !== null; chunk = input.read() as Buffer | null) {
      read.push(chunk);
      readBytes += chunk.length;
      const decided = firstMessage(read, readBytes);
      if (decided === 'wait') continue;
      stopReading();
      if (decided === undefined) return;
      const result = answer(decided);
      if (!result) return;
      answered = { id: decided.id, result };
      stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id: decided.id, result })}\n`);
      startupMark('stdio: first message read, initialize answered early');
      return;
    }
  };
  input.on('error', onError);
  input.on('readable', onReadable);

  return {
    decided,
    handOver() {
      stopReading();
      return { stdin: giveBack(input, Buffer.concat(read, readBytes)), answered };
    },
    stop() {
      stopReading();
      input.pause();
    },
  };
}

/** Stdin with `bytes` in front again; a stream of just `bytes` when stdin has already ended. */
function giveBack(input: Readable, bytes: Buffer): NodeJS.ReadableStream {
  if (input.readableEnded || input.destroyed) {
    const replay = new (stream().Readable)({ read() {} });
    if (bytes.length) replay.push(bytes);
    replay.push(null);
    return replay;
  }
  if (bytes.length) input.unshift(bytes);
  return input;
}

/**
 * The first message once its line is complete: a plain initialize, or undefined for anything else;
 * 'wait' while the line is incomplete. Blank lines before it are skipped, as the SDK's reader does.
 */
function firstMessage(read: Buffer[], readBytes: number): PlainInitialize | undefined | 'wait' {
  const all = read.length === 1 ? read[0] : Buffer.concat(read, readBytes);
  let from = 0;
  for (let nl = all.indexOf(10); nl >= 0; nl = all.indexOf(10, from)) {
    const line = all.toString('utf8', from, nl).trim();
    from = nl + 1;
    if (line) return plainInitialize(line);
  }
  return readBytes - from > MAX_FIRST_LINE ? undefined : 'wait';
}

function plainInitialize(line: string): PlainInitialize | undefined {
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(m) || m.jsonrpc !== '2.0' || m.method !== 'initialize') return undefined;
  // The SDK's JSON-RPC request schema is strict: another member makes it no request at all.
  if (Object.keys(m).some((k) => k !== 'jsonrpc' && k !== 'id' && k !== 'method' && k !== 'params')) return undefined;
  const id = m.id;
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)))) return undefined;
  const p = m.params;
  // A _meta may carry the 2026-07-28 envelope, which makes it a modern request: the SDK decides that.
  if (!isObject(p) || '_meta' in p || typeof p.protocolVersion !== 'string') return undefined;
  if (!plainCapabilities(p.capabilities) || !plainClientInfo(p.clientInfo)) return undefined;
  return { id, params: p as PlainInitialize['params'] };
}

/** Client capabilities of the shapes the SDK's schema accepts (anything less common is left to it). */
function plainCapabilities(c: unknown): c is Record<string, unknown> {
  if (!isObject(c)) return false;
  for (const [key, value] of Object.entries(c)) {
    if (key === 'tasks') return false;
    if (!CAPABILITY_MEMBERS[key]) continue; // not in the schema: dropped by it
    if (!isObject(value)) return false;
    for (const [k, v] of Object.entries(value)) {
      const want = CAPABILITY_MEMBERS[key][k] ?? CAPABILITY_MEMBERS[key]['*'];
      if (v !== undefined && want && !want(v)) return false;
    }
  }
  return true;
}

const isBoolean = (v: unknown) => typeof v === 'boolean';
const CAPABILITY_MEMBERS: Record<string, Record<string, (v: unknown) => boolean>> = {
  experimental: { '*': isObject },
  extensions: { '*': isObject },
  sampling: { context: isObject, tools: isObject },
  elicitation: {
    form: (v) => isObject(v) && (v.applyDefaults === undefined || isBoolean(v.applyDefaults)),
    url: isObject,
  },
  roots: { listChanged: isBoolean },
};

function plainClientInfo(c: unknown): boolean {
  if (!isObject(c) || typeof c.name !== 'string' || typeof c.version !== 'string' || 'icons' in c) return false;
  return ['title', 'websiteUrl', 'description'].every((k) => c[k] === undefined || typeof c[k] === 'string');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
