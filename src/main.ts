/**
 * The bin entry: the only side effects and the only process.exit. Maps AppError to exit codes and
 * prints user mistakes as one clear message (no stack trace); unexpected errors exit 1.
 */

import { COMMANDS } from './cli/commands/index.js';
import { realContext } from './cli/context.js';
import { runCli } from './cli/createCli.js';
import { isAppError } from './errors.js';
import { startupMark } from './observability/startupTrace.js';

async function main(): Promise<number> {
  startupMark('core evaluated');
  const ctx = realContext((code) => process.exit(code));
  try {
    return await runCli(process.argv.slice(2), ctx, COMMANDS);
  } catch (e) {
    if (isAppError(e)) {
      ctx.stderr.write(`${ctx.redactor.redact(e.format())}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    ctx.stderr.write(`internal error: ${ctx.redactor.redact(err?.stack ?? String(e))}\n`);
    return 1;
  }
}

main().then(
  (code) => {
    // Pipes and files are written synchronously on POSIX; one turn lets anything queued flush.
    setImmediate(() => process.exit(code));
  },
  (e) => {
    process.stderr.write(`internal error: ${String(e)}\n`);
    process.exit(1);
  },
);
