import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../core/errors.ts';
import { defaultServeStateDir, tokenStoreFor } from '../../core/gateway/http/auth.ts';
import type { TokenRecord } from '../../core/gateway/http/tokens.ts';
import { parseFormat, printData } from '../output.ts';

type Listed = Omit<TokenRecord, 'hash'> & { readonly state: 'active' | 'expired' | 'revoked' };

const stateOf = (r: TokenRecord, now: number): Listed['state'] =>
  r.revokedAt !== undefined ? 'revoked' : Date.parse(r.expiresAt) <= now ? 'expired' : 'active';

const COLUMNS = [
  { header: 'ID', value: (t: Listed) => t.id },
  { header: 'SUBJECT', value: (t: Listed) => t.subject },
  { header: 'STATE', value: (t: Listed) => t.state },
  { header: 'CREATED', value: (t: Listed) => t.createdAt.slice(0, 16).replace('T', ' ') },
  { header: 'LAST USED', value: (t: Listed) => t.lastUsedAt?.slice(0, 16).replace('T', ' ') ?? '-' },
  { header: 'EXPIRES', value: (t: Listed) => t.expiresAt.slice(0, 10) },
];

/** The serve state dir, which must already hold an auth folder (a typo must not create an empty store). */
function stateDir(flag: string | undefined): string {
  const dir = resolve(flag ?? defaultServeStateDir());
  if (!existsSync(join(dir, 'auth'))) {
    throw new ConfigError(`no served-gateway state in ${dir}`, { exitCode: 2, hint: 'pass the --state-dir that `openshell gateway serve` uses' });
  }
  return dir;
}

/** `gateway tokens list|revoke`: the operator's view of issued tokens, acting on the serve state dir directly. */
export function registerGatewayTokenCommands(gw: Command): void {
  const tokens = gw.command('tokens').description('Tokens a served gateway has issued (run where `gateway serve` runs)');

  tokens
    .command('list')
    .description('Issued tokens: who holds them, when they were last used, and whether they still work (never the tokens)')
    .option('--state-dir <dir>', 'the state directory of `gateway serve`', undefined)
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .action((o: { stateDir?: string; output: string }) => {
      const format = parseFormat(o.output);
      const now = Date.now();
      const rows = tokenStoreFor(stateDir(o.stateDir)).list().map(({ hash: _hash, ...r }) => ({ ...r, state: stateOf({ hash: '', ...r }, now) }));
      printData(rows, format, COLUMNS);
    });

  tokens
    .command('revoke')
    .argument('<id>', 'a token id from `gateway tokens list` (a unique prefix of 4+ characters works)')
    .description('Revoke a token: its next request is refused with 401')
    .option('--state-dir <dir>', 'the state directory of `gateway serve`', undefined)
    .action((id: string, o: { stateDir?: string }) => {
      const record = tokenStoreFor(stateDir(o.stateDir)).revoke(id);
      process.stderr.write(`revoked token ${record.id} (${record.subject})\n`);
    });
}
