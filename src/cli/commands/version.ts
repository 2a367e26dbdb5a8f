import { BUILD, PACKAGE_NAME, SDK_VERSION, VERSION } from '../../version.js';
import type { CommandSpec } from '../types.js';

export const versionCommand: CommandSpec<{ json?: boolean }> = {
  command: 'version',
  describe: 'Print the version, Node and SDK versions, and how this copy was installed',
  builder: (y) => y.option('json', { type: 'boolean', describe: 'Machine-readable output' }),
  async handler(args, ctx) {
    const info = {
      name: PACKAGE_NAME,
      version: VERSION,
      build: BUILD,
      node: process.versions.node,
      sdk: SDK_VERSION,
      platform: `${process.platform}-${process.arch}`,
      deployment: ctx.deployment.kind,
      deploymentEvidence: ctx.deployment.evidence,
    };
    if (args.json) {
      ctx.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
    } else {
      ctx.stdout.write(
        `${info.name} ${info.version} (${info.build})\n` +
          `node ${info.node}, @modelcontextprotocol/sdk v2 ${info.sdk}, ${info.platform}\n` +
          `installed as: ${info.deployment} (${info.deploymentEvidence})\n`,
      );
    }
    return 0;
  },
};
