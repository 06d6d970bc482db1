import type { Command } from 'commander';
import { openGateway, stderrProgress } from '../connect.ts';
import { parseFormat, printData } from '../output.ts';
import { parseCpu, parseMemory, parsePairs, parseSelector } from '../../core/gateway/spec.ts';
import type { SandboxSpec } from '../../core/gateway/types.ts';
import { PolicyError, UsageError } from '../../core/errors.ts';
import { formatProblems, loadPolicy, resolvePolicySource } from '../../core/policy/index.ts';
import { SANDBOX_COLUMNS } from './sandbox-columns.ts';
import { runExec, runConnect } from './sandbox-exec.ts';

const collect = (v: string, acc: string[]): string[] => [...acc, v];

interface CreateOpts {
  name?: string;
  image?: string;
  env: string[];
  label: string[];
  cpu?: string;
  memory?: string;
  workdir?: string;
  user?: string;
  policy: string;
  provider: string[];
  detach?: boolean;
  output: string;
}

function specFrom(o: CreateOpts): SandboxSpec {
  return {
    ...(o.name === undefined ? {} : { name: o.name }),
    ...(o.image === undefined ? {} : { image: o.image }),
    env: parsePairs(o.env, '--env'),
    labels: parsePairs(o.label, '--label'),
    ...(o.cpu === undefined ? {} : { cpu: parseCpu(o.cpu) }),
    ...(o.memory === undefined ? {} : { memory: parseMemory(o.memory) }),
    ...(o.workdir === undefined ? {} : { workdir: o.workdir }),
    ...(o.user === undefined ? {} : { user: o.user }),
    ...(o.provider.length > 0 ? { providers: o.provider } : {}),
  };
}

/** The --policy file or preset, checked here so a bad file is reported with positions and nothing is created. */
async function policyFrom(source: string): Promise<NonNullable<SandboxSpec['policy']>> {
  const src = await resolvePolicySource(source);
  const file = src.preset ? `preset ${src.preset}` : source;
  const loaded = loadPolicy(src.text, src.preset ? src.path : source);
  if (!loaded.ok) throw new PolicyError(`${formatProblems(loaded.problems)}\nthe policy is invalid; nothing was created`, { exitCode: 1 });
  return { text: src.text, source: file };
}

export function registerSandboxCommands(program: Command): void {
  const sb = program.command('sandbox').alias('sb').description('Create, inspect, use and delete sandboxes');

  sb.command('create')
    .description('Create a sandbox pod (supervisor + agent) and, unless --detach, attach to its main process')
    .argument('[cmd...]', "the agent's main process (after --; default: a login shell)")
    .option('--name <name>', 'sandbox name (default: two random words)')
    .option('--image <image>', 'agent image (default: the openshell sandbox image)')
    .option('--env <K=V>', 'environment variable for the agent (repeatable)', collect, [])
    .option('--label <K=V>', 'label for selection (repeatable)', collect, [])
    .option('--cpu <n>', 'CPU limit, e.g. 1.5')
    .option('--memory <size>', 'memory limit, e.g. 512m or 2g')
    .option('--workdir <path>', 'workspace folder (default: image WORKDIR or /sandbox)')
    .option('--user <uid[:gid]|name>', 'user the agent runs as (never root; default: the image user)')
    .option('--policy <file|preset>', 'policy YAML file or preset name (see `openshell policy validate`)', process.env.OPENSHELL_SANDBOX_POLICY ?? 'default')
    .option('--provider <name>', 'bind a provider: the agent sees placeholders for its credentials (repeatable)', collect, [])
    .option('-d, --detach', 'return once the sandbox is ready')
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .action(async (cmd: string[], o: CreateOpts) => {
      const format = parseFormat(o.output);
      const spec = { ...specFrom(o), command: cmd, policy: await policyFrom(o.policy) };
      const gateway = openGateway();
      // Without a terminal and without a command there is nothing to attach to: print the sandbox.
      const attach = !o.detach && (cmd.length > 0 || process.stdin.isTTY);
      const sandbox = await gateway.createSandbox(spec, { progress: stderrProgress, startAgent: !attach });
      if (!attach) {
        printData(sandbox, format, SANDBOX_COLUMNS);
        return;
      }
      process.exitCode = await runConnect(gateway, sandbox.name);
    });

  sb.command('list')
    .alias('ls')
    .description('List sandboxes with their phase')
    .option('--selector <k=v,...>', 'only sandboxes with all these labels')
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .action(async (o: { selector?: string; output: string }) => {
      const format = parseFormat(o.output);
      printData(await openGateway().listSandboxes(parseSelector(o.selector)), format, SANDBOX_COLUMNS);
    });

  sb.command('get')
    .description('Show one sandbox')
    .argument('<name>')
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .action(async (name: string, o: { output: string }) => {
      const format = parseFormat(o.output);
      printData(await openGateway().getSandbox(name), format, SANDBOX_COLUMNS);
    });

  sb.command('exec')
    .description('Run a command in a sandbox; stdin is piped, the exit code is the command’s (128+n on signal n)')
    .argument('<name>')
    .argument('<cmd...>', 'command and arguments (after --)')
    .option('-t, --tty', 'allocate a terminal')
    .option('--workdir <path>', 'working directory for the command')
    .option('--env <K=V>', 'extra environment variable (repeatable)', collect, [])
    .action(async (name: string, cmd: string[], o: { tty?: boolean; workdir?: string; env: string[] }) => {
      const env = parsePairs(o.env, '--env');
      process.exitCode = await runExec(openGateway(), name, cmd, {
        tty: o.tty ?? false,
        env,
        ...(o.workdir === undefined ? {} : { workdir: o.workdir }),
      });
    });

  sb.command('connect')
    .description("Attach this terminal to the sandbox's main process, a login shell by default (detach: Ctrl-P Ctrl-Q)")
    .argument('<name>')
    .action(async (name: string) => {
      process.exitCode = await runConnect(openGateway(), name);
    });

  sb.command('logs')
    .description('Show the output of the sandbox’s supervisor and agent')
    .argument('<name>')
    .option('-f, --follow', 'keep printing new lines')
    .option('--source <source>', 'agent | supervisor | all', 'all')
    .option('-n, --tail <lines>', 'only the last N lines of each source')
    .action(async (name: string, o: { follow?: boolean; source: string; tail?: string }) => {
      if (!['agent', 'supervisor', 'all'].includes(o.source)) {
        throw new UsageError(`unknown --source \`${o.source}\``, 'use agent, supervisor or all');
      }
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      await openGateway().logs(name, {
        follow: o.follow ?? false,
        source: o.source as 'agent' | 'supervisor' | 'all',
        ...(o.tail === undefined ? {} : { tail: Number(o.tail) }),
        stdout: process.stdout,
        signal: abort.signal,
      });
    });

  sb.command('upload')
    .description('Copy a local file or folder into the sandbox (default destination: the workspace)')
    .argument('<name>')
    .argument('<local>')
    .argument('[dest]', 'folder in the sandbox')
    .action(async (name: string, local: string, dest?: string) => {
      await openGateway().upload(name, local, dest);
    });

  sb.command('download')
    .description('Copy a file or folder out of the sandbox into a local folder (default: the current one)')
    .argument('<name>')
    .argument('<path>', 'path in the sandbox')
    .argument('[dest]', 'local folder', '.')
    .action(async (name: string, path: string, dest: string) => {
      await openGateway().download(name, path, dest);
    });

  sb.command('stop')
    .description('Stop a sandbox, keeping its workspace and state')
    .argument('<name>')
    .action(async (name: string) => {
      const s = await openGateway().stopSandbox(name);
      process.stderr.write(`sandbox ${s.name} is ${s.phase}\n`);
    });

  sb.command('start')
    .description('Start a stopped or failed sandbox: supervisor first, then the agent')
    .argument('<name>')
    .action(async (name: string) => {
      const s = await openGateway().startSandbox(name);
      process.stderr.write(`sandbox ${s.name} is ${s.phase}\n`);
    });

  sb.command('delete')
    .alias('rm')
    .description('Delete sandboxes with their workspaces')
    .argument('[names...]')
    .option('--all', 'delete every sandbox')
    .action(async (names: string[], o: { all?: boolean }) => {
      const gateway = openGateway();
      if (o.all) names = (await gateway.listSandboxes()).map((s) => s.name);
      else if (names.length === 0) throw new UsageError('name at least one sandbox, or pass --all');
      for (const n of names) await gateway.getSandbox(n);
      for (const n of names) {
        await gateway.deleteSandbox(n);
        process.stderr.write(`deleted ${n}\n`);
      }
    });
}
