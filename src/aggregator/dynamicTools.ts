/**
 * Dynamic tools mode (issue 9): instead of every upstream tool schema, the downstream sees two
 * meta-tools, named as the dynamic-mcp proxy names them so users can switch over:
 *
 *   get_dynamic_tools {group}                    the tools (name, description, input schema) of one upstream
 *   call_dynamic_tool {group, name, arguments}   runs one of them, through the same path as a direct call
 *
 * A group is an upstream server with at least one tool left after its include/exclude filters.
 * Both tool descriptions and the group enum are computed from the live catalog at list time; the
 * fingerprint lets the aggregator send tools/list_changed when they change. Arguments are validated
 * against the upstream tool's input schema before the call, and a mismatch comes back as an isError
 * result that lists each problem and shows the schema, so a model can fix its call in one turn.
 */
import type { Tool } from '@modelcontextprotocol/client';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { type AccessView, ALLOW_ALL } from '../gateway/policy.js';
import type { UpstreamCatalog } from '../upstream/connection.js';
import type { Upstream } from '../upstream/upstream.js';
import { type ArgumentProblem, ArgumentValidator } from './argumentValidator.js';
import type { CallContext } from './callContext.js';
import { toolFilter } from './catalog.js';
import { prefixFor, publicName } from './naming.js';
import type { Aggregator, ToolsMode } from './server.js';

/** The meta-tool names (dynamic-mcp's, unchanged). */
export const GET_DYNAMIC_TOOLS = 'get_dynamic_tools';
export const CALL_DYNAMIC_TOOL = 'call_dynamic_tool';

/** Fallback group descriptions taken from server instructions are cut to about this many characters. */
const INSTRUCTIONS_SUMMARY_CHARS = 200;

export interface DynamicGroup {
  name: string;
  description: string;
  /** Tools after the config's include/exclude filters, under their upstream names. */
  tools: Tool[];
}

type Result = Record<string, unknown>;

/**
 * The groups as the downstream sees them now: upstreams with at least one exposed tool. Membership follows the
 * upstream catalogs (not the momentary state), as `all` mode does: a server that is restarting keeps its catalog,
 * and one that fails for good has it cleared, which emits the catalog event that rebuilds and notifies. So the
 * list and the list_changed notifications always agree.
 */
export function dynamicGroups(
  agg: {
    pool: {
      list(): Upstream[];
      served?(conn: Upstream): UpstreamCatalog | undefined;
      knownOf?(conn: Upstream): { instructions?: string } | undefined;
    };
    separator?: string;
  },
  view: AccessView = ALLOW_ALL,
): DynamicGroup[] {
  const groups: DynamicGroup[] = [];
  const open = view.unrestricted?.() ?? false;
  for (const conn of agg.pool.list()) {
    if (conn.state === 'disabled' || conn.state === 'closed') continue;
    const allowed = toolFilter(conn.config.tools);
    // Policy speaks of public names: a tool's name as `all` mode would publish it.
    const rules = { prefix: prefixFor(conn.name, conn.config.prefix), separator: agg.separator ?? '__' };
    const visible = (t: Tool) =>
      open || view.allows({ kind: 'tool', server: conn.name, name: publicName(rules, t.name) });
    // A server still starting (or a sleeping lazy one) is offered, and described, from its cached catalog.
    const catalog = agg.pool.served?.(conn) ?? conn.catalog;
    const tools = catalog.tools.filter((t) => allowed(t.name) && visible(t));
    const description = describeGroup(conn, agg.pool.knownOf?.(conn)?.instructions);
    if (tools.length) groups.push({ name: conn.name, description, tools });
  }
  return groups;
}

/** The config's description, else (a summary of) the server's instructions, else its name. */
export function describeGroup(conn: Pick<Upstream, 'name' | 'config' | 'instructions'>, known?: string): string {
  const configured = conn.config.description?.trim();
  if (configured) return oneLine(configured);
  const fromInstructions = summarize(conn.instructions ?? known);
  return fromInstructions || conn.name;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Instructions are often long markdown: drop headings, join lines, cut at a word boundary. */
function summarize(instructions: string | undefined): string {
  if (!instructions) return '';
  const body = instructions
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join(' ');
  const text = oneLine(body.replace(/[*_`]+/g, ''));
  if (text.length <= INSTRUCTIONS_SUMMARY_CHARS) return text;
  const cut = text.slice(0, INSTRUCTIONS_SUMMARY_CHARS);
  const sentence = cut.search(/[.!?]\s[^.!?]*$/);
  if (sentence > INSTRUCTIONS_SUMMARY_CHARS / 2) return cut.slice(0, sentence + 1);
  const space = cut.lastIndexOf(' ');
  return `${cut.slice(0, space > 0 ? space : cut.length)}…`;
}

/** The two meta-tools for the current groups. */
export function metaTools(groups: DynamicGroup[]): Result[] {
  const names = groups.map((g) => g.name);
  const groupProperty = (what: string) => ({
    type: 'string',
    description: names.length ? what : `${what} (no group is available right now)`,
    ...(names.length ? { enum: names } : {}),
  });
  const listing = names.length
    ? groups.map((g) => `- ${g.name}: ${g.description}`).join('\n')
    : '(none yet: no server behind this proxy is ready; the list updates when one is)';
  return [
    {
      name: GET_DYNAMIC_TOOLS,
      description:
        "This proxy groups the tools of several MCP servers and loads a group's tool definitions only on demand. " +
        'Call this with a group to get the names, descriptions and input schemas of its tools, then run one with ' +
        `${CALL_DYNAMIC_TOOL}.\n\nGroups:\n${listing}`,
      inputSchema: {
        type: 'object',
        properties: { group: groupProperty('The group (server) whose tools to list') },
        required: ['group'],
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    {
      name: CALL_DYNAMIC_TOOL,
      description:
        `Runs a tool of a group. Look up its name and input schema with ${GET_DYNAMIC_TOOLS} first, and pass ` +
        'the tool\'s input as "arguments". The arguments are checked against the tool\'s schema before the call; ' +
        'if they do not match, the result lists each problem together with the schema.\n' +
        `Example: {"group": "filesystem", "name": "read_text_file", "arguments": {"path": "/tmp/notes.txt"}}`,
      inputSchema: {
        type: 'object',
        properties: {
          group: groupProperty('The group (server) that has the tool'),
          name: { type: 'string', description: `The tool's name, as ${GET_DYNAMIC_TOOLS} lists it` },
          arguments: {
            type: 'object',
            description: "The tool's input, matching its input schema",
            additionalProperties: true,
          },
        },
        required: ['group', 'name'],
      },
    },
  ];
}

/** What get_dynamic_tools returns per tool: enough to call it, nothing the model does not need. */
export function describeTool(tool: Tool): Result {
  const out: Result = { name: tool.name };
  if (tool.title) out.title = tool.title;
  if (tool.description) out.description = tool.description;
  out.inputSchema = stripDialect(tool.inputSchema as Result);
  if (tool.annotations && Object.keys(tool.annotations).length) out.annotations = tool.annotations;
  return out;
}

function stripDialect(schema: Result): Result {
  if (!schema || typeof schema !== 'object' || !('$schema' in schema)) return schema;
  const { $schema: _drop, ...rest } = schema;
  return rest;
}

function textResult(text: string, structured?: Result, isError = false): Result {
  return {
    content: [{ type: 'text', text }],
    ...(structured ? { structuredContent: structured } : {}),
    ...(isError ? { isError: true } : {}),
  };
}

function listNames(names: string[]): string {
  if (!names.length) return '(none)';
  const shown = names.slice(0, 100).join(', ');
  return names.length > 100 ? `${shown}, ... (${names.length} in all)` : shown;
}

function formatPath(path: string): string {
  return path ? `arguments${path}` : 'arguments';
}

export interface DynamicToolsOptions {
  /** Reuse a validator (tests); one per mode otherwise. */
  validator?: ArgumentValidator;
}

function unknownGroup(agg: Aggregator, group: unknown, groups: DynamicGroup[], view?: AccessView): Result {
  const available = listNames(groups.map((g) => g.name));
  if (typeof group !== 'string' || !group) {
    return textResult(`"group" is required: one of ${available}.`, undefined, true);
  }
  // A group the caller may not see is unknown to it, whatever its state.
  const conn = view && !view.unrestricted?.() ? undefined : agg.pool.get(group);
  let why = `Unknown group "${group}".`;
  if (conn && conn.state !== 'ready') {
    why = `Group "${group}" is not available right now (server state: ${conn.state}${conn.lastError ? `; ${conn.lastError}` : ''}).`;
  } else if (conn) {
    why = `Group "${group}" exposes no tools.`;
  }
  return textResult(`${why} Available groups: ${available}.`, undefined, true);
}

/**
 * The groups, once `found` finds what the call names in them: while servers are still starting, a group (or
 * a tool in it) not listed yet is waited for, as a direct call's tool is, so a call made as the proxy starts
 * reaches its server rather than an "unknown" error.
 */
async function groupsWhen(
  agg: Aggregator,
  view: AccessView | undefined,
  found: (groups: DynamicGroup[]) => boolean,
): Promise<DynamicGroup[]> {
  const lookup = () => {
    const groups = dynamicGroups(agg, view);
    return found(groups) ? groups : undefined;
  };
  return (await agg.whenKnown(lookup)) ?? dynamicGroups(agg, view);
}

async function getTools(agg: Aggregator, args: Result, view: AccessView | undefined): Promise<Result> {
  const groups = await groupsWhen(agg, view, (gs) => gs.some((g) => g.name === args.group));
  const group = groups.find((g) => g.name === args.group);
  if (!group) return unknownGroup(agg, args.group, groups, view);
  const tools = group.tools.map(describeTool);
  return textResult(JSON.stringify(tools), { group: group.name, tools });
}

function unknownTool(name: unknown, group: DynamicGroup, groups: DynamicGroup[]): Result {
  const elsewhere = typeof name === 'string' ? groups.filter((g) => g.tools.some((t) => t.name === name)) : [];
  const hint = elsewhere.length
    ? ` A tool of that name is in group ${listNames(elsewhere.map((g) => `"${g.name}"`))}.`
    : '';
  const what =
    typeof name === 'string' && name ? `Unknown tool "${name}" in group "${group.name}".` : '"name" is required.';
  return textResult(
    `${what}${hint} Tools in "${group.name}": ${listNames(group.tools.map((t) => t.name))}. ` +
      `Use ${GET_DYNAMIC_TOOLS} to see their input schemas.`,
    undefined,
    true,
  );
}

/** dynamic-mcp calls it "args"; both are accepted. A JSON string holding an object is unwrapped. */
function toolArguments(args: Result): unknown {
  let toolArgs: unknown = args.arguments !== undefined ? args.arguments : args.args;
  if (toolArgs === undefined || toolArgs === null) toolArgs = {};
  if (typeof toolArgs === 'string') {
    try {
      const parsed = JSON.parse(toolArgs);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) toolArgs = parsed;
    } catch {
      // reported by the caller as a type problem
    }
  }
  return toolArgs;
}

function invalidArguments(
  group: string,
  tool: string,
  schema: Result | undefined,
  problems: ArgumentProblem[],
): Result {
  const shownSchema = stripDialect(schema ?? {});
  const text =
    `Invalid arguments for tool "${tool}" in group "${group}":\n` +
    problems.map((p) => `- ${formatPath(p.path)}: ${p.message}`).join('\n') +
    `\n\nInput schema of "${tool}":\n${JSON.stringify(shownSchema, null, 2)}\n\n` +
    `Call ${CALL_DYNAMIC_TOOL} again with arguments that match this schema.`;
  return textResult(
    text,
    {
      error: 'invalid_arguments',
      group,
      tool,
      problems: problems.map((p) => ({ path: formatPath(p.path), message: p.message })),
      inputSchema: shownSchema,
    },
    true,
  );
}

async function callTool(
  agg: Aggregator,
  args: Result,
  call: CallContext,
  validator: ArgumentValidator,
): Promise<Result> {
  const view = call.origin?.session.access;
  const groups = await groupsWhen(agg, view, (gs) =>
    gs.some((g) => g.name === args.group && g.tools.some((t) => t.name === args.name)),
  );
  const group = groups.find((g) => g.name === args.group);
  if (!group) return unknownGroup(agg, args.group, groups, view);
  const name = args.name;
  const tool = typeof name === 'string' ? group.tools.find((t) => t.name === name) : undefined;
  if (!tool) return unknownTool(name, group, groups);
  const toolArgs = toolArguments(args);
  const schema = tool.inputSchema as Result | undefined;
  const problems: ArgumentProblem[] | undefined =
    typeof toolArgs !== 'object' || Array.isArray(toolArgs)
      ? [{ path: '', message: `must be an object, not ${Array.isArray(toolArgs) ? 'an array' : typeof toolArgs}` }]
      : validator.validate(group.name, tool.name, schema, toolArgs);
  if (problems?.length) return invalidArguments(group.name, tool.name, schema, problems);
  return agg.callUpstreamTool(group.name, tool.name, toolArgs as Result, call);
}

export function createDynamicToolsMode(opts: DynamicToolsOptions = {}): ToolsMode {
  const validator = opts.validator ?? new ArgumentValidator();
  return {
    usesPublicToolNames: false,
    list: (agg, view) => metaTools(dynamicGroups(agg, view)),
    fingerprint: (agg) => JSON.stringify(metaTools(dynamicGroups(agg))),
    async call(agg, name, args, call) {
      const a = args ?? {};
      if (name === GET_DYNAMIC_TOOLS) return getTools(agg, a, call.origin?.session.access);
      if (name === CALL_DYNAMIC_TOOL) return callTool(agg, a, call, validator);
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Unknown tool: "${name}". Available: ${GET_DYNAMIC_TOOLS}, ${CALL_DYNAMIC_TOOL} (dynamic tools mode)`,
      );
    },
  };
}
