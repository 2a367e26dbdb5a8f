/**
 * Typed errors with stable string codes. Only `main.ts` turns them into exit codes.
 *
 * Exit codes: 0 ok, 1 unexpected, 2 usage or invalid config, 3 credentials, 4 upstream.
 */
export type ErrorCode =
  | 'USAGE'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_UNREADABLE'
  | 'CONFIG_PARSE'
  | 'CONFIG_INVALID'
  | 'CONFIG_MISSING_VARIABLES'
  | 'NAME_COLLISION'
  | 'CREDENTIALS_MISSING'
  | 'CREDENTIALS_INSECURE'
  | 'CREDENTIALS_INVALID'
  | 'UPSTREAM_FAILED'
  | 'UPSTREAM_UNAVAILABLE'
  | 'DOCKER_UNAVAILABLE'
  | 'HTTP_UNSAFE_BIND'
  | 'HTTP_LISTEN'
  | 'INTERNAL';

const EXIT_CODES: Record<ErrorCode, number> = {
  USAGE: 2,
  CONFIG_NOT_FOUND: 2,
  CONFIG_UNREADABLE: 2,
  CONFIG_PARSE: 2,
  CONFIG_INVALID: 2,
  CONFIG_MISSING_VARIABLES: 3,
  NAME_COLLISION: 2,
  HTTP_UNSAFE_BIND: 2,
  CREDENTIALS_MISSING: 3,
  CREDENTIALS_INSECURE: 3,
  CREDENTIALS_INVALID: 3,
  UPSTREAM_FAILED: 4,
  UPSTREAM_UNAVAILABLE: 4,
  DOCKER_UNAVAILABLE: 4,
  HTTP_LISTEN: 1,
  INTERNAL: 1,
};

export interface AppErrorOptions {
  /** What the user can do about it, printed after the message. */
  hint?: string;
  /** Further lines (e.g. one per config problem). */
  details?: string[];
  cause?: unknown;
}

/** An error meant for the user: printed as message (+ details, + hint), never as a stack trace. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details: string[];

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }

  /** The human-readable rendering used by main.ts. */
  format(): string {
    const lines = [`error: ${this.message}`];
    for (const d of this.details) lines.push(`  ${d}`);
    if (this.hint) lines.push(`hint: ${this.hint}`);
    return lines.join('\n');
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

export function exitCodeFor(code: ErrorCode): number {
  return EXIT_CODES[code];
}

/** What Node's fetch (undici) says of every network failure; what failed is in the error's cause. */
const FETCH_WRAPPERS = new Set(['fetch failed', 'terminated']);

/**
 * A short message for any thrown value. For a fetch failure, its cause too: "fetch failed: connect
 * ECONNREFUSED 127.0.0.1:3000" rather than "fetch failed" alone for refused, DNS and TLS failures alike.
 */
export function errorMessage(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (!FETCH_WRAPPERS.has(e.message) || !e.cause || typeof e.cause !== 'object') return e.message;
  const cause = e.cause as { message?: unknown; code?: unknown; errors?: unknown[] };
  // A host with several addresses fails with an AggregateError of one error each, and no message.
  const source = cause.message ? cause : cause.errors?.[0];
  const inner = source instanceof Error ? errorMessage(source) : '';
  const code = typeof cause.code === 'string' && !inner.includes(cause.code) ? cause.code : '';
  const said = inner && code ? `${inner} (${code})` : inner || code;
  return said ? `${e.message}: ${said}` : e.message;
}
