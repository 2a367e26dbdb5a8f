// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references in configs are what decides here
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { offerFromTextOnly, readRememberedOffer, rememberOffer } from '../../../src/cli/run/rememberedOffer.js';
import { tmpDir } from '../../helpers/files.js';

const OFFER = { name: 'team', offer: { capabilities: { tools: { listChanged: true } }, instructions: '## a\nHi.' } };

function setup() {
  const dir = path.join(tmpDir('mcp-proxy-offer-'), 'offers');
  const source = { configPath: '/home/u/mcp-proxy.json', text: '{"mcpServers":{}}' };
  return { dir, source };
}

describe('remembered initialize answer', () => {
  test('read back for exactly the same config text, path and --transport', () => {
    const { dir, source } = setup();
    rememberOffer(dir, source, OFFER);
    expect(readRememberedOffer(dir, source)).toEqual(OFFER);
    expect(readRememberedOffer(dir, { ...source, text: `${source.text} ` })).toBeUndefined();
    expect(readRememberedOffer(dir, { ...source, transport: 'stdio' })).toBeUndefined();
    expect(readRememberedOffer(dir, { ...source, configPath: '/other.json' })).toBeUndefined();
  });

  test('one file per config: a new text replaces the old answer', () => {
    const { dir, source } = setup();
    rememberOffer(dir, source, OFFER);
    const next = { ...source, text: '{"mcpServers":{"a":{}}}' };
    rememberOffer(dir, next, { offer: { capabilities: {} } });
    expect(fs.readdirSync(dir)).toHaveLength(1);
    expect(readRememberedOffer(dir, source)).toBeUndefined();
    expect(readRememberedOffer(dir, next)).toEqual({ offer: { capabilities: {} } });
  });

  test('an unchanged answer is not written again; undefined forgets it; the file is private', () => {
    const { dir, source } = setup();
    rememberOffer(dir, source, OFFER);
    const [file] = fs.readdirSync(dir).map((f) => path.join(dir, f));
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    const before = fs.statSync(file).mtimeMs;
    rememberOffer(dir, source, OFFER);
    expect(fs.statSync(file).mtimeMs).toBe(before);
    rememberOffer(dir, source, undefined);
    expect(fs.existsSync(file)).toBe(false);
  });

  test('an unreadable or foreign file is no answer', () => {
    const { dir, source } = setup();
    rememberOffer(dir, source, OFFER);
    const [file] = fs.readdirSync(dir).map((f) => path.join(dir, f));
    const body = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const bad of [
      '{',
      JSON.stringify({ ...body, format: 2 }),
      JSON.stringify({ ...body, offer: { capabilities: 1 } }),
    ]) {
      fs.writeFileSync(file, bad);
      expect(readRememberedOffer(dir, source)).toBeUndefined();
    }
  });

  test('a folder that cannot be made costs nothing but the answer', () => {
    const base = tmpDir('mcp-proxy-offer-');
    fs.writeFileSync(path.join(base, 'file'), '');
    const dir = path.join(base, 'file', 'offers');
    expect(() => rememberOffer(dir, setup().source, OFFER)).not.toThrow();
    expect(readRememberedOffer(dir, setup().source)).toBeUndefined();
  });

  test('only an answer that takes nothing from variables is remembered', () => {
    const cfg = (proxy: object, server: object) =>
      JSON.stringify({ proxy, mcpServers: { a: { command: 'x', ...server } } });
    expect(offerFromTextOnly(cfg({ name: 'p' }, { env: { K: '${SECRET}' }, args: ['${X}'] }))).toBe(true);
    expect(offerFromTextOnly(cfg({ name: '${NAME}' }, {}))).toBe(false);
    expect(offerFromTextOnly(cfg({ transport: '${T}' }, {}))).toBe(false);
    expect(offerFromTextOnly(cfg({ cache: '${C}' }, {}))).toBe(false);
    expect(offerFromTextOnly(cfg({}, { description: 'costs $$5' }))).toBe(false);
    expect(offerFromTextOnly(cfg({}, { disabled: '${OFF}' }))).toBe(false);
    expect(offerFromTextOnly('name: yaml')).toBe(false);
    expect(offerFromTextOnly('{"mcpServers":{"a":1}}')).toBe(false);
  });
});
