/** What a server's stdout can do wrong, for the stdio and Docker transports alike (errors.ts classifies them). */
import { STDIO_DEFAULT_MAX_BUFFER_SIZE } from '@modelcontextprotocol/client';

/** A line on the server's stdout that is not JSON-RPC (servers must log to stderr). */
export class StdoutGarbageError extends Error {
  override name = 'StdoutGarbageError';
}

/** A stdout line over the size limit: the stream cannot be resynchronized, so the connection is dropped. */
export class StdoutOverflowError extends Error {
  override name = 'StdoutOverflowError';
}

/** The message of a line that is not JSON-RPC: the line's start and the parser's reason. */
export function garbageMessage(line: string, error: unknown): string {
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
