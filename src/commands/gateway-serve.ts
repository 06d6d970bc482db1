import type { Command } from 'commander';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from '../../core/errors.ts';
import { EmbeddedGateway } from '../../core/gateway/embedded.ts';
import { createAuth, defaultServeStateDir, type ServerAuth } from '../../core/gateway/http/auth.ts';
import { defaultNames, ensureSelfSigned, loadCertificate } from '../../core/gateway/http/self-signed.ts';
import { GatewayServer } from '../../core/gateway/http/server.ts';
import { parseFormat } from '../output.ts';
import { stderrProgress } from '../connect.ts';

interface ServeOptions {
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  stateDir?: string;
  publicUrl?: string;
  output: string;
}

/** `ADDR:PORT`, `[v6]:PORT` or `:PORT` (all addresses). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new UsageError(`invalid --listen \`${text}\``, 'use ADDR:PORT, e.g. 127.0.0.1:8443 or 0.0.0.0:8443');
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** --public-url as an origin, refused early when it is not an https:// URL. */
function parsePublicUrl(text: string | undefined): URL | undefined {
  if (text === undefined) return undefined;
  const u = URL.canParse(text) ? new URL(text) : undefined;
  if (u?.protocol !== 'https:') throw new UsageError(`invalid --public-url \`${text}\``, 'use the https:// URL clients reach this machine by, e.g. https://gw.example:8443');
  return u;
}

/** The URL clients use: --public-url, else the listen address (this machine's name when listening on all). */
function publicUrlOf(publicUrl: URL | undefined, listened: string, host: string): string {
  if (publicUrl !== undefined) return publicUrl.origin;
  if (host === '0.0.0.0' || host === '::') return `https://${hostname()}:${new URL(listened).port}`;
  return listened;
}

/** The listening socket's failure in the user's terms. */
function listenError(err: unknown, listen: string): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') return new UsageError(`cannot listen on ${listen}: the address is in use`, 'pick another --listen port, or stop what uses it');
  if (code === 'EACCES') return new UsageError(`cannot listen on ${listen}: permission denied`, 'ports below 1024 need privileges; pick a higher one');
  if (code === 'EADDRNOTAVAIL') return new UsageError(`cannot listen on ${listen}: no such address on this machine`, 'use one of its addresses, or 0.0.0.0');
  return err;
}

async function serve(o: ServeOptions): Promise<void> {
  const format = parseFormat(o.output);
  const { host, port } = parseListen(o.listen);
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const publicUrl = parsePublicUrl(o.publicUrl);
  const stateDir = resolve(o.stateDir ?? defaultServeStateDir());
  const names = [...defaultNames(host), ...(publicUrl === undefined ? [] : [publicUrl.hostname])];
  const tls =
    o.tlsCert !== undefined && o.tlsKey !== undefined ? await loadCertificate(o.tlsCert, o.tlsKey) : await ensureSelfSigned(stateDir, names);
  const gateway = new EmbeddedGateway('local');
  await gateway.start({ progress: stderrProgress });
  // The sign-in service needs the public URL, known for sure only once listening (--listen :0).
  const live: { auth?: ServerAuth } = {};
  const server = new GatewayServer({
    gateway,
    watcher: () => new EmbeddedGateway('local'),
    auth: {
      handle: (req, res, url) => live.auth?.handle(req, res, url) ?? Promise.resolve(false),
      verify: (req) => live.auth?.verify(req) ?? { ok: false, reason: 'the gateway is starting' },
      close: () => live.auth?.close(),
    },
    tls,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const listened = await server.listen(host, port).catch((err: unknown) => {
    throw listenError(err, o.listen);
  });
  const url = publicUrlOf(publicUrl, listened, host);
  const auth = (live.auth = createAuth({ stateDir, publicUrl: url }));
  if (format === 'json') process.stdout.write(JSON.stringify({ url, listen: listened, fingerprint: tls.fingerprint, stateDir }) + '\n');
  else {
    process.stdout.write(`serving gateway on ${url}\ncertificate fingerprint ${tls.fingerprint}\n`);
    for (const line of auth.banner) process.stdout.write(`${line}\n`);
  }
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.stderr.write('shutting down: waiting for calls in flight\n');
      void server.close().then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export function registerServeCommand(gw: Command): void {
  gw.command('serve')
    .description('Serve this machine’s gateway (its local Docker engine) over HTTPS to clients elsewhere, until Ctrl-C')
    .option('--listen <addr:port>', 'address and port to listen on', '127.0.0.1:8443')
    .option('--tls-cert <file>', 'PEM certificate (default: a self-signed one kept in the state dir)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--state-dir <dir>', 'certificate, sign-in keys and tokens (default: $XDG_STATE_HOME/openshell/serve)')
    .option('--public-url <url>', 'the https:// URL clients reach this server by (default: from --listen)')
    .option('-o, --output <format>', 'table | json (the URL and fingerprint once, at start)', 'table')
    .action(serve);
}
