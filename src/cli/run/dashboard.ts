/**
 * The web dashboard for `run` over HTTP (and `mcp-proxy ui`): its API over the running proxy's parts,
 * and the config port, behind which the CLI's own `add`/`remove` code edits the config file (backup,
 * checks) so the live reload picks the change up.
 */
import { Writable } from 'node:stream';
import type { Aggregator } from '../../aggregator/server.js';
import { checkEdit, readForEdit, SERVER_NAME, setServerValue } from '../../config/edit.js';
import type { ProxyConfig } from '../../config/schema.js';
import { DashboardApi } from '../../dashboard/api.js';
import { DashboardLogin } from '../../dashboard/login.js';
import type { LogRing } from '../../dashboard/logRing.js';
import type { ConfigPort, EditOutcome } from '../../dashboard/types.js';
import { servePublic } from '../../dashboard/ui.js';
import { AppError, errorMessage } from '../../errors.js';
import type { DashboardRoutes } from '../../frontends/http/types.js';
import type { AccessControl } from '../../gateway/access.js';
import { isRenderable, type Metrics } from '../../observability/metrics.js';
import type { UpstreamPool } from '../../upstream/pool.js';
import type { CliContext } from '../context.js';
import { type CredentialArgs, credentialChainFor } from '../credentialOptions.js';
import { checkVariables, readRawConfig } from '../credentialsActions.js';

export interface DashboardSetup {
  ctx: CliContext;
  agg: Aggregator;
  pool: UpstreamPool;
  access: AccessControl;
  logs: LogRing;
  metrics: Metrics;
  configPath?: string;
  credentials: CredentialArgs;
  maxBodyBytes?: number;
  /** `proxy.auth.oidc`: with a dashboardClientId, the page offers "Sign in with <issuer>". */
  oidc?: OidcAuthConfig;
}

type OidcAuthConfig = NonNullable<NonNullable<ProxyConfig['auth']>['oidc']>;

export function createDashboard(s: DashboardSetup): DashboardRoutes & { close(): void } {
  const api = new DashboardApi({
    agg: s.agg,
    pool: s.pool,
    access: s.access,
    logs: s.logs,
    metrics: isRenderable(s.metrics) ? s.metrics : undefined,
    redact: (t) => s.ctx.redactor.redact(t),
    config: s.configPath ? configPort(s.ctx, s.configPath, s.credentials) : undefined,
    maxBodyBytes: s.maxBodyBytes,
  });
  const o = s.oidc;
  const login = o?.dashboardClientId
    ? new DashboardLogin({
        issuer: o.issuer,
        clientId: o.dashboardClientId,
        audience: o.audience,
        scopes: o.dashboardScopes ?? o.scopes,
      })
    : undefined;
  return {
    servePublic: (res, path, method) => servePublic(res, path, method, login),
    api: (req, res, identity, url, path) => api.handle(req, res, identity, url, path),
    close: () => api.close(),
  };
}

export function configPort(ctx: CliContext, file: string, credentials: CredentialArgs): ConfigPort {
  const chain = () => credentialChainFor(credentials, ctx);
  return {
    async view() {
      const parsed = await readRawConfig(file);
      const c = chain();
      return {
        file,
        credentialsFile: c.credentialsFile,
        searchOrder: c.sources.map((src) => src.describe()),
        config: parsed.value,
        variables: checkVariables(parsed.value, c),
      };
    },
    async validate(name, entry) {
      return outcomeOf(async () => {
        assertName(name);
        const cfg = readForEdit(file);
        const text = setServerValue(cfg.exists ? cfg.text : '{}', cfg.format, name, [], entry);
        const c = chain();
        const check = checkEdit(text, file, (n) => c.lookup(n), { ...ctx, server: name });
        return { message: `the entry for "${name}" is valid`, warnings: check.warnings.map((w) => w.message) };
      });
    },
    async add(name, entry, force) {
      return outcomeOf(async () => {
        assertName(name);
        const { addEntry } = await import('../commands/serversRun.js');
        return {
          message: await captured(ctx, (c) => addEntry(name, entry, { ...credentials, config: file, force }, c)),
        };
      });
    },
    async remove(name) {
      return outcomeOf(async () => {
        const { removeServer } = await import('../commands/serversRun.js');
        const args = { name, config: file, _: [], $0: 'mcp-proxy' };
        return { message: await captured(ctx, (c) => removeServer(args as never, c)) };
      });
    },
  };
}

function assertName(name: string): void {
  if (!SERVER_NAME.test(name)) {
    throw new AppError('USAGE', `"${name}" is not a valid server name`, {
      hint: 'use 1-48 of letters, digits, "_" and "-" (e.g. github, my-server)',
    });
  }
}

/** A refusal (AppError) is an outcome with its message, details and hint; anything else is thrown. */
async function outcomeOf(fn: () => Promise<Omit<EditOutcome, 'ok'>>): Promise<EditOutcome> {
  try {
    return { ok: true, ...(await fn()) };
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    const details = [...(e.details ?? []), ...(e.hint ? [`hint: ${e.hint}`] : [])];
    return { ok: false, message: errorMessage(e), ...(details.length ? { details } : {}) };
  }
}

/** Runs a CLI action with its stdout and stderr captured: what it says is the outcome's message. */
async function captured(ctx: CliContext, fn: (c: CliContext) => Promise<number>): Promise<string> {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  await fn({ ...ctx, stdout: sink, stderr: sink });
  return text.trim();
}
