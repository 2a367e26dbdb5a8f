import os from 'node:os';
import type { Deployment } from '../deployment/detect.js';
import { detectDeployment } from '../deployment/detect.js';
import { Redactor } from '../observability/redact.js';

/** Everything a command touches of the outside world, passed in so tests can build their own. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  homedir: string;
  platform: NodeJS.Platform;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Path of the running entry script (the bundle), used to start the proxy's own children. */
  entry: string;
  /** The executable that runs us (node, or the standalone binary itself). */
  execPath: string;
  deployment: Deployment;
  /** Secret values registered here are masked in every log line and error. */
  redactor: Redactor;
  /** Ends the process now (a forced shutdown); main.ts provides it, the one place that exits. */
  exit?: (code: number) => void;
}

export function realContext(exit?: (code: number) => void): CliContext {
  const entry = process.argv[1] ?? '';
  let deployment: Deployment | undefined;
  // Made when first asked for: Node builds process.stdin and .stderr on first use, and the deployment is
  // read from the file system; `--help` and `version` (the launcher's fast paths) need neither stdin nor
  // stderr.
  return {
    env: process.env,
    cwd: process.cwd(),
    homedir: os.homedir(),
    platform: process.platform,
    stdout: process.stdout,
    get stderr() {
      return process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
    entry,
    execPath: process.execPath,
    get deployment() {
      deployment ??= detectDeployment({ env: process.env, execPath: process.execPath, entry });
      return deployment;
    },
    redactor: new Redactor(),
    ...(exit ? { exit } : {}),
  };
}
