/** What a server's stdout can do wrong, for the stdio and Docker transports alike (errors.ts classifies them). */

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

export function mib(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}
