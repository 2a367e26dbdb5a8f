/** What a server's stdout can do wrong, for the stdio and Docker transports alike (errors.ts classifies them). */
import type { JSONRPCMessage } from '@modelcontextprotocol/client';
import { STDIO_DEFAULT_MAX_BUFFER_SIZE } from '@modelcontextprotocol/client';
import { messageText } from '../protocol/chunks.js';
import { toJsonRpcMessage } from '../protocol/jsonrpc.js';

/** A line on the server's stdout that is not JSON-RPC (servers must log to stderr). */
export class StdoutGarbageError extends Error {
  override name = 'StdoutGarbageError';
}

/** A stdout line over the size limit: the stream cannot be resynchronized, so the connection is dropped. */
export class StdoutOverflowError extends Error {
  override name = 'StdoutOverflowError';
}

/** The message of a line that is not JSON-RPC: the line's start and the parser's reason. */
function garbageMessage(line: string, error: unknown): string {
  const shown = line.length > 200 ? `${line.slice(0, 200)}...` : line;
  return `not JSON-RPC on stdout: ${shown} (${String((error as Error)?.message ?? error).split('\n')[0]})`;
}

/** The limit on one stdout line (the SDK's), and the error for a line over it: `size` bytes so far. */
export const MAX_LINE_BYTES = STDIO_DEFAULT_MAX_BUFFER_SIZE;

export function overflowError(size: number): StdoutOverflowError {
  return new StdoutOverflowError(
    `the server wrote a stdout line longer than the limit of ${MAX_LINE_BYTES} bytes (${mib(MAX_LINE_BYTES)}; ${size} bytes without a newline so far): the connection was dropped`,
  );
}

function mib(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}

/**
 * One stdout line read as a message: undefined for a blank line, a StdoutGarbageError for one that is not
 * JSON-RPC. `convert` makes the message of the parsed value (it throws for what is no message).
 */
export function stdoutMessage(
  bytes: Buffer | readonly Buffer[],
  convert: (value: unknown) => JSONRPCMessage = toJsonRpcMessage,
): JSONRPCMessage | StdoutGarbageError | undefined {
  const line = messageText(bytes);
  if (!line.trim()) return undefined;
  try {
    return convert(JSON.parse(line));
  } catch (error) {
    return new StdoutGarbageError(garbageMessage(line, error));
  }
}
