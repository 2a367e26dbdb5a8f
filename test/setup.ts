/**
 * Runs in every test file before its tests: after the file's own afterAll hooks (stopping the proxies and
 * servers it started), the temporary directories it made are removed. Before this, each `npm test` left
 * about a thousand of them in /tmp.
 */
import { afterAll } from 'vitest';
import { removeTmpDirs } from './helpers/files.js';

afterAll(removeTmpDirs);
