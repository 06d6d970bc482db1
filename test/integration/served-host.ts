// A served gateway in this process: the real server on a loopback port, a self-signed certificate, the real auth.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedGateway } from '../../core/gateway/embedded.ts';
import { createAuth, tokenStoreFor } from '../../core/gateway/http/auth.ts';
import { HttpGateway, type HttpGatewayOptions } from '../../core/gateway/http/client.ts';
import { selfSigned } from '../../core/gateway/http/self-signed.ts';
import { GatewayServer } from '../../core/gateway/http/server.ts';
import { fingerprintOfPem } from '../../core/gateway/http/tls-pin.ts';

export interface ServedHost {
  readonly url: string;
  readonly fingerprint: string;
  /** A token issued by the server's own token store, as a signed-in client holds it. */
  readonly token: string;
  readonly stateDir: string;
  /** The server's request log lines. */
  readonly log: string[];
  /** A client pinned to this server's certificate (options override token and trust). */
  client(opts?: Partial<HttpGatewayOptions>): HttpGateway;
  /** Stops the server (clients see the connection drop). */
  down(): Promise<void>;
  /** Starts it again on the same port with the same certificate and tokens. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startServedHost(): Promise<ServedHost> {
  const stateDir = await mkdtemp(join(tmpdir(), 'openshell-srv-'));
  const tls = selfSigned(['127.0.0.1', 'localhost']);
  const fingerprint = fingerprintOfPem(tls.cert);
  const log: string[] = [];
  let port = 0;
  let url = '';
  let server: GatewayServer | undefined;
  const up = async (): Promise<void> => {
    server = new GatewayServer({
      gateway: new EmbeddedGateway('local'),
      watcher: () => new EmbeddedGateway('local'),
      auth: createAuth({ stateDir, publicUrl: url || 'https://127.0.0.1' }),
      tls,
      log: (line) => log.push(line),
    });
    url = await server.listen('127.0.0.1', port);
    port = Number(new URL(url).port);
  };
  await up();
  const { token } = tokenStoreFor(stateDir).issue('srv-test', 3_600_000);
  const down = async (): Promise<void> => {
    await server?.close();
    server = undefined;
  };
  return {
    get url() {
      return url;
    },
    fingerprint,
    token,
    stateDir,
    log,
    client: (opts = {}) => new HttpGateway('srv-test', url, { token, fingerprint, ...opts }),
    down,
    up,
    close: async () => {
      await down();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
