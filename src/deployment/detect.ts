/**
 * How this copy of the proxy was deployed. The credentials issue refines the heuristics;
 * this is the seam everything else uses.
 */
import fs from 'node:fs';

export type DeploymentKind = 'binary' | 'npx' | 'docker' | 'node';

export interface Deployment {
  kind: DeploymentKind;
  /** Why we think so (for `version` and `status`). */
  evidence: string;
}

export interface DetectInput {
  env: NodeJS.ProcessEnv;
  execPath: string;
  entry: string;
  /** Overridable for tests. */
  exists?: (path: string) => boolean;
  isSea?: () => boolean;
}

const KINDS: DeploymentKind[] = ['binary', 'npx', 'docker', 'node'];

export function detectDeployment(input: DetectInput): Deployment {
  const marker = input.env.MCP_PROXY_DEPLOYMENT;
  if (marker && (KINDS as string[]).includes(marker)) {
    return { kind: marker as DeploymentKind, evidence: 'MCP_PROXY_DEPLOYMENT' };
  }
  const isSea = input.isSea ?? defaultIsSea;
  if (isSea()) return { kind: 'binary', evidence: 'single executable application' };
  const entry = input.entry.replace(/\\/g, '/');
  if (entry.includes('/_npx/')) return { kind: 'npx', evidence: `entry in the npm exec cache (${input.entry})` };
  const exists = input.exists ?? fs.existsSync;
  if (exists('/.dockerenv')) return { kind: 'docker', evidence: '/.dockerenv' };
  return { kind: 'node', evidence: `node ${input.execPath}` };
}

function defaultIsSea(): boolean {
  try {
    // node:sea exists from Node 20.12 / 21.7; absent module means not a SEA.
    const req = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
    const sea = req?.('node:sea') as { isSea?: () => boolean } | undefined;
    return sea?.isSea?.() ?? false;
  } catch {
    return false;
  }
}
