// A real HTTPS server on loopback that serves only the auth routes plus one protected `/api/ping`,
// the way `gateway serve` wires `createAuth` (tests of the served gateway itself live elsewhere).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuth, type AuthOptions, type ServerAuth } from '../../../core/gateway/http/auth.ts';
import { selfSigned } from '../../../core/gateway/http/self-signed.ts';
import { fingerprintOfPem } from '../../../core/gateway/http/tls-pin.ts';

export interface AuthServer {
  readonly url: string;
  readonly stateDir: string;
  readonly auth: ServerAuth;
  readonly operatorKey: string;
  readonly fingerprint: string;
  close(): Promise<void>;
}

let cached: { cert: string; key: string } | undefined;

export async function startAuthServer(opts: Partial<Omit<AuthOptions, 'publicUrl'>> = {}): Promise<AuthServer> {
  cached ??= selfSigned(['127.0.0.1', 'localhost']);
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'auth-test-'));
  const holder: { auth?: ServerAuth } = {};
  const server = createServer({ cert: cached.cert, key: cached.key }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const auth = holder.auth;
    void (async () => {
      if (url.pathname.startsWith('/auth/') && auth && (await auth.handle(req, res, url))) return;
      if (url.pathname === '/api/ping' && auth) {
        const v = auth.verify(req);
        res.writeHead(v.ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
        return;
      }
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const auth = createAuth({ ...opts, stateDir, publicUrl: url });
  holder.auth = auth;
  return {
    url,
    stateDir,
    auth,
    operatorKey: readFileSync(join(stateDir, 'auth', 'operator.key'), 'utf8').trim(),
    fingerprint: fingerprintOfPem(cached.cert),
    close: async () => {
      auth.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (opts.stateDir === undefined) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
