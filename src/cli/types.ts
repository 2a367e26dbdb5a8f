import type { Argv } from 'yargs';
import type { CliContext } from './context.js';

/** Options every command accepts. */
export interface GlobalArgs {
  logLevel?: string;
  logFormat?: 'json' | 'pretty';
  verbose?: boolean;
  debug?: boolean;
}

/**
 * One CLI command. `builder` declares its options; `handler` does the work and returns the exit
 * code (or throws an AppError). Handlers import heavy modules lazily so `version` and `--help` stay fast.
 */
export interface CommandSpec<A = any> {
  command: string;
  describe: string | false;
  aliases?: string[];
  builder?: (y: Argv) => Argv<any>;
  handler: (args: A & GlobalArgs, ctx: CliContext) => Promise<number | undefined>;
}
