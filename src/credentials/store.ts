/**
 * Writes one credential into the credentials file: merge with what is there, then an atomic replace
 * (temp file in the same directory, fsync, rename) so a crash never leaves half a file. The directory
 * is created 0700 and the file is always 0600, whatever it was before. The temp file is created 0600
 * (it holds the secrets too), and temp files a killed run left behind are removed on the next write.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError, errorMessage } from '../errors.js';
import { atomicWrite } from '../util/atomicWrite.js';
import { readTextFileSync } from '../util/textFile.js';
import { parseCredentialsJson, VARIABLE_NAME } from './sources.js';

export interface WriteCredentialOptions {
  file: string;
  name: string;
  value: string;
  platform: NodeJS.Platform;
}

export interface WriteCredentialResult {
  /** The file did not exist before. */
  created: boolean;
  /** NAME was already in the file (its value is now replaced). */
  replaced: boolean;
  /** The old file was readable by group/others; the new one is 0600. */
  fixedMode: boolean;
}

export function assertVariableName(name: string): void {
  if (!VARIABLE_NAME.test(name)) {
    throw new AppError('USAGE', `"${name}" is not a valid variable name`, {
      hint: 'use letters, digits and "_", not starting with a digit (e.g. GITHUB_TOKEN)',
    });
  }
}

export function writeCredential(opts: WriteCredentialOptions): WriteCredentialResult {
  assertVariableName(opts.name);
  const posix = opts.platform !== 'win32';
  const dir = path.dirname(opts.file);
  let existing: Record<string, string> = {};
  let created = true;
  let fixedMode = false;
  try {
    const stat = fs.statSync(opts.file);
    if (!stat.isFile())
      throw new AppError('CREDENTIALS_INVALID', `credentials file ${opts.file} is not a regular file`);
    created = false;
    fixedMode = posix && (stat.mode & 0o077) !== 0;
    existing = parseCredentialsJson(readTextFileSync(opts.file), opts.file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (e instanceof AppError) throw e;
      throw new AppError('CREDENTIALS_INVALID', `cannot read credentials file ${opts.file}: ${errorMessage(e)}`);
    }
  }
  const replaced = Object.hasOwn(existing, opts.name);
  const text = `${JSON.stringify({ ...existing, [opts.name]: opts.value }, null, 2)}\n`;

  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new AppError('CREDENTIALS_INVALID', `cannot create directory ${dir}: ${errorMessage(e)}`);
  }
  try {
    atomicWrite(opts.file, text, { mode: 0o600, platform: opts.platform });
  } catch (e) {
    throw new AppError('CREDENTIALS_INVALID', `cannot write credentials file ${opts.file}: ${errorMessage(e)}`);
  }
  return { created, replaced, fixedMode };
}
