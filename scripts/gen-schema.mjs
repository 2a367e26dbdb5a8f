#!/usr/bin/env node
// Writes dist/config.schema.json from the zod schema (src/config/jsonSchema.ts), so the published JSON
// Schema never drifts from what the proxy accepts. Runs after scripts/build.mjs (`npm run build`); needs
// only what `npm ci` installs: the TypeScript source is bundled by esbuild into a temp file and imported.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

export async function generateSchema(outFile = path.join(root, 'dist', 'config.schema.json')) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-schema-'));
  try {
    const bundled = path.join(tmp, 'jsonSchema.mjs');
    await esbuild.build({
      entryPoints: [path.join(root, 'src/config/jsonSchema.ts')],
      outfile: bundled,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
    });
    const { configJsonSchema } = await import(pathToFileURL(bundled).href);
    const schema = configJsonSchema(pkg.version);
    mkdirSync(path.dirname(outFile), { recursive: true });
    writeFileSync(outFile, `${JSON.stringify(schema, null, 2)}\n`);
    return outFile;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await generateSchema(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  console.error(`build: ${path.relative(root, out)}`);
}
