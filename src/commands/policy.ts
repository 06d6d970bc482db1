import type { Command } from 'commander';
import { UsageError } from '../../core/errors.ts';
import {
  compilePolicy,
  formatProblems,
  loadPolicy,
  policyToYaml,
  resolvePolicySource,
  type Decision,
  type Policy,
  type Problem,
  type Revision,
} from '../../core/policy/index.ts';
import { applyUpdate, type UpdateRequest } from '../../core/gateway/policy-update.ts';
import type { Gateway, PolicySetResult } from '../../core/gateway/types.ts';
import { openGateway } from '../connect.ts';
import { parseFormat, printData } from '../output.ts';

/** `openshell policy …`: the command group, plus the headless subcommands that need no sandbox. */
export function registerPolicyCommands(program: Command): Command {
  const policy = program.command('policy').alias('pol').description('Validate, explain and manage sandbox policies');
  registerValidateCommand(policy);
  registerExplainCommand(policy);
  registerRevisionCommands(policy);
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

const collect = (v: string, acc: string[]): string[] => [...acc, v];
const author = (): string => process.env.USER ?? 'cli';
const shortHash = (h: string): string => h.replace(/^sha256:/, '').slice(0, 12);

/** `--timeout S` → ms; upstream's default is 60 s. */
export function parseTimeout(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n <= 0) throw new UsageError(`invalid --timeout \`${value}\``, 'use a number of seconds, e.g. 60');
  return n * 1000;
}

/** Says what happened to a change and sets upstream's exit code: --wait gives 0 loaded, 1 failed, 124 timeout. */
export function reportOutcome(result: PolicySetResult, wait: boolean): { text: string; exitCode: number } {
  if (!result.ok) return { text: `${formatProblems(result.problems)}\nthe policy was not stored; the current revision stays`, exitCode: 1 };
  const r = result.revision;
  if (!result.changed) return { text: `no change: identical to revision ${r.version} (${shortHash(r.hash)}); no new revision`, exitCode: 0 };
  const stored = `revision ${r.version} stored (${shortHash(r.hash)})`;
  if (!wait) return { text: `${stored}; the supervisor loads it within seconds`, exitCode: 0 };
  if (r.status === 'loaded') return { text: `${stored} and loaded`, exitCode: 0 };
  if (r.status === 'superseded') return { text: `${stored}; a newer revision was loaded over it`, exitCode: 0 };
  if (r.status === 'failed') return { text: `${stored} but the supervisor failed to load it: ${r.error ?? 'unknown error'}`, exitCode: 1 };
  return { text: `${stored}; the supervisor has not reported loading it yet (timed out)`, exitCode: 124 };
}

function finish(result: PolicySetResult, wait: boolean): void {
  const { text, exitCode } = reportOutcome(result, wait);
  (exitCode === 0 ? process.stdout : process.stderr).write(text + '\n');
  process.exitCode = exitCode;
}

export function revisionTable(r: Revision): string {
  const head = [['Version', String(r.version)], ['Hash', r.hash], ['Status', r.status], ['Source', r.source], ['Created', r.createdAt]];
  if (r.error) head.push(['Error', r.error]);
  return `${head.map(([k, v]) => `${`${k}:`.padEnd(9)} ${v}`).join('\n')}\n---\n${policyToYaml(r.policy)}`;
}

const REVISION_COLUMNS = [
  { header: 'VERSION', value: (r: Revision) => String(r.version) },
  { header: 'HASH', value: (r: Revision) => shortHash(r.hash) },
  { header: 'STATUS', value: (r: Revision) => r.status },
  { header: 'SOURCE', value: (r: Revision) => r.source },
  { header: 'CREATED', value: (r: Revision) => r.createdAt },
];

interface WaitOpts { wait?: boolean; timeout: string }
const waitOpts = (o: WaitOpts) => ({ wait: o.wait ?? false, timeoutMs: parseTimeout(o.timeout) });

interface UpdateOpts extends WaitOpts {
  addEndpoint: string[];
  removeEndpoint: string[];
  addAllow: string[];
  addDeny: string[];
  removeRule: string[];
  binary: string[];
  ruleName?: string;
  dryRun?: boolean;
}

async function update(gw: Gateway, name: string, o: UpdateOpts): Promise<void> {
  if (o.dryRun && o.wait) throw new UsageError('--dry-run and --wait exclude each other');
  const req: UpdateRequest = { ...o, ...(o.ruleName === undefined ? {} : { ruleName: o.ruleName }) };
  const current = await gw.getPolicy(name);
  const { policy, diff } = applyUpdate(current.policy, req);
  write(diff.text);
  if (o.dryRun) return write(`(dry run: revision ${current.version} stays; nothing stored)`);
  finish(await gw.setPolicy(name, policyToYaml(policy), { author: author(), source: 'policy update', ...waitOpts(o) }), o.wait ?? false);
}

export function registerRevisionCommands(policy: Command): void {
  const withWait = (c: Command): Command =>
    c.option('--wait', 'wait until the supervisor reports the revision loaded (exit 0) or failed (exit 1); 124 on timeout').option('--timeout <seconds>', 'how long --wait waits', '60');

  withWait(policy.command('set').description("Store a policy file (or preset) as the sandbox's next revision; it reloads live"))
    .argument('<sandbox>')
    .argument('<file>', 'policy YAML file, or a preset name')
    .action(async (name: string, source: string, o: WaitOpts) => {
      const opts = waitOpts(o);
      const src = await resolvePolicySource(source);
      const file = src.preset ? `preset ${src.preset}` : source;
      finish(await openGateway().setPolicy(name, src.text, { author: author(), source: file, ...opts }), opts.wait);
    });

  policy
    .command('get')
    .description('Show a revision of a sandbox policy (default: the newest)')
    .argument('<sandbox>')
    .option('--rev <n>', 'revision number')
    .option('-o, --output <format>', 'table | yaml | json', 'table')
    .action(async (name: string, o: { rev?: string; output: string }) => {
      const format = parseFormat(o.output);
      if (o.rev !== undefined && !/^\d+$/.test(o.rev)) throw new UsageError(`invalid --rev \`${o.rev}\``, 'use a revision number from `policy list`');
      const r = await openGateway().getPolicy(name, o.rev === undefined || o.rev === '0' ? undefined : Number(o.rev));
      if (format === 'json') write(JSON.stringify(r, null, 2));
      else if (format === 'yaml') write(policyToYaml(r.policy));
      else write(revisionTable(r));
    });

  policy
    .command('list')
    .description('List the policy revisions of a sandbox, oldest first')
    .argument('<sandbox>')
    .option('-o, --output <format>', 'table | yaml | json', 'table')
    .action(async (name: string, o: { output: string }) => {
      const format = parseFormat(o.output);
      printData(await openGateway().listPolicyRevisions(name), format, REVISION_COLUMNS);
    });

  withWait(policy.command('rollback').description('Make a new revision equal to revision N'))
    .argument('<sandbox>')
    .argument('<n>', 'revision number to return to')
    .action(async (name: string, n: string, o: WaitOpts) => {
      if (!/^\d+$/.test(n)) throw new UsageError(`invalid revision \`${n}\``, 'use a number from `policy list`');
      const opts = waitOpts(o);
      finish(await openGateway().rollbackPolicy(name, Number(n), { author: author(), source: 'cli', ...opts }), opts.wait);
    });

  withWait(policy.command('update').description('Change network rules in place with flags; one command makes one revision and prints the diff'))
    .argument('<sandbox>')
    .option('--add-endpoint <spec>', 'host:port[:access[:protocol[:enforcement[:opts]]]] (repeatable; needs --binary for a new rule)', collect, [])
    .option('--remove-endpoint <host:port>', 'remove an endpoint from every rule (repeatable)', collect, [])
    .option('--add-allow <spec>', 'host:port:METHOD:path-glob allow rule on an inspected endpoint (repeatable)', collect, [])
    .option('--add-deny <spec>', 'host:port:METHOD:path-glob deny rule on an inspected endpoint (repeatable)', collect, [])
    .option('--remove-rule <name>', 'remove a whole network rule (repeatable)', collect, [])
    .option('--binary <path>', 'executable allowed by --add-endpoint (repeatable)', collect, [])
    .option('--rule-name <name>', 'rule to change (default for endpoints: allow_<host>_<port>)')
    .option('--dry-run', 'print the diff without storing anything')
    .action(async (name: string, o: UpdateOpts) => update(openGateway(), name, o));
}
