import type { Argv } from 'yargs';
import type { ServerSummary } from '../../config/analyze.js';
import type { ValidationReport } from '../../config/load.js';
import type { ConfigProblem } from '../../config/problems.js';
import { isAppError } from '../../errors.js';
import { type CredentialArgs, configOption, credentialChainFor, credentialOptions } from '../credentialOptions.js';
import type { CommandSpec } from '../types.js';

interface ValidateArgs extends CredentialArgs {
  config?: string;
  json?: boolean;
  allowMissing?: boolean;
}

function serverLines(servers: ServerSummary[]): string[] {
  const nameWidth = Math.max(4, ...servers.map((s) => s.name.length));
  const typeWidth = Math.max(5, ...servers.map((s) => s.type.length));
  return servers.map(
    (s) => `  ${s.name.padEnd(nameWidth)}  ${s.type.padEnd(typeWidth)}  ${s.target}${s.disabled ? '  (disabled)' : ''}`,
  );
}

function kindsSummary(servers: ServerSummary[]): string {
  const counts = new Map<string, number>();
  for (const s of servers) counts.set(s.type, (counts.get(s.type) ?? 0) + 1);
  const disabled = servers.filter((s) => s.disabled).length;
  const kinds = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
  return `${servers.length} server${servers.length === 1 ? '' : 's'}${kinds ? ` (${kinds})` : ''}${disabled ? `, ${disabled} disabled` : ''}`;
}

export const validateCommand: CommandSpec<ValidateArgs> = {
  command: 'validate',
  describe: 'Check a config file: every problem with its JSON path, line:column and a fix (exit 0 valid, 2 invalid)',
  builder: (y: Argv) =>
    credentialOptions(
      configOption(y)
        .option('json', {
          type: 'boolean',
          describe: 'Machine-readable report on stdout: {valid, path, problems, servers}',
        })
        .option('allow-missing', {
          type: 'boolean',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: config syntax, not a template
          describe: 'Report unset ${VAR}s as warnings (check the shape of a config without its secrets, e.g. in CI)',
        })
        .example('$0 validate', 'check the config run would use')
        .example('$0 validate --config proxy.yaml --json', 'machine-readable report'),
    ),
  async handler(args, ctx) {
    const [{ validateConfigFile }, { displayFile, formatProblem }] = await Promise.all([
      import('../../config/load.js'),
      import('../../config/problems.js'),
    ]);
    const out = (text: string) => ctx.stdout.write(`${ctx.redactor.redact(text)}\n`);

    let report: ValidationReport;
    try {
      const chain = credentialChainFor(args, ctx);
      report = await validateConfigFile({
        path: args.config,
        env: ctx.env,
        cwd: ctx.cwd,
        homedir: ctx.homedir,
        platform: ctx.platform,
        lookup: (name) => chain.lookup(name),
        describeMissing: (name) => chain.describeMissing(name),
        allowMissingVariables: args.allowMissing,
      });
    } catch (e) {
      // No file, or one that cannot be read: in --json mode that is still a report.
      if (!args.json || !isAppError(e)) throw e;
      const problem: ConfigProblem = { severity: 'error', kind: 'file', path: '', message: e.message };
      const hint = [...e.details, ...(e.hint ? [e.hint] : [])].join('\n');
      if (hint) problem.hint = hint;
      out(JSON.stringify({ valid: false, path: args.config ?? null, problems: [problem], servers: [] }, null, 2));
      return e.exitCode;
    }

    if (args.json) {
      out(
        JSON.stringify(
          {
            valid: report.valid,
            path: report.path,
            source: report.source,
            format: report.format,
            problems: report.problems,
            servers: report.servers,
            variables: report.variables,
          },
          null,
          2,
        ),
      );
      return report.valid ? 0 : 2;
    }

    if (report.error?.code === 'CONFIG_MISSING_VARIABLES') {
      // validate reports on the config: 2 (invalid) as with --json, where `run` exits 3 (credentials).
      ctx.stderr.write(`${ctx.redactor.redact(report.error.format())}\n`);
      return 2;
    }
    if (report.error) throw report.error;
    const shown = displayFile(report.path, ctx.cwd);
    const lines = [
      `${shown}: valid ${report.format.toUpperCase()} config (found via ${sourceLabel(report.source)}), ${kindsSummary(report.servers)}`,
      ...serverLines(report.servers),
    ];
    const warnings = report.problems.filter((p) => p.severity === 'warning');
    if (warnings.length) {
      lines.push(`${warnings.length} warning${warnings.length === 1 ? '' : 's'}:`);
      const explained = new Set<string>();
      for (const w of warnings) {
        // How to set a variable is said once, at its first use.
        const repeat = w.variable !== undefined && explained.has(w.variable);
        if (w.variable) explained.add(w.variable);
        lines.push(...formatProblem(repeat ? { ...w, hint: undefined } : w, shown).map((l) => `  ${l}`));
      }
    }
    out(lines.join('\n'));
    return 0;
  },
};

function sourceLabel(source: ValidationReport['source']): string {
  switch (source) {
    case 'flag':
      return '--config';
    case 'env':
      return '$MCP_PROXY_CONFIG';
    case 'cwd':
      return 'the current directory';
    default:
      return 'the user config directory';
  }
}
