/**
 * Shell completion. Every script asks the CLI itself (`mcp-proxy --get-yargs-completions WORDS...`, which
 * yargs answers from the command definitions); `completeValue` adds what yargs cannot know: client names
 * after `--client` and `import --from` (where a file name is also allowed).
 */
import { CLIENTS } from '../generate/clients.js';

export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;
export type Shell = (typeof SHELLS)[number];

/** Client names for the value being typed after --client / --from; undefined: not such a value. */
export function completeValue(current: string, argv: Record<string, unknown>): string[] | undefined {
  for (const option of ['client', 'from']) {
    const v = argv[option];
    if (typeof v === 'string' && v === current) return CLIENTS.filter((c) => c.startsWith(current));
  }
  return undefined;
}

/** The shell named by $SHELL (bash when unknown; PowerShell sets no $SHELL, so it must be named). */
export function shellFromEnv(env: NodeJS.ProcessEnv): Shell {
  const s = env.SHELL ?? '';
  if (s.includes('zsh')) return 'zsh';
  if (s.includes('fish')) return 'fish';
  return 'bash';
}

export function completionScript(shell: Shell, name = 'mcp-proxy'): string {
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}_completions`;
  switch (shell) {
    case 'bash':
      return `###-begin-${name}-completions-###
# Installation: ${name} completion bash >> ~/.bashrc
${fn}() {
  local cur_word type_list
  cur_word="\${COMP_WORDS[COMP_CWORD]}"
  mapfile -t type_list < <(${name} --get-yargs-completions "\${COMP_WORDS[@]:0:COMP_CWORD+1}" 2>/dev/null)
  mapfile -t COMPREPLY < <(compgen -W "\${type_list[*]}" -- "\${cur_word}")
  return 0
}
# -o default: file names when nothing matches (import --from FILE).
complete -o bashdefault -o default -F ${fn} ${name}
###-end-${name}-completions-###
`;
    case 'zsh':
      return `#compdef ${name}
###-begin-${name}-completions-###
# Installation: ${name} completion zsh >> ~/.zshrc
${fn}() {
  local reply
  local si=$IFS
  IFS=$'\\n' reply=($(${name} --get-yargs-completions "\${words[@]:0:$CURRENT}" 2>/dev/null))
  IFS=$si
  if [[ \${#reply} -gt 0 ]]; then
    _describe 'values' reply
  else
    _files
  fi
}
compdef ${fn} ${name}
###-end-${name}-completions-###
`;
    case 'fish':
      return `###-begin-${name}-completions-###
# Installation: ${name} completion fish > ~/.config/fish/completions/${name}.fish
function ${fn}
  set -l words (commandline -opc) (commandline -ct)
  ${name} --get-yargs-completions $words 2>/dev/null
end
complete -c ${name} -f -a '(${fn})'
# import --from also takes a file.
complete -c ${name} -l from -r -F
###-end-${name}-completions-###
`;
    case 'powershell':
      return `###-begin-${name}-completions-###
# Installation: ${name} completion powershell >> $PROFILE
Register-ArgumentCompleter -Native -CommandName '${name}' -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $words = @($commandAst.CommandElements | Where-Object { $_.Extent.EndOffset -le $cursorPosition } | ForEach-Object { $_.ToString() })
  if ($wordToComplete -eq '') { $words += '' }
  & '${name}' --get-yargs-completions @words 2>$null | ForEach-Object {
    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
  }
}
###-end-${name}-completions-###
`;
  }
}
