/**
 * The parsed arguments of the commands whose work lives in a module of its own (loaded on demand):
 * shared by the command's definition and that module, so neither imports the other's types.
 */
import type { ClientId, EntryDeployment } from '../generate/clients.js';
import type { CredentialArgs } from './credentialOptions.js';

export interface GenerateArgs extends CredentialArgs {
  what?: 'client-config' | 'compose' | 'systemd';
  client?: ClientId;
  deployment?: EntryDeployment;
  config?: string;
  url?: string;
  write?: boolean;
  project?: boolean;
  image?: string;
  output?: string;
  port?: number;
  /** systemd: the address the service binds. */
  host?: string;
  /** systemd: run as this user instead of a dynamic one. */
  user?: string;
}

export interface ImportArgs extends CredentialArgs {
  from: string;
  config?: string;
  write?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  project?: boolean;
  client?: ClientId;
  deployment?: 'binary' | 'npx' | 'docker' | 'node';
  image?: string;
}

export interface InitArgs {
  config?: string;
  docker?: boolean;
  force?: boolean;
  output?: string;
  image?: string;
  port?: number;
}

export interface StatusArgs extends CredentialArgs {
  url?: string;
  token?: string;
  config?: string;
  json?: boolean;
  timeout?: number;
}

export interface ToolsArgs extends CredentialArgs {
  action?: 'list' | 'call';
  name?: string;
  server?: string;
  args?: string;
  url?: string;
  token?: string;
  config?: string;
  json?: boolean;
  timeout?: number;
}

export interface AddArgs extends CredentialArgs {
  name: string;
  /** The stdio command and its arguments (after `--`, or bare words when none starts with "-"). */
  command?: string[];
  _: (string | number)[];
  url?: string;
  type?: 'stdio' | 'http' | 'sse' | 'docker';
  image?: string;
  header?: string[];
  env?: string[];
  description?: string;
  prefix?: string | false;
  disabled?: boolean;
  force?: boolean;
  config?: string;
}

export interface ServerNameArgs {
  name: string;
  config?: string;
}

export interface ListArgs extends CredentialArgs {
  config?: string;
  json?: boolean;
}

export interface RestoreArgs extends CredentialArgs {
  client?: string;
  file?: string;
  project?: boolean;
  backup?: string;
  list?: boolean;
}
