/**
 * A stdio `run`'s `initialize` answer, remembered for the next start of the same config, so that the
 * launcher gives it before the core has loaded (launcherAnswer.ts). Before any server is up, what the
 * answer says follows from the config (the proxy's name, which servers are disabled, their
 * descriptions) and from each server's instructions in the catalog cache. The core writes the answer
 * it gives itself (early.ts), and writes it again when the catalogs it comes from change (cli/run/pool.ts).
 *
 * Keyed by what the launcher can see of all that: the config file's path and text, the --transport
 * flag, and the proxy's version and build. A config is remembered only when no part of the answer comes
 * from a variable (offerFromTextOnly): those could resolve differently at the next start.
 * Light on purpose (the launcher loads it): Node built-ins and small modules only.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { InitializeOffer } from '../../aggregator/initializeOffer.js';
import { isObject } from '../../protocol/hotParams.js';
import { atomicWrite } from '../../util/atomicWrite.js';
import { nameHash } from '../../util/nameHash.js';
import { BUILD, VERSION } from '../../version.js';

const FORMAT = 1;

/** What the launcher answers with: initializeResult(offer, name, the client's version). */
export interface RememberedOffer {
  name?: string;
  offer: InitializeOffer;
}

/** What the answer is keyed by. */
export interface OfferSource {
  /** The config file, absolute. */
  configPath: string;
  /** Its text, exactly as read. */
  text: string;
  /** --transport, when given. */
  transport?: string;
}

interface OfferFile extends RememberedOffer {
  format: number;
  key: string;
}

/** The remembered answer for exactly this source, if there is one. */
export function readRememberedOffer(dir: string, source: OfferSource): RememberedOffer | undefined {
  try {
    const file = JSON.parse(fs.readFileSync(fileFor(dir, source), 'utf8')) as OfferFile;
    if (file.format !== FORMAT || file.key !== keyOf(source) || !isOffer(file.offer)) return undefined;
    if (file.name !== undefined && typeof file.name !== 'string') return undefined;
    return { name: file.name, offer: file.offer };
  } catch {
    return undefined; // none yet, or unreadable: the core answers, and writes it
  }
}

/**
 * Keeps `remembered` for the next start from `source` (undefined forgets it). Written only when it
 * changed; a failure costs the next start only its early answer.
 */
export function rememberOffer(dir: string, source: OfferSource, remembered: RememberedOffer | undefined): void {
  const file = fileFor(dir, source);
  try {
    if (!remembered) {
      fs.rmSync(file, { force: true });
      return;
    }
    const body: OfferFile = { format: FORMAT, key: keyOf(source), ...remembered };
    const text = JSON.stringify(body);
    if (readText(file) === text) return;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    atomicWrite(file, text, { mode: 0o600, durable: false });
  } catch {}
}

/**
 * Whether the answer follows from the config's text alone: a JSON config whose proxy name, transport
 * and cache setting, and whose servers' descriptions and `disabled`, use no `$` (a variable, or `$$`).
 */
export function offerFromTextOnly(text: string): boolean {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return false;
  }
  if (!isObject(raw) || !isObject(raw.mcpServers)) return false;
  const proxy = isObject(raw.proxy) ? raw.proxy : {};
  const parts: unknown[] = [proxy.name, proxy.transport, proxy.cache];
  for (const entry of Object.values(raw.mcpServers)) {
    if (!isObject(entry)) return false;
    parts.push(entry.description, entry.disabled);
  }
  return !JSON.stringify(parts).includes('$');
}

/** One file per config file: a new text replaces the answer of the old one. */
function fileFor(dir: string, source: OfferSource): string {
  return path.join(dir, `${nameHash(source.configPath)}.json`);
}

function keyOf(source: OfferSource): string {
  return nameHash(JSON.stringify([VERSION, BUILD, source.configPath, source.transport ?? null, source.text]));
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function isOffer(o: unknown): o is InitializeOffer {
  return (
    isObject(o) && isObject(o.capabilities) && (o.instructions === undefined || typeof o.instructions === 'string')
  );
}
