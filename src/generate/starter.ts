/**
 * `mcp-proxy init`: the starter config. JSON has no comments, so the example servers explain themselves
 * in `description` fields (which the proxy also shows in dynamic tools mode).
 */
import fs from 'node:fs';
import path from 'node:path';
import starterTemplate from '../../templates/starter-config.json.tmpl';
import { SCHEMA_URL } from './importer.js';
import { renderTemplate } from './template.js';

/**
 * The `$schema` reference: a relative path to the schema this copy ships (dist/config.schema.json beside
 * the bundle) when it is installed somewhere lasting, else the unpkg URL.
 */
export function schemaReference(o: {
  configFile: string;
  entry: string;
  deployment: string;
  exists?: (p: string) => boolean;
}): string {
  const exists = o.exists ?? fs.existsSync;
  if (o.deployment === 'node' && o.entry) {
    // A global install runs through a bin symlink (/usr/local/bin/mcp-proxy): look beside the real file.
    let entry = path.resolve(o.entry);
    try {
      entry = fs.realpathSync(entry);
    } catch {}
    const local = path.join(path.dirname(entry), 'config.schema.json');
    if (exists(local)) {
      const rel = path.relative(path.dirname(o.configFile), local).split(path.sep).join('/');
      return rel.startsWith('.') ? rel : `./${rel}`;
    }
  }
  return SCHEMA_URL;
}

export function renderStarterConfig(o: { schema: string; name?: string }): string {
  return renderTemplate(starterTemplate, { schema: o.schema, name: o.name ?? 'mcp-proxy' });
}
