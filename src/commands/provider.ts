import type { Command } from 'commander';
import { UsageError } from '../../core/errors.ts';
import { PROVIDER_TYPES, DEFAULT_HOSTS, type ProviderInput, type ProviderType, type ProviderView } from '../../core/gateway/providers.ts';
import type { ProviderDelivery } from '../../core/gateway/providers-deliver.ts';
import { openGateway } from '../connect.ts';
import { parseFormat, printData, type Column } from '../output.ts';
import { age } from './sandbox-columns.ts';

const collect = (v: string, acc: string[]): string[] => [...acc, v];

const COLUMNS: readonly Column<ProviderView>[] = [
  { header: 'NAME', value: (p) => p.name },
  { header: 'TYPE', value: (p) => p.type },
  { header: 'KEYS', value: (p) => p.keys.join(',') },
  { header: 'HOSTS', value: (p) => p.hosts.join(',') },
  { header: 'AGE', value: (p) => age(p.updatedAt) },
];

/**
 * `--credential KEY=VALUE` or a bare `KEY` read from this process's environment (so the value need not
 * appear in the shell history). Values are never echoed, not even in errors.
 */
export function parseCredentials(values: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    const key = i < 0 ? v : v.slice(0, i);
    const value = i < 0 ? env[key] : v.slice(i + 1);
    if (key === '') throw new UsageError('invalid --credential: the key is empty', 'use --credential KEY or --credential KEY=VALUE');
    if (value === undefined) throw new UsageError(`--credential ${key}: ${key} is not set in your environment`, `export ${key} first, or pass --credential ${key}=VALUE`);
    if (key in out) throw new UsageError(`--credential ${key} is given twice`);
    out[key] = value;
  }
  return out;
}

function parseType(value: string): ProviderType {
  if ((PROVIDER_TYPES as readonly string[]).includes(value)) return value as ProviderType;
  throw new UsageError(`unknown provider type \`${value}\``, `use one of: ${PROVIDER_TYPES.join(', ')}`);
}

/** The detail view: every field but the values, which show as fingerprints. */
function detail(p: ProviderView): string {
  const keyWidth = Math.max(...p.keys.map((k) => k.length));
  return [
    `name:     ${p.name}`,
    `type:     ${p.type}`,
    `hosts:    ${p.hosts.join(', ')}`,
    `created:  ${p.createdAt}`,
    `updated:  ${p.updatedAt}`,
    'credentials:',
    ...p.keys.map((k) => `  ${k.padEnd(keyWidth)}  ${p.fingerprints[k] ?? ''}`),
  ].join('\n');
}

export function registerProviderCommands(program: Command): void {
  const provider = program.command('provider').description('Store credentials that sandboxes use through placeholders, never seeing the secret');
  const defaults = PROVIDER_TYPES.map((t) => `${t}: ${DEFAULT_HOSTS[t].join(', ') || 'needs --host'}`).join('; ');

  provider
    .command('create')
    .description('Store a named credential bundle on the gateway (values are never printed)')
    .argument('<name>')
    .requiredOption('--type <type>', PROVIDER_TYPES.join(' | '))
    .option('--credential <KEY[=VALUE]>', 'credential (repeatable); a bare KEY reads your environment', collect, [])
    .option('--host <host[:port]>', `host the credentials may be sent to (repeatable; replaces the type's defaults — ${defaults})`, collect, [])
    .option('--replace', 'overwrite a provider of the same name')
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .addHelpText(
      'after',
      [
        '',
        'A sandbox created with `--provider NAME` sees KEY=OPENSHELL_PLACEHOLDER_KEY_… instead of each value.',
        "Its supervisor swaps the placeholder for the value in header values (Basic credentials included) and",
        "query values of HTTPS requests to the provider's hosts, once the policy allowed the request; a",
        'placeholder sent anywhere else is refused with 403. Request bodies are not rewritten.',
        '',
        'Example:',
        '  export GITHUB_TOKEN=…   # then',
        '  openshell provider create gh --type github --credential GITHUB_TOKEN',
        '  openshell sandbox create --provider gh',
      ].join('\n'),
    )
    .action(async (name: string, o: { type: string; credential: string[]; host: string[]; replace?: boolean; output: string }) => {
      const format = parseFormat(o.output);
      const input: ProviderInput = {
        name,
        type: parseType(o.type),
        credentials: parseCredentials(o.credential),
        ...(o.host.length > 0 ? { hosts: o.host } : {}),
        ...(o.replace ? { replace: true } : {}),
      };
      const view = await openGateway().createProvider(input);
      if (format === 'table') process.stdout.write(`${detail(view)}\n`);
      else printData(view, format, COLUMNS);
      if (view.sandboxes) reportDelivery(view.sandboxes, 'now use the new values');
    });

  provider
    .command('list')
    .alias('ls')
    .description('List providers with their credential keys and hosts')
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .action(async (o: { output: string }) => {
      printData(await openGateway().listProviders(), parseFormat(o.output), COLUMNS);
    });

  provider
    .command('get')
    .description('Show one provider: keys, hosts and a fingerprint of each value')
    .argument('<name>')
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .action(async (name: string, o: { output: string }) => {
      const format = parseFormat(o.output);
      const view = await openGateway().getProvider(name);
      if (format === 'table') process.stdout.write(`${detail(view)}\n`);
      else printData(view, format, COLUMNS);
    });

  provider
    .command('delete')
    .alias('rm')
    .description('Delete providers; sandboxes bound to one stop sending its values (their placeholders are refused)')
    .argument('<names...>')
    .action(async (names: string[]) => {
      const gateway = openGateway();
      for (const n of names) {
        const delivery = await gateway.deleteProvider(n);
        process.stderr.write(`deleted provider ${n}\n`);
        reportDelivery(delivery, 'no longer have its values');
      }
    });
}

/** Which sandboxes took a provider change; one that could not is a failure (exit 1): it may still hold old values. */
function reportDelivery(d: ProviderDelivery, done: string): void {
  if (d.updated.length > 0) process.stderr.write(`sandboxes that ${done}: ${d.updated.join(', ')}\n`);
  for (const m of d.missingKeys)
    process.stderr.write(`sandbox ${m.sandbox} has no placeholder for ${m.keys.join(', ')} (set when it was created): recreate it to use ${m.keys.length > 1 ? 'them' : 'it'}\n`);
  for (const f of d.failed) {
    const which = f.sandbox === '*' ? 'the sandboxes bound to it were' : `sandbox ${f.sandbox} was`;
    process.stderr.write(`error: ${which} not updated (${f.error}); they may still use the old values\n`);
  }
  if (d.failed.length > 0) process.exitCode = 1;
}
