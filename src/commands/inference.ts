import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { PolicyError, UsageError } from '../../core/errors.ts';
import { formatExplanation } from '../../core/inference/explain.ts';
import { loadPrivacyPolicy } from '../../core/inference/privacy-policy.ts';
import type { ApiKind } from '../../core/inference/route.ts';
import { effectiveConfig, PROTOCOLS, TIERS, type Backend, type Protocol, type Route, type Tier } from '../../core/inference/types.ts';
import type { InferenceChange, InferenceView } from '../../core/gateway/inference-config.ts';
import { formatProblems } from '../../core/policy/problems.ts';
import { openGateway } from '../connect.ts';
import { parseFormat, printData, type Column } from '../output.ts';

const collect = (v: string, acc: string[]): string[] => [...acc, v];
const OUTPUT = ['-o, --output <format>', 'table | json | yaml', 'table'] as const;
const SANDBOX = ['--sandbox <name>', 'only for this sandbox (an override of the gateway-wide setting)'] as const;
const scope = (o: { sandbox?: string }): { sandbox?: string } => (o.sandbox === undefined ? {} : { sandbox: o.sandbox });
const forWhom = (o: { sandbox?: string }): string => (o.sandbox === undefined ? '' : ` for sandbox ${o.sandbox}`);

const BACKEND_COLUMNS: readonly Column<Backend>[] = [
  { header: 'NAME', value: (b) => b.name },
  { header: 'PROTOCOL', value: (b) => b.protocol },
  { header: 'PRIVACY', value: (b) => b.privacy },
  { header: 'IN $/M', value: (b) => String(b.priceIn) },
  { header: 'OUT $/M', value: (b) => String(b.priceOut) },
  { header: 'PROVIDER', value: (b) => b.provider ?? '-' },
  { header: 'MODELS', value: (b) => Object.entries(b.modelMap ?? {}).map(([a, m]) => `${a}=${m}`).join(',') || '-' },
  { header: 'URL', value: (b) => b.url },
];
const ROUTE_COLUMNS: readonly Column<Route>[] = [
  { header: 'ALIAS', value: (r) => r.alias },
  { header: 'BACKENDS', value: (r) => r.backends.join(', ') },
];

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`invalid ${flag} \`${value}\``, `use one of: ${allowed.join(', ')}`);
}

function nonNegative(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`invalid ${flag} \`${value}\``, 'a non-negative number, e.g. 0.15');
  return n;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`invalid ${flag} \`${value}\``, 'a positive whole number');
  return n;
}

/** `alias=model` pairs; `*=model` maps every alias not listed. */
export function parseModelMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0 || i === v.length - 1) throw new UsageError(`invalid --model-map \`${v}\``, 'use alias=model, e.g. --model-map fast=gpt-4o-mini (or *=model for every alias)');
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

/** Which API a request file is for, from its shape, when --api is not given. */
export function guessApi(body: Record<string, unknown>): ApiKind {
  if (typeof body.prompt === 'string' || Array.isArray(body.prompt)) return 'completions';
  if (body.input !== undefined && body.messages === undefined) return 'embeddings';
  // Only the Anthropic API has a top-level system prompt or stop_sequences.
  if (body.system !== undefined || body.stop_sequences !== undefined) return 'messages';
  return 'chat';
}

function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`${file} is not a JSON request body: ${(err as Error).message}`);
  }
}

function reportDelivery(view: InferenceView): void {
  const n = view.delivered?.length ?? 0;
  process.stderr.write(`delivered to ${n} sandbox${n === 1 ? '' : 'es'}\n`);
  for (const u of view.undelivered ?? []) process.stderr.write(`warning: not delivered to ${u.sandbox}: ${u.error}\n`);
}

async function change(c: InferenceChange, what: string): Promise<InferenceView> {
  const view = await openGateway().updateInference(c);
  process.stderr.write(`${what}\n`);
  reportDelivery(view);
  return view;
}

interface AddOpts {
  protocol: string;
  url: string;
  privacy: string;
  priceIn: string;
  priceOut: string;
  provider?: string;
  modelMap: string[];
  timeout?: string;
  maxInputTokens?: string;
  replace?: boolean;
  output: string;
}

export function registerInferenceCommands(program: Command): void {
  const inference = program.command('inference').description('The privacy router at https://inference.local: backends, routes, privacy policy, budget');

  const backend = inference.command('backend').description('Model servers the router may send requests to');
  backend
    .command('add')
    .description('Add (or with --replace, change) a backend; operator-trusted: the agent cannot change its URL')
    .argument('<name>')
    .requiredOption('--protocol <protocol>', PROTOCOLS.join(' | '))
    .requiredOption('--url <url>', 'base URL with the API version, e.g. https://api.openai.com/v1 or http://172.17.0.1:11434/v1')
    .requiredOption('--privacy <tier>', 'local (on the sandbox host) | private (contracted) | public')
    .requiredOption('--price-in <usd>', 'USD per million input tokens')
    .requiredOption('--price-out <usd>', 'USD per million output tokens')
    .option('--provider <name>', 'provider whose credential the router injects (see `openshell provider create`)')
    .option('--model-map <alias=model>', 'model name this backend uses for an alias (repeatable; *=model for all)', collect, [])
    .option('--timeout <seconds>', 'time to the response head before falling back (default 60)')
    .option('--max-input-tokens <n>', 'skip this backend for larger requests')
    .option('--replace', 'overwrite a backend of the same name')
    .option(...OUTPUT)
    .action(async (name: string, o: AddOpts) => {
      const format = parseFormat(o.output);
      const b: Backend = {
        name,
        protocol: oneOf<Protocol>('--protocol', o.protocol, PROTOCOLS),
        url: o.url,
        privacy: oneOf<Tier>('--privacy', o.privacy, TIERS),
        priceIn: nonNegative('--price-in', o.priceIn),
        priceOut: nonNegative('--price-out', o.priceOut),
        ...(o.provider === undefined ? {} : { provider: o.provider }),
        ...(o.modelMap.length > 0 ? { modelMap: parseModelMap(o.modelMap) } : {}),
        ...(o.timeout === undefined ? {} : { timeoutMs: Math.round(nonNegative('--timeout', o.timeout) * 1000) || 1 }),
        ...(o.maxInputTokens === undefined ? {} : { maxInputTokens: positiveInt('--max-input-tokens', o.maxInputTokens) }),
      };
      const view = await change({ op: 'add-backend', backend: b, ...(o.replace ? { replace: true } : {}) }, `backend ${name} ${o.replace ? 'saved' : 'added'}`);
      const saved = view.config.backends.find((x) => x.name === name)!;
      printData(saved, format, BACKEND_COLUMNS);
    });
  backend
    .command('list')
    .alias('ls')
    .description('List backends with their privacy tier and prices')
    .option(...OUTPUT)
    .action(async (o: { output: string }) => printData([...(await openGateway().getInference()).config.backends], parseFormat(o.output), BACKEND_COLUMNS));
  backend
    .command('remove')
    .alias('rm')
    .description('Remove a backend (no route may still name it)')
    .argument('<name>')
    .action(async (name: string) => void (await change({ op: 'remove-backend', name }, `backend ${name} removed`)));

  const route = inference.command('route').description('Model aliases (the `model` an agent sends) and their candidate backends');
  route
    .command('set')
    .description('Point an alias (e.g. fast, smart, or * for any model) at candidate backends; the cheapest eligible one serves')
    .argument('<alias>')
    .argument('<backends...>')
    .option(...SANDBOX)
    .action(async (alias: string, backends: string[], o: { sandbox?: string }) => void (await change({ op: 'set-route', alias, backends, ...scope(o) }, `route ${alias} → ${backends.join(', ')}${forWhom(o)}`)));
  route
    .command('list')
    .alias('ls')
    .description('List routes')
    .option(...OUTPUT)
    .action(async (o: { output: string }) => printData([...(await openGateway().getInference()).config.routes], parseFormat(o.output), ROUTE_COLUMNS));
  route
    .command('remove')
    .alias('rm')
    .argument('<alias>')
    .option(...SANDBOX)
    .description('Remove a route')
    .action(async (alias: string, o: { sandbox?: string }) => void (await change({ op: 'remove-route', alias, ...scope(o) }, `route ${alias} removed${forWhom(o)}`)));

  const policy = inference.command('policy').description('Privacy rules: which findings need which tier, are redacted, or deny the request');
  policy
    .command('set')
    .description('Validate a privacy policy file (YAML or JSON) and deliver it to every sandbox')
    .argument('<file>')
    .option(...SANDBOX)
    .action(async (file: string, o: { sandbox?: string }) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
      // Checked here first, so the problems point into the user's own file.
      const loaded = loadPrivacyPolicy(text, file);
      if (!loaded.ok) {
        process.stderr.write(formatProblems(loaded.problems) + '\n');
        throw new PolicyError(`${file}: the privacy policy was not set`);
      }
      if (loaded.warnings.length > 0) process.stderr.write(formatProblems(loaded.warnings) + '\n');
      await change({ op: 'set-policy', text, source: file, ...scope(o) }, `privacy policy set from ${file}${forWhom(o)}`);
    });
  policy
    .command('get')
    .description('Print the privacy policy in force (the built-in default when none was set)')
    .option(...SANDBOX)
    .action(async (o: { sandbox?: string }) => {
      const text = effectiveConfig((await openGateway().getInference()).config, o.sandbox).policy;
      process.stdout.write(text ?? '# default: anything that looks like a secret stays on a local backend\nversion: 1\nrules:\n  - { match: secret, tier: local }\n');
    });
  policy
    .command('clear')
    .description('Go back to the default policy (secrets stay local), or for one sandbox to the gateway-wide one')
    .option(...SANDBOX)
    .action(async (o: { sandbox?: string }) => void (await change({ op: 'clear-policy', ...scope(o) }, `privacy policy cleared${forWhom(o)}`)));

  const budget = inference.command('budget').description('Spend limit per sandbox');
  budget
    .command('set')
    .description('Limit each sandbox to USD of estimated spend; then only local backends serve, or requests get 429')
    .argument('<usd>')
    .option('--when-exhausted <what>', 'local | deny', 'local')
    .option(...SANDBOX)
    .action(async (usd: string, o: { whenExhausted: string; sandbox?: string }) => {
      const b = { limitUsd: nonNegative('budget', usd), whenExhausted: oneOf('--when-exhausted', o.whenExhausted, ['local', 'deny'] as const) };
      await change({ op: 'set-budget', budget: b, ...scope(o) }, `budget set to $${b.limitUsd}${o.sandbox === undefined ? ' per sandbox' : forWhom(o)} (then ${b.whenExhausted === 'local' ? 'local backends only' : '429'})`);
    });
  budget
    .command('clear')
    .description('Remove the spend limit (with --sandbox: that sandbox has none, whatever the gateway-wide one)')
    .option(...SANDBOX)
    .action(async (o: { sandbox?: string }) => void (await change({ op: 'set-budget', budget: null, ...scope(o) }, `budget removed${forWhom(o)}`)));

  inference
    .command('reset')
    .description("Drop a sandbox's overrides: it follows the gateway-wide routes, policy and budget again")
    .argument('<sandbox>')
    .action(async (sandbox: string) => void (await change({ op: 'clear-overrides', sandbox }, `overrides of sandbox ${sandbox} removed`)));

  inference
    .command('show')
    .description('The whole configuration (provider names only, never credentials); with --sandbox what that sandbox runs with')
    .option('-o, --output <format>', 'json | yaml', 'yaml')
    .option(...SANDBOX)
    .action(async (o: { output: string; sandbox?: string }) => {
      const format = parseFormat(o.output);
      const { config } = await openGateway().getInference();
      printData(o.sandbox === undefined ? config : effectiveConfig(config, o.sandbox), format === 'table' ? 'yaml' : format, []);
    });

  inference
    .command('explain')
    .description('Which backend would serve a request and why (findings, tiers, costs), without sending it')
    .requiredOption('-f, --file <request.json>', 'a request body as an agent would send it')
    .option('--api <api>', 'chat | messages | completions | embeddings (default: guessed from the body)')
    .option('--sandbox <name>', "with this sandbox's overrides")
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .action(async (o: { file: string; api?: string; output: string; sandbox?: string }) => {
      const format = parseFormat(o.output);
      const body = readJsonFile(o.file);
      const api = o.api === undefined ? guessApi(body) : oneOf<ApiKind>('--api', o.api, ['chat', 'messages', 'completions', 'embeddings']);
      const e = await openGateway().explainInference(api, body, o.sandbox);
      if (format === 'table') process.stdout.write(formatExplanation(e) + '\n');
      else printData(e, format, []);
    });
}
