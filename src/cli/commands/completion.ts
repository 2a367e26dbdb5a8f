/** `mcp-proxy completion [bash|zsh|fish|powershell]`: prints the shell's completion script. */
import { completionScript, SHELLS, type Shell, shellFromEnv } from '../completion.js';
import type { CommandSpec } from '../types.js';

export const completionCommand: CommandSpec<{ shell?: Shell }> = {
  command: 'completion [shell]',
  describe: 'Print a shell completion script (bash, zsh, fish or powershell; default from $SHELL)',
  builder: (y) =>
    y
      .positional('shell', { choices: SHELLS, describe: 'Which shell (default: from $SHELL, else bash)' })
      .example('$0 completion bash >> ~/.bashrc', '')
      .example('$0 completion fish > ~/.config/fish/completions/mcp-proxy.fish', '')
      .example('$0 completion powershell >> $PROFILE', ''),
  async handler(args, ctx) {
    ctx.stdout.write(completionScript(args.shell ?? shellFromEnv(ctx.env)));
    return 0;
  },
};
