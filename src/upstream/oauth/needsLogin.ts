/**
 * The one error a server with an OAuth login fails with when only the user can help: no login yet,
 * a refresh token the authorization server refused, a token file made for another server. Its
 * message names the exact command to run; it is permanent (no retry with backoff), and a new login
 * is picked up when the token file changes.
 */
import { AppError } from '../../errors.js';

export class NeedsLoginError extends AppError {
  readonly server: string;
  readonly reason: string;

  constructor(server: string, reason: string, command: string) {
    super('UPSTREAM_FAILED', `needs login: ${reason}; run \`${command}\``);
    this.name = 'NeedsLoginError';
    this.server = server;
    this.reason = reason;
  }
}

/** True for a NeedsLoginError, also one carried as the cause of another error. */
export function isNeedsLogin(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    if (cur instanceof NeedsLoginError) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}
