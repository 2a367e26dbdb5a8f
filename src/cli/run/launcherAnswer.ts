/**
 * The launcher's answer to a stdio client's `initialize`, given before the core loads when an earlier
 * start of the same config remembered it (rememberedOffer.ts): `initialize` is then answered in about
 * the time Node itself takes to start. The reader is earlyStdio's, and the core's early phase adopts it
 * (takeLauncherStdio): from then on a first message that had not come yet gets the core's own answer.
 * Light on purpose (the launcher loads it).
 */
import { initializeResult } from '../../aggregator/initializeOffer.js';
import { type EarlyStdio, type PlainInitialize, readStdioEarly } from '../../frontends/earlyStdio.js';
import { loopTurns } from '../../util/async.js';
import { startOfferDir } from '../../util/cacheDir.js';
import type { Host, RawRun } from './preread.js';
import { readRememberedOffer } from './rememberedOffer.js';

type Answer = (request: PlainInitialize) => object | undefined;

/** The launcher's reader of the client's first message, for the core to adopt. */
export interface LauncherStdio {
  /** From now on the first message, if it has not come yet, gets `answer`'s result. */
  adopt(answer: Answer): EarlyStdio;
}

/** Shared by the launcher's copy of this module and the core's (two bundles, one process). */
const HANDOFF = Symbol.for('mcp-proxy.launcher-stdio');
type Slot = { [HANDOFF]?: LauncherStdio };

/**
 * Starts reading stdin and answers an `initialize` with the remembered offer, when there is one for
 * exactly this run. Resolves once the first message is decided or a few turns of the event loop have
 * passed (a client writes `initialize` as soon as it has started the proxy: it is usually in the pipe).
 */
export async function answerFromMemory(
  run: RawRun | undefined,
  host: Host,
  stdin: NodeJS.ReadableStream,
  stdout: NodeJS.WritableStream,
): Promise<boolean> {
  const dir = run && startOfferDir(host.env, host.platform, host.homedir);
  if (!run || !dir) return false;
  const remembered = readRememberedOffer(dir, { configPath: run.path, text: run.text, transport: run.flags.transport });
  if (!remembered) return false;
  let answer: Answer = (request) => initializeResult(remembered.offer, remembered.name, request.params.protocolVersion);
  const stdio = readStdioEarly(stdin, stdout, (request) => answer(request));
  (globalThis as Slot)[HANDOFF] = {
    adopt(next) {
      answer = next;
      return stdio;
    },
  };
  await Promise.race([stdio.decided, loopTurns(3)]);
  return true;
}

/** The launcher's reader, once (undefined when the launcher read nothing, or it was taken already). */
export function takeLauncherStdio(): LauncherStdio | undefined {
  const slot = globalThis as Slot;
  const taken = slot[HANDOFF];
  delete slot[HANDOFF];
  return taken;
}
