/**
 * The 2026-07-28 encoding of a stateless request's result, as the SDK's codec does it, written as the
 * JSON text of the answer: a tool result without content gets an empty one, every result a
 * `resultType`, a read result its cache fields, and each the server's identity in `_meta` (unless the
 * result names one already).
 *
 * What a result usually needs is only added (members it does not have), so the result is serialized
 * as it came and the added members are appended as text: the server's identity is the same JSON for
 * every answer. Copying a result to add members costs more than serializing it (the copy of an
 * object built by rest destructuring is slow to build and to serialize). A result whose members must
 * be replaced (a read's cache fields) or merged (a `_meta` of its own) is copied as before.
 */
import { ProtocolError, ProtocolErrorCode, SERVER_INFO_META_KEY } from '@modelcontextprotocol/server';

type Result = Record<string, unknown>;

const INPUT_REQUIRED_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);
/** Members of a tool result that make it something other than content (it then gets no empty content). */
const FOREIGN_TOOL_RESULT_KEYS = ['task', 'inputRequests', 'requestState'];

export class ResultEncoder {
  private readonly serverInfo: { name: string; version: string };
  /** `"_meta":{...}` naming this server, closing a result's members. */
  private readonly metaMember: string;

  constructor(serverInfo: { name: string; version: string }) {
    this.serverInfo = { name: serverInfo.name, version: serverInfo.version };
    this.metaMember = `"_meta":${JSON.stringify({ [SERVER_INFO_META_KEY]: this.serverInfo })}`;
  }

  /** The result's JSON text, encoded for 2026-07-28 (throws what the SDK's encoding would refuse). */
  encode(method: string, raw: Result): string {
    const type = raw.resultType;
    if (type !== undefined && type !== 'complete' && !INPUT_REQUIRED_METHODS.has(method)) {
      throw new ProtocolError(
        ProtocolErrorCode.InternalError,
        `Handler for ${method} returned resultType '${String(type)}', but results of ${method} only support 'complete' on protocol revision 2026-07-28`,
      );
    }
    const addContent =
      method === 'tools/call' && raw.content === undefined && !FOREIGN_TOOL_RESULT_KEYS.some((k) => k in raw);
    if (method === 'resources/read' || raw._meta !== undefined)
      return JSON.stringify(this.copied(method, raw, addContent));
    const text = JSON.stringify(raw);
    // A member whose value is undefined is not written: appending it cannot repeat a member.
    let added = addContent ? '"content":[],' : '';
    if (type === undefined) added += '"resultType":"complete",';
    added += this.metaMember;
    if (text === '{}') return `{${added}}`;
    if (text.charCodeAt(0) !== 0x7b) return JSON.stringify(this.copied(method, raw, addContent));
    return `${text.slice(0, -1)},${added}}`;
  }

  /** The encoded result as an object of its own (the handler's object may be shared: a cached result). */
  private copied(method: string, raw: Result, addContent: boolean): Result {
    const result: Result = { ...raw };
    if (addContent) result.content = [];
    if (raw.resultType === undefined) result.resultType = 'complete';
    if (method === 'resources/read' && result.resultType === 'complete') {
      const ttl = raw.ttlMs;
      const scope = raw.cacheScope;
      result.ttlMs = Number.isSafeInteger(ttl) && (ttl as number) >= 0 ? ttl : 0;
      result.cacheScope = scope === 'public' || scope === 'private' ? scope : 'private';
    }
    const meta = raw._meta;
    if (meta === undefined) result._meta = { [SERVER_INFO_META_KEY]: this.serverInfo };
    else if (isObject(meta) && meta[SERVER_INFO_META_KEY] === undefined) {
      result._meta = { ...meta, [SERVER_INFO_META_KEY]: this.serverInfo };
    }
    return result;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
