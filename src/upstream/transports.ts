/**
 * Config -> SDK client Transport, for every upstream kind. The one place the proxy touches the
 * SDK's client transports (plus the Docker transport behind our own port).
 */
import type { AuthProvider, Transport } from '@modelcontextprotocol/client';
import { SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../config/schema.js';
import { AppError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { resolveStdio } from './childProcess.js';
import type { DockerClientFactory } from './docker/client.js';
import type { PrespawnRegistry } from './prespawn.js';
import { ProcessStdioTransport } from './stdioTransport.js';

export interface TransportDeps {
  logger: Logger;
  /** The proxy's own environment: the base for stdio children (only INHERITED_ENV_VARS pass). */
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Receives each stderr line of a stdio upstream (the pool prefixes it and writes it to our stderr). */
  onStderrLine?: (line: string) => void;
  /** Identifies this proxy run (Docker labels). */
  runId: string;
  /** Lazily created Docker client, for `docker` upstreams. */
  docker?: DockerClientFactory;
  /** The OAuth login of an HTTP/SSE server with `oauth` set (see oauth/runtime.ts). */
  auth?: (name: string, config: { url: string; oauth?: unknown }) => AuthProvider | undefined;
  /** Stdio processes `run` started early: a transport with the same spawn parameters takes its process. */
  prespawned?: PrespawnRegistry;
}

export interface UpstreamTransport {
  transport: Transport;
  /** Frees what close() of the SDK transport leaves behind (the child's process tree). */
  dispose(): Promise<void>;
  kind: UpstreamConfig['type'];
  /** For process upstreams, once the process has ended: how, with its last stderr lines. */
  describeExit?: () => string | undefined;
}

export async function createTransport(
  name: string,
  config: UpstreamConfig,
  deps: TransportDeps,
): Promise<UpstreamTransport> {
  switch (config.type) {
    case 'stdio':
      return createStdio(name, config, deps);
    case 'http': {
      const transport = new StreamableHTTPClientTransport(new URL(config.url), {
        requestInit: config.headers ? { headers: config.headers } : undefined,
        authProvider: deps.auth?.(name, config),
      });
      return { transport, kind: 'http', dispose: async () => {} };
    }
    case 'sse': {
      // The SDK puts `requestInit.headers` on the event-stream GET as well as on the POSTs, beside the
      // bearer token and the protocol version: no event-source fetch of our own (one that rebuilt the
      // headers would drop those).
      const auth = deps.auth?.(name, config);
      const seen = auth && rememberAuthErrors(auth);
      const transport = new SSEClientTransport(new URL(config.url), {
        requestInit: config.headers ? { headers: config.headers } : undefined,
        authProvider: seen?.provider,
      });
      // The event source reports only the message of what failed while opening the stream: the
      // login's own error ("needs login", permanent) is what the connection must see.
      const start = transport.start.bind(transport);
      transport.start = () => start().catch((e) => Promise.reject(seen?.take() ?? e));
      return { transport, kind: 'sse', dispose: async () => {} };
    }
    case 'docker': {
      const mod = await import('./docker/transport.js');
      if (!deps.docker) throw new AppError('UPSTREAM_FAILED', `no Docker client for mcpServers.${name}`);
      const docker = await deps.docker();
      const transport = mod.createDockerTransport({
        serverName: name,
        config,
        env: config.env ?? {},
        docker,
        logger: deps.logger,
        runId: deps.runId,
        stderr: deps.onStderrLine,
      });
      return { transport, kind: 'docker', dispose: async () => {} };
    }
  }
}

/** The provider, and the last error its token() threw (taken once). */
function rememberAuthErrors(auth: AuthProvider): { provider: AuthProvider; take(): unknown } {
  let last: unknown;
  const provider: AuthProvider = {
    token: () =>
      auth.token().catch((e: unknown) => {
        last = e;
        throw e;
      }),
    onUnauthorized: auth.onUnauthorized?.bind(auth),
  };
  return {
    provider,
    take: () => {
      const e = last;
      last = undefined;
      return e;
    },
  };
}

function createStdio(
  name: string,
  config: Extract<UpstreamConfig, { type: 'stdio' }>,
  deps: TransportDeps,
): UpstreamTransport {
  const resolved = resolveStdio(config, deps.env, deps.cwd);
  if ('noCwd' in resolved) {
    const tilde = config.cwd?.startsWith('~')
      ? // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${VAR} reference is what the user writes
        '; "~" is expanded only by a shell: write ${HOME}/... or the absolute path'
      : '';
    throw new AppError('UPSTREAM_FAILED', `working directory not found: ${resolved.noCwd}`, {
      details: [`mcpServers.${name}.cwd must name an existing directory${tilde}`],
    });
  }
  if (!('params' in resolved)) {
    throw new AppError('UPSTREAM_FAILED', `command not found: ${config.command}`, {
      details: [`searched PATH: ${resolved.notFound.join(process.platform === 'win32' ? ';' : ':') || '(empty)'}`],
      hint: `install it, give an absolute path in mcpServers.${name}.command, or set PATH in mcpServers.${name}.env`,
    });
  }
  const { params } = resolved;
  if (resolved.extraDir) {
    deps.logger.info(
      { server: name, dir: resolved.extraDir },
      `"${config.command}" is not on the PATH the proxy was started with (GUI clients start it with a short one): found in ${resolved.extraDir}, which is added to the server's PATH`,
    );
  }
  const transport = new ProcessStdioTransport(params, () => deps.prespawned?.take(params));
  const stderr = transport.stderr;
  if (stderr && deps.onStderrLine) {
    let pending = '';
    const sink = deps.onStderrLine;
    stderr.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, '');
        if (line) sink(line);
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
    });
  }
  return {
    transport,
    kind: 'stdio',
    // close() stops the whole process group (and descendants seen earlier); dispose makes sure.
    dispose: () => transport.close(),
    describeExit: () => describeExit(transport),
  };
}

/** "exited with code 1: <last stderr lines>" once a stdio child has ended, else undefined. */
function describeExit(t: ProcessStdioTransport): string | undefined {
  const exit = t.exit;
  if (!exit) return undefined;
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const tail = t.stderrTail.slice(-3).join(' | ');
  return tail ? `${how}; its last stderr: ${tail}` : how;
}
