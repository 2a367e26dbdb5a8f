import yargs, { type Argv } from 'yargs';
import { AppError } from '../errors.js';
import { createLogger, type Logger, type LogLevel } from '../observability/logger.js';
import { completeValue } from './completion.js';
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
    .demandCommand(1, `Name a command: ${commandNames(commands).join(', ')} (see --help).`)
    .recommendCommands()
    // Answers --get-yargs-completions for the scripts `mcp-proxy completion` prints (hidden command).
    .completion(
      'completion-script',
      false,
      (current: string, argv: Record<string, unknown>, defaultCompletion: () => void, done: (c: string[]) => void) => {
        const values = completeValue(current, argv);
        if (values) done(values);
        else defaultCompletion();
      },
    )
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
  skipHelpCache(y);
  return { parser: y, exitCode: () => exitCode };
}

/**
 * yargs renders the whole help text each time a command's handler has started (it keeps it for a
 * failure of the command later on), in the middle of start-up: for `run` that delayed the answer to
 * `initialize` by the time it takes to lay out every option. Our `.fail()` never shows help, so the
 * kept text is never used: help is rendered only when asked for.
 */
function skipHelpCache(y: Argv): void {
  const internal = (y as unknown as { getInternalMethods?: () => { getUsageInstance?: () => unknown } })
    .getInternalMethods?.()
    .getUsageInstance?.() as { cacheHelpMessage?: () => void } | undefined;
  if (internal?.cacheHelpMessage) internal.cacheHelpMessage = () => {};
}

/** The visible command names, in help order. */
function commandNames(commands: CommandSpec[]): string[] {
  return commands.filter((c) => c.describe !== false).map((c) => c.command.split(' ')[0]);
}

/** Parses and runs; resolves with the exit code. AppErrors propagate to main.ts. */
export async function runCli(argv: string[], ctx: CliContext, commands: CommandSpec[]): Promise<number> {
  // `--version` / `-V` as the only word mean the version command (yargs' own flag is off: `version` shows more).
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) argv = ['version'];
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
