import type { Command } from 'commander';
import { UsageError } from '../../core/errors.ts';
import {
  compilePolicy,
  formatProblems,
  loadPolicy,
  resolvePolicySource,
  type Decision,
  type Policy,
  type Problem,
} from '../../core/policy/index.ts';
import { parseFormat } from '../output.ts';

/** `openshell policy …`: the command group, plus the headless subcommands that need no sandbox. */
export function registerPolicyCommands(program: Command): Command {
  const policy = program.command('policy').alias('pol').description('Validate, explain and manage sandbox policies');
  registerValidateCommand(policy);
  registerExplainCommand(policy);
  return policy;
}

const write = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

async function load(source: string): Promise<{ file: string; result: ReturnType<typeof loadPolicy> }> {
  const src = await resolvePolicySource(source);
  return { file: src.preset ? `preset ${src.preset}` : source, result: loadPolicy(src.text, src.preset ? src.path : source) };
}

function summary(policy: Policy): string {
  const rules = Object.values(policy.network_policies ?? {});
  const endpoints = rules.reduce((n, r) => n + r.endpoints.length, 0);
  const off = rules.filter((r) => r.enabled === false).length;
  return `${rules.length} network rule${rules.length === 1 ? '' : 's'}, ${endpoints} endpoint${endpoints === 1 ? '' : 's'}${off ? `, ${off} turned off` : ''}`;
}

export function registerValidateCommand(policy: Command): void {
  policy
    .command('validate')
    .description('Check a policy file (or preset name) and list every problem with its line and column; exit 1 on any error')
    .argument('<file>', 'policy YAML file, or a preset name such as `default` or `npm`')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (source: string, opts: { output: string }) => {
      const format = parseFormat(opts.output);
      const { file, result } = await load(source);
      const problems: readonly Problem[] = result.ok ? result.warnings : result.problems;
      if (format === 'json') write(JSON.stringify({ file, valid: result.ok, problems }, null, 2));
      else {
        if (problems.length > 0) write(formatProblems(problems));
        if (result.ok) write(`${file}: valid (${summary(result.policy)})`);
        else write(`${file}: ${problems.filter((p) => p.severity === 'error').length} error(s); the policy was not loaded`);
      }
      if (!result.ok) process.exitCode = 1;
    });
}

interface ExplainOptions {
  host: string;
  port: string;
  binary: string;
  ancestor: string[];
  method?: string;
  path?: string;
  output: string;
}

function nextStep(d: Decision): string | null {
  if (d.action === 'allow') return d.inspect ? 'requests on this endpoint are inspected: add --method and --path to decide one' : null;
  const m = d.ruleMissing;
  if (!m) return null;
  if (m.type === 'l4_allow') return `to allow exactly this: openshell policy update --add-endpoint ${m.host}:${m.port} --binary ${m.binary}`;
  return `to allow exactly this: openshell policy update --add-allow ${m.host}:${m.port}:${m.method}:${m.path} --binary ${m.binary}`;
}

export function registerExplainCommand(policy: Command): void {
  policy
    .command('explain')
    .description('Decide one connection (and optionally one HTTP request) against a policy file, and say why')
    .argument('<file>', 'policy YAML file, or a preset name')
    .requiredOption('--host <host>', 'destination host name or IP')
    .requiredOption('--port <port>', 'destination port')
    .requiredOption('--binary <path>', 'absolute path of the calling executable')
    .option('--ancestor <path>', 'an ancestor process executable (repeat, nearest first)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--method <method>', 'HTTP method, for an L7 decision (needs --path)')
    .option('--path <path>', 'HTTP request path with optional ?query, for an L7 decision')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (source: string, opts: ExplainOptions) => {
      const format = parseFormat(opts.output);
      const port = Number(opts.port);
      if (!/^\d+$/.test(opts.port) || port < 1 || port > 65535) throw new UsageError(`--port ${opts.port} is not a port number`, 'use 1–65535');
      if ((opts.method === undefined) !== (opts.path === undefined)) throw new UsageError('--method and --path go together');
      const { result } = await load(source);
      if (!result.ok) {
        process.stderr.write(formatProblems(result.problems) + '\n');
        process.exitCode = 1;
        return;
      }
      const compiled = compilePolicy(result.policy);
      const l4 = { host: opts.host, port, binary: opts.binary, ancestors: opts.ancestor };
      const decision =
        opts.method !== undefined && opts.path !== undefined
          ? compiled.decideL7({ ...l4, method: opts.method, path: opts.path })
          : compiled.decideL4(l4);
      if (format === 'json') {
        write(JSON.stringify(decision, null, 2));
        return;
      }
      const audit = decision.action === 'deny' && decision.enforcement === 'audit' ? ' (audit: logged, not blocked)' : '';
      write(`${decision.action.toUpperCase()} at ${decision.layer.toUpperCase()}${decision.rule ? ` by rule \`${decision.rule}\`` : ''}${audit}`);
      write(decision.reason);
      const hint = nextStep(decision);
      if (hint) write(hint);
    });
}
