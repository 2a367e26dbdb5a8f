/**
 * The stdio upstream transport: like the SDK's StdioClientTransport (same framing, same constructor
 * parameters), but the child's whole tree is known (a process group of its own, or a mark every process
 * under it carries: serverTree.ts), so stopping it takes the whole tree down (`npx` -> `sh` -> `node
 * server`), also after the direct child has died. On Windows the tree is ended with `taskkill /T`.
 *
 * It keeps the last stderr lines and the exit status, so a server that dies at start-up can be
 * reported with its own words ("exited with code 1: Error: API_KEY is not set").
 *
 * The SDK's version negotiation probes a stdio server on a disposable sibling process when the
 * transport looks like its own (a `_dispose` on the prototype): every server would start twice. This
 * class does not, so the `server/discover` probe runs in place, on the one process (the connection
 * falls back to a fresh `initialize` for the rare server that exits on the probe).
 */
import type { ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { serializeMessage } from '@modelcontextprotocol/client';
import { lineLength } from '../protocol/chunks.js';
import { toJsonRpcMessage } from '../protocol/jsonrpc.js';
import { LineSplitter } from '../protocol/lines.js';
import { RawJson, rawParts, readRawResponse, writeCorked } from '../protocol/rawJson.js';
import { HeldChild, type StdioParams, spawnStdioChild } from './childProcess.js';
import type { LaneTap } from './fastLane.js';
import { OrderedDelivery } from './orderedDelivery.js';
import { descendants, isAlive, signalAll } from './processTree.js';
import { signalTreeNow, treeAlive, untrackTree } from './serverTree.js';
import { spawnTurn } from './spawnTurns.js';
import { MAX_LINE_BYTES, overflowError, StdoutGarbageError, stdoutMessage } from './stdoutErrors.js';

export type { StdioParams };

const STDERR_TAIL_LINES = 20;

/** Forwarded requests whose results are read with large members kept raw, and the sizes that count as large. */
const RAW_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read', 'completion/complete']);
const RAW_LINE_BYTES = 16 * 1024;
const MODERN_ENVELOPE_KEY = 'io.modelcontextprotocol/protocolVersion';
const RAW_VALUE_BYTES = 8 * 1024;

export class ProcessStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** The fast lane of the client on this transport (fastLane.ts): it sees each message first. */
  lane: LaneTap | undefined = undefined;

  private _process?: ChildProcess;
  private readonly _serverParams: StdioParams;
  private readonly lines = new LineSplitter();
  /** Counts the ends of the connection (a line read after one belongs to nothing). */
  private generation = 0;
  /** Forwarded requests in flight whose large results may be kept raw (see protocol/rawJson.ts). */
  private readonly rawIds = new Set<string | number>();
  private readonly stderrStream: PassThrough | null;
  private stderrEnded: () => void = () => {};
  private readonly stderrDrained = new Promise<void>((r) => {
    this.stderrEnded = r;
  });
  private readonly tail: string[] = [];
  private pendingStderr = '';
  private _pid?: number;
  private exited = false;
  private closed = false;
  private starting = false;
  private exitInfo?: { code: number | null; signal: NodeJS.Signals | null };
  private exitedOnItsOwn = false;
  /** Descendants seen while the child ran (for grandchildren that left its tree: a group or a mark of their own). */
  private knownTree: number[] = [];

  /**
   * `adopt` hands over a process started early with these same parameters (prespawn.ts), if there is
   * one; otherwise start() spawns it.
   */
  constructor(
    params: StdioParams,
    private readonly adopt?: () => HeldChild | undefined,
  ) {
    this._serverParams = params;
    this.stderrStream = params.stderr === 'ignore' || params.stderr === 'inherit' ? null : new PassThrough();
  }

  /** The direct child's pid (also after it exited: its tree is known by this id). */
  get pid(): number | null {
    return this._pid ?? null;
  }

  /** The child's stderr, line-split by the caller. */
  get stderr(): PassThrough | null {
    return this.stderrStream;
  }

  /** The last stderr lines of the child (for error messages). */
  get stderrTail(): string[] {
    return [...this.tail, ...(this.pendingStderr ? [this.pendingStderr] : [])];
  }

  /** How the child ended, once it has ended by itself (not because we closed it). */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exitedOnItsOwn ? this.exitInfo : undefined;
  }

  async start(): Promise<void> {
    if (this.starting) throw new Error('ProcessStdioTransport already started');
    this.starting = true;
    // Closed before it started: the process is never started (nor one started early taken).
    const closedEarly = () => new Error('the transport was closed before its process started');
    if (this.closed) throw closedEarly();
    let held = this.adopt?.();
    if (!held) {
      await spawnTurn();
      if (this.closed) throw closedEarly();
      held = new HeldChild(spawnStdioChild(this._serverParams), this._serverParams);
    }
    const child = held.child;
    this._process = child;
    return new Promise((resolve, reject) => {
      held.handTo({
        spawn: () => {
          this._pid = child.pid;
          resolve();
        },
        error: (error) => {
          if (!this._pid) reject(error);
          this.onerror?.(error);
        },
        exit: (code, signal) => this.onExit(code, signal),
        stdout: (chunk) => this.onStdout(chunk),
        stderr: (chunk) => {
          this.recordStderr(chunk.toString('utf8'));
          this.stderrStream?.write(chunk);
        },
        stderrEnd: () => {
          this.stderrStream?.end();
          this.stderrEnded();
        },
        streamError: (error) => this.onerror?.(error),
      });
    });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exitInfo = { code, signal };
    this.exitedOnItsOwn = !this.closed;
    this.exited = true;
    // Tell the client at once (calls fail fast and the restart begins); whatever the server
    // left behind in its tree is stopped meanwhile.
    this.finish();
    void this.killRemaining().finally(() => {
      // Let buffered output drain, then free the pipes (nothing may keep the proxy alive).
      setTimeout(() => this.destroyStreams(), 200).unref();
    });
  }

  private recordStderr(text: string): void {
    this.pendingStderr += text;
    let nl = this.pendingStderr.indexOf('\n');
    while (nl >= 0) {
      const line = this.pendingStderr.slice(0, nl).replace(/\r$/, '');
      if (line.trim()) {
        this.tail.push(line.length > 500 ? `${line.slice(0, 500)}...` : line);
        if (this.tail.length > STDERR_TAIL_LINES) this.tail.shift();
      }
      this.pendingStderr = this.pendingStderr.slice(nl + 1);
      nl = this.pendingStderr.indexOf('\n');
    }
    if (this.pendingStderr.length > 2000) this.pendingStderr = this.pendingStderr.slice(-2000);
  }

  /** Newline-delimited JSON-RPC; a line that is not JSON is reported (once per line) and skipped. */
  private onStdout(chunk: Buffer): void {
    const size = this.lines.overflows(chunk, MAX_LINE_BYTES);
    if (size !== undefined) {
      this.onerror?.(overflowError(size));
      void this.close();
      return;
    }
    this.delivery.newChunk();
    const generation = this.generation;
    // The connection ended while this chunk was read: the rest of it is dropped.
    const onLine = (bytes: Buffer | Buffer[]) => {
      if (generation === this.generation) this.onLine(bytes);
    };
    this.lines.push(chunk, onLine, onLine);
  }

  /** A message the fast lane owns is delivered as parsed; the rest is checked as JSON-RPC. */
  private readonly convert = (value: unknown): JSONRPCMessage =>
    this.lane?.owns(value) ? (value as JSONRPCMessage) : toJsonRpcMessage(value);

  /** A line, whole or (a long one) as the chunks it came in: raw members are kept as slices of them. */
  private onLine(bytes: Buffer | Buffer[]): void {
    const raw =
      this.rawIds.size > 0 && lineLength(bytes) >= RAW_LINE_BYTES ? readRawResponse(bytes, RAW_VALUE_BYTES) : undefined;
    if (raw && this.rawIds.delete(raw.id)) {
      this.delivery.deliver({ jsonrpc: '2.0', id: raw.id, result: raw.result } as JSONRPCMessage);
      return;
    }
    const message = stdoutMessage(bytes, this.convert);
    if (message === undefined) return;
    if (message instanceof StdoutGarbageError) {
      this.onerror?.(message);
      return;
    }
    const id = (message as { id?: string | number; method?: string }).id;
    if (id !== undefined && !('method' in message)) this.rawIds.delete(id);
    this.delivery.deliver(message);
  }

  /** See OrderedDelivery: a progress notification is not overtaken by its result. */
  private readonly delivery = new OrderedDelivery<JSONRPCMessage>((m) => {
    if (!this.lane?.take(m)) this.onmessage?.(m);
  });

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        if (this.sendNow(message)) resolve();
        else this._process?.stdin?.once('drain', resolve);
      } catch (e) {
        reject(e);
      }
    });
  }

  /** Writes `message` now (false: buffered until the pipe drains); throws when there is no process to write to. */
  sendNow(message: JSONRPCMessage): boolean {
    const stdin = this._process?.stdin;
    if (!stdin || this.exited || stdin.destroyed) {
      throw new Error(
        this.exited || stdin?.destroyed ? 'Connection closed: the server process has exited' : 'Not connected',
      );
    }
    this.noteRaw(message);
    // Raw arguments (a client's bytes, see protocol/rawJson.ts) are written as they came.
    const parts = (message as { params?: { arguments?: unknown } }).params?.arguments instanceof RawJson;
    return parts ? writeCorked(stdin, rawParts(message) as Buffer[]) : stdin.write(serializeMessage(message));
  }

  /** Requests whose results the caller takes raw; a cancelled one will have none. */
  private noteRaw(message: JSONRPCMessage): void {
    type Params = { requestId?: string | number; _meta?: Record<string, unknown> };
    const m = message as { id?: string | number; method?: string; params?: Params };
    if (m.method === undefined) return;
    // A 2026-07-28 request's result is checked whole by the SDK client's era decoder: it must be values.
    const modern = m.params?._meta?.[MODERN_ENVELOPE_KEY] !== undefined;
    if (m.id !== undefined && RAW_METHODS.has(m.method) && !modern) this.rawIds.add(m.id);
    else if (m.method === 'notifications/cancelled' && m.params?.requestId !== undefined) {
      this.rawIds.delete(m.params.requestId);
    }
  }

  /** Remembers the current descendants (grandchildren that leave the tree are still found). */
  snapshotTree(): void {
    if (!this._pid || this.exited) return;
    const now = descendants(this._pid);
    this.knownTree = [...new Set([...this.knownTree, ...now])];
  }

  /**
   * Stops the server: stdin EOF first (the polite way for stdio servers), then SIGTERM to the whole
   * tree, then SIGKILL. Resolves when the direct child and its tree are gone.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const child = this._process;
    if (child && !this.exited) {
      this.snapshotTree();
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        child.stdin?.end();
      } catch {
        // already closed
      }
      const grace = this._serverParams.exitGraceMs ?? 1000;
      await within(done, grace);
      if (!this.exited) {
        this.signalTree('SIGTERM');
        await within(done, this._serverParams.killGraceMs ?? 1000);
      }
      if (!this.exited) {
        this.signalTree('SIGKILL');
        await within(done, 1000);
      }
    }
    await this.killRemaining();
    // A server that died on its own may still have its last words in the pipe (the error message).
    if (this.exitedOnItsOwn) await within(this.stderrDrained, 200);
    this.destroyStreams();
    this.finish();
  }

  private finish(): void {
    if (!this.exited && !this.closed) return;
    const cb = this.onclose;
    this.onclose = undefined;
    this.lines.clear();
    this.rawIds.clear();
    this.generation++;
    cb?.();
    this.lane?.closed();
  }

  private destroyStreams(): void {
    const child = this._process;
    child?.stdin?.destroy();
    child?.stdout?.destroy();
    child?.stderr?.destroy();
  }

  private signalTree(signal: NodeJS.Signals): void {
    if (this._pid) signalTreeNow(this._pid, signal);
  }

  /** Ends whatever is left of the child's tree and of the descendants seen earlier. */
  private async killRemaining(): Promise<void> {
    const pid = this._pid;
    if (!pid) return;
    const stragglers = () => this.knownTree.filter(isAlive);
    const inTree = () => treeAlive(pid);
    if (!inTree() && stragglers().length === 0) {
      untrackTree(pid);
      return;
    }
    this.signalTree('SIGTERM');
    signalAll(stragglers(), 'SIGTERM');
    for (let i = 0; i < 20 && (inTree() || stragglers().length); i++) await sleep(50);
    this.signalTree('SIGKILL');
    signalAll(stragglers(), 'SIGKILL');
    untrackTree(pid);
  }
}

/** A ref'd timer: while an upstream is being stopped, the proxy must not exit under it. */
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits for `p` at most `ms` (the timer is cleared as soon as `p` settles). */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
