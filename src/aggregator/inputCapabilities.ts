/**
 * What a request for input (elicitation, sampling, roots) asks of the client's declared capabilities, and
 * what of that a 2026-07-28 caller's request did not declare: checked on an `input_required` result as the
 * SDK's Server checks it, and before an upstream's request becomes such a round.
 */
import { isObject, type Params } from '../protocol/hotParams.js';

/** The client capability an embedded input request needs (mode-aware for elicitation, tools-aware for sampling). */
export function requiredFor(entry: { method?: unknown; params?: Params } | null): Params | undefined {
  if (entry === null || typeof entry !== 'object') return undefined;
  switch (entry.method) {
    case 'elicitation/create':
      return entry.params?.mode === 'url' ? { elicitation: { url: {} } } : { elicitation: { form: {} } };
    case 'sampling/createMessage':
      return entry.params?.tools !== undefined || entry.params?.toolChoice !== undefined
        ? { sampling: { tools: {} } }
        : { sampling: {} };
    case 'roots/list':
      return { roots: {} };
    default:
      return undefined;
  }
}

/** What of `required` is not declared; a bare `elicitation: {}` declares form mode (its 2025 meaning). */
export function missingCapabilities(required: Params, declared: Params | undefined): Params | undefined {
  const missing: Params = {};
  for (const [capability, members] of Object.entries(required)) {
    const have = declared?.[capability];
    if (have === undefined) {
      missing[capability] = members;
      continue;
    }
    if (!isObject(have)) continue;
    const bareElicitation = capability === 'elicitation' && have.form === undefined && have.url === undefined;
    const lacking: Params = {};
    for (const [member, need] of Object.entries(members as Params)) {
      if (have[member] === undefined && !(bareElicitation && member === 'form')) lacking[member] = need;
    }
    if (Object.keys(lacking).length) missing[capability] = lacking;
  }
  return Object.keys(missing).length ? missing : undefined;
}
