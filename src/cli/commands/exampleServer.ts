import type { CommandSpec } from '../types.js';

/** Hidden: the embedded example server, started by `run` as a child of our own executable. */
export const exampleServerCommand: CommandSpec = {
  command: '__example-server',
  describe: false,
  async handler() {
    const { runExampleServer } = await import('../../example/server.js');
    await runExampleServer();
    return 0;
  },
};
