/**
 * deploy/kubernetes/, checked without a cluster: every manifest against the Kubernetes API schemas
 * (kubernetes-models validates with the OpenAPI schemas it ships), then what the pieces promise each
 * other: selectors that match, probes on /health and /ready at the served port, the config where --config
 * looks, tokens mounted where the image reads secrets, a grace period that covers the drain, hardening.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import { ROOT } from '../helpers/paths.js';

const DIR = path.join(ROOT, 'deploy/kubernetes');
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  Deployment,
  Service,
  ConfigMap,
  Secret,
  PodDisruptionBudget,
};

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const manifests = files.flatMap((f) =>
  YAML.parseAllDocuments(readFileSync(path.join(DIR, f), 'utf8')).map((d) => ({ file: f, obj: d.toJSON() })),
);
const byKind = (kind: string) => {
  const found = manifests.filter((m) => m.obj.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!.obj;
};

function validate(obj: { kind: string }): void {
  const Model = MODELS[obj.kind];
  if (!Model) throw new Error(`no schema for kind ${obj.kind}`);
  new Model(obj).validate();
}

describe('deploy/kubernetes', () => {
  it('every manifest is valid against the Kubernetes API schema (which does catch mistakes)', () => {
    expect(manifests.map((m) => m.obj.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Secret', 'Service'].sort(),
    );
    for (const m of manifests) expect(() => validate(m.obj), m.file).not.toThrow();
    const broken = structuredClone(byKind('Deployment'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = '8765';
    expect(() => validate(broken)).toThrow(/containerPort/);
    const noSelector = structuredClone(byKind('PodDisruptionBudget'));
    noSelector.spec.maxUnavailable = { much: 1 };
    expect(() => validate(noSelector)).toThrow();
  });

  it('kustomization.yaml lists every manifest', () => {
    const k = YAML.parse(readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8'));
    expect([...k.resources].sort()).toEqual([...files].sort());
  });

  it('the Service and the PodDisruptionBudget select the Deployment pods; ports line up', () => {
    const dep = byKind('Deployment');
    const labels = dep.spec.template.metadata.labels;
    expect(dep.spec.selector.matchLabels).toEqual(labels);
    const svc = byKind('Service');
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(labels[k]).toBe(v);
    const pdb = byKind('PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(labels);
    expect(dep.spec.replicas).toBeGreaterThan(pdb.spec.maxUnavailable);
    const container = dep.spec.template.spec.containers[0];
    const port = container.ports.find((p: { name: string }) => p.name === svc.spec.ports[0].targetPort);
    expect(port.containerPort).toBe(8765);
    expect(container.args).toEqual(expect.arrayContaining(['--port', String(port.containerPort), '--host', '0.0.0.0']));
  });

  it('probes: liveness and startup on /health, readiness on /ready, all on the served port', () => {
    const c = byKind('Deployment').spec.template.spec.containers[0];
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(c.startupProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    // No credential in a probe: /ready answers probes without one.
    expect(c.readinessProbe.httpGet.httpHeaders).toBeUndefined();
  });

  it('the config is mounted where --config looks, and is a valid proxy config', () => {
    const spec = byKind('Deployment').spec.template.spec;
    const c = spec.containers[0];
    const configArg = c.args[c.args.indexOf('--config') + 1] as string;
    const mount = c.volumeMounts.find((m: { mountPath: string }) => configArg.startsWith(`${m.mountPath}/`));
    const volume = spec.volumes.find((v: { name: string }) => v.name === mount.name);
    const cm = byKind('ConfigMap');
    expect(volume.configMap.name).toBe(cm.metadata.name);
    const text = cm.data[path.basename(configArg)];
    expect(() => parseConfigText(text, configArg, () => undefined)).not.toThrow();
  });

  it('tokens come from the Secret as files in /run/secrets (read first by the image), never from env values', () => {
    const spec = byKind('Deployment').spec.template.spec;
    const c = spec.containers[0];
    const mount = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/run/secrets');
    expect(mount.readOnly).toBe(true);
    const volume = spec.volumes.find((v: { name: string }) => v.name === mount.name);
    const secret = byKind('Secret');
    expect(volume.secret.secretName).toBe(secret.metadata.name);
    expect(volume.secret.defaultMode & 0o007).toBe(0);
    expect(Object.keys(secret.stringData)).toContain('mcp_proxy_token');
    // Shipped without a value: a proxy on 0.0.0.0 without a token refuses to start.
    expect(secret.stringData.mcp_proxy_token).toBe('');
    expect(JSON.stringify(c.env ?? [])).not.toMatch(/TOKEN/);
  });

  it('drains within the grace period: preStop, then shutdownGrace, inside terminationGracePeriodSeconds', () => {
    const spec = byKind('Deployment').spec.template.spec;
    const c = spec.containers[0];
    const config = JSON.parse(byKind('ConfigMap').data['mcp-proxy.json']);
    const needed = c.lifecycle.preStop.sleep.seconds + config.proxy.timeouts.shutdownGrace / 1000;
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(needed);
    expect(byKind('Deployment').spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it('is hardened: non-root, read-only root file system, no privilege escalation, no capabilities', () => {
    const spec = byKind('Deployment').spec.template.spec;
    const c = spec.containers[0];
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    expect(spec.securityContext.seccompProfile.type).toBe('RuntimeDefault');
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.resources.limits.memory).toBeTruthy();
    const writable = c.volumeMounts
      .filter((m: { readOnly?: boolean }) => !m.readOnly)
      .map((m: { name: string }) => m.name);
    for (const name of writable) {
      expect(spec.volumes.find((v: { name: string }) => v.name === name).emptyDir, name).toBeDefined();
    }
  });
});
