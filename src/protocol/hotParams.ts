/**
 * The plain shapes of the hot requests' params (tools/call, prompts/get, resources/read,
 * completion/complete), as the aggregator's handlers take them. The fast paths (the 2025 relay and the
 * 2026-07-28 stateless path) serve a request only when its params have this shape; anything else goes to
 * the SDK, which answers with its own precise error.
 */
export type Params = Record<string, any>;

export function isString(v: unknown): v is string {
  return typeof v === 'string';
}

export function isObject(v: unknown): v is Params {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether `p` is the plain params of hot `method` (completion/complete for any other method). */
export function plainHotParams(method: string, p: Params): boolean {
  switch (method) {
    case 'tools/call':
      return isString(p.name) && (p.arguments === undefined || isObject(p.arguments));
    case 'prompts/get':
      return (
        isString(p.name) &&
        (p.arguments === undefined || (isObject(p.arguments) && Object.values(p.arguments).every(isString)))
      );
    case 'resources/read':
      return isString(p.uri);
    default:
      return (
        isObject(p.ref) &&
        ((p.ref.type === 'ref/prompt' && isString(p.ref.name)) ||
          (p.ref.type === 'ref/resource' && isString(p.ref.uri))) &&
        isObject(p.argument) &&
        isString(p.argument.name) &&
        isString(p.argument.value)
      );
  }
}
