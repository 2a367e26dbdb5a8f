import yargs from 'yargs';
import { AppError } from '../errors.js';
import { createLogger, type Logger, type LogLevel } from '../observability/logger.js';
import type { CliContext } from './context.js';
import type { CommandSpec, GlobalArgs } from './types.js';

/**
 * Builds the yargs parser from an explicit command list. It never parses on import; `runCli` does,
 * and resolves with the exit code (the only process.exit is in main.ts).
 */
export function createCli(argv: string[], ctx: CliContext, commands: CommandSpec[]) {
  let exitCode = 0;
  let y = yargs(argv)
    .scriptName('mcp-proxy')
    .usage('$0 <command> [options]\n\nOne MCP server in front of many.')
    .option('log-level', {
      type: 'string',
      choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'],
      describe: 'Log level (logs go to stderr, never stdout)',
      global: true,
    })
    .option('log-format', { type: 'string', choices: ['json', 'pretty'], describe: 'Log line format', global: true })
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'Same as --log-level debug', global: true })
    .option('debug', { type: 'boolean', describe: 'Same as --log-level trace', global: true })
    .strict()
    // A repeated option (--port 1 --port 2) takes the last value instead of becoming an array.
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .demandCommand(1, 'Name a command: run, validate, status or version (see --help).')
    .recommendCommands()
    .completion('completion', 'Print a shell completion script (bash/zsh): mcp-proxy completion >> ~/.bashrc')
    .help()
    .alias('help', 'h')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new AppError('USAGE', msg ?? 'invalid command line', { hint: 'run `mcp-proxy --help`' });
    });

  for (const spec of commands) {
    y = y.command({
      command: spec.command,
      describe: spec.describe,
      aliases: spec.aliases,
      builder: (b) => (spec.builder ? spec.builder(b) : b),
      handler: async (args) => {
        exitCode = (await spec.handler(args as any, ctx)) ?? 0;
      },
    });
  }
  return { parser: y, exitCode: () => exitCode };
}

/** Parses and runs; resolves with the exit code. AppErrors propagate to main.ts. */
export async function runCli(argv: string[], ctx: CliContext, commands: CommandSpec[]): Promise<number> {
  const cli = createCli(argv, ctx, commands);
  let helpShown = false;
  await cli.parser.parseAsync(argv, {}, (err, _argv, output) => {
    if (output && !err) {
      helpShown = true;
      ctx.stdout.write(`${output}\n`);
    }
  });
  return helpShown ? 0 : cli.exitCode();
}

/** Resolves the effective log level from the global flags. */
export function resolveLogLevel(args: GlobalArgs, fallback: LogLevel = 'info'): LogLevel {
  if (args.debug) return 'trace';
  if (args.verbose) return 'debug';
  return (args.logLevel as LogLevel | undefined) ?? fallback;
}

/** The logger a command uses: stderr, redacted, level and format from the global flags. */
export function commandLogger(args: GlobalArgs, ctx: CliContext, fallback: LogLevel = 'info'): Logger {
  const envLevel = ctx.env.MCP_PROXY_LOG_LEVEL as LogLevel | undefined;
  return createLogger({
    level: resolveLogLevel(args, envLevel ?? fallback),
    format: args.logFormat ?? (ctx.env.MCP_PROXY_LOG_FORMAT === 'json' ? 'json' : 'pretty'),
    destination: ctx.stderr,
    redactor: ctx.redactor,
  });
}
