import type { CredentialArgs } from '../credentialOptions.js';
import type { GlobalArgs } from '../types.js';

export interface RunOptions extends CredentialArgs, GlobalArgs {
  config?: string;
  transport?: 'stdio' | 'http';
  host?: string;
  port?: number;
  toolsMode?: 'all' | 'dynamic';
  allowUnauthenticated?: boolean;
  watch?: boolean;
  /** A profile (proxy.access.profiles) for the stdio session. */
  profile?: string;
  /** The web dashboard at /ui and its API at /api (HTTP only; default on). */
  dashboard?: boolean;
}
