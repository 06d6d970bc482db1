import { connect as tcpConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { RemoteError } from '../errors.ts';
import { resolveHost, type ResolvedHost } from './config.ts';
import { connectHop, SshRefusedError, type HostKeyPrompt } from './hop.ts';

export interface SshConnectionOptions {
  /** `user@host[:port]`, `ssh://…`, or a Host alias from ssh config. */
  readonly target: string;
  readonly identity?: string | undefined;
  readonly configFile?: string | undefined;
  /** Asked about a host key seen for the first time; without it such a key is refused. */
  readonly acceptHostKey?: HostKeyPrompt | undefined;
  /** Reconnect delays after a drop; the last one repeats until `maxReconnects` attempts were made. */
  readonly backoffMs?: readonly number[];
  readonly maxReconnects?: number;
}

const DEFAULT_BACKOFF = [250, 500, 1000, 2000, 4000, 8000, 15_000];
const sleep = (ms: number): { promise: Promise<void>; timer: NodeJS.Timeout } => {
  let timer!: NodeJS.Timeout;
  const promise = new Promise<void>((r) => (timer = setTimeout(r, ms)));
  return { promise, timer };
};

/**
 * One persistent SSH connection (through any ProxyJump hops) multiplexing many channels. Connects on first
 * use; after a drop it reconnects in the background with backoff and says so through `notices`. Its TCP
 * socket holds the process open only while a channel is in use, so a CLI command exits when done.
 */
export class SshConnection {
  readonly notices = new Set<(message: string) => void>();
  /** Milliseconds the last successful connect took (TCP + handshake + auth), for diagnostics. */
  lastConnectMs: number | undefined;
  private client: Client | undefined;
  private clients: Client[] = [];
  private socket: Socket | undefined;
  private pending: Promise<Client> | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private active = 0;
  private waiters = 0;
  private closed = false;
  readonly host: ResolvedHost;

  constructor(private readonly opts: SshConnectionOptions) {
    this.host = resolveHost(opts.target, {
      ...(opts.identity === undefined ? {} : { identity: opts.identity }),
      ...(opts.configFile === undefined ? {} : { configFile: opts.configFile }),
    });
  }

  get label(): string {
    return `${this.host.user}@${this.host.alias}${this.host.port === 22 ? '' : `:${this.host.port}`}`;
  }

  private notice(message: string): void {
    for (const listener of this.notices) listener(message);
  }

  /** The ready session: the current one, the one being (re)connected, or a fresh one. */
  async ready(): Promise<Client> {
    if (this.closed) throw new RemoteError(`the SSH connection to ${this.label} was closed`);
    if (this.client) return this.client;
    this.waiters++;
    this.backoffTimer?.ref();
    this.socket?.ref();
    try {
      this.pending ??= this.connectOnce().finally(() => (this.pending = undefined));
      return await this.pending;
    } finally {
      this.waiters--;
      this.updateRef();
    }
  }

  private async connectOnce(): Promise<Client> {
    const started = Date.now();
    const hops = [...this.host.proxyJump.map((j) => resolveHost(j, { ...(this.opts.configFile ? { configFile: this.opts.configFile } : {}) })), this.host];
    const first = hops[0] ?? this.host;
    const socket = await openTcp(first);
    this.socket = socket;
    this.updateRef();
    const clients: Client[] = [];
    try {
      let sock: Duplex = socket;
      for (const [i, hop] of hops.entries()) {
        const client = await connectHop(hop, sock, { acceptHostKey: this.opts.acceptHostKey });
        clients.push(client);
        const next = hops[i + 1];
        if (next) sock = await forwardOut(client, next);
      }
    } catch (err) {
      for (const c of clients) c.end();
      socket.destroy();
      if (this.socket === socket) this.socket = undefined;
      throw err;
    }
    const client = clients[clients.length - 1]!;
    this.clients = clients;
    this.client = client;
    this.lastConnectMs = Date.now() - started;
    client.on('error', () => undefined);
    client.once('close', () => this.dropped(client));
    this.updateRef();
    return client;
  }

  private dropped(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    for (const c of this.clients) c.end();
    this.socket?.destroy();
    this.socket = undefined;
    if (this.closed) return;
    this.notice(`SSH connection to ${this.label} lost; reconnecting`);
    this.pending = this.reconnect().finally(() => (this.pending = undefined));
    this.pending.catch(() => undefined);
  }

  private async reconnect(): Promise<Client> {
    const delays = this.opts.backoffMs ?? DEFAULT_BACKOFF;
    const max = this.opts.maxReconnects ?? 10;
    const since = Date.now();
    for (let attempt = 1; ; attempt++) {
      const wait = sleep(delays[Math.min(attempt - 1, delays.length - 1)] ?? 1000);
      this.backoffTimer = wait.timer;
      // Nobody waiting for the connection: the retry timer must not keep a finished command alive.
      if (this.waiters === 0) wait.timer.unref();
      await wait.promise;
      this.backoffTimer = undefined;
      if (this.closed) throw new RemoteError(`the SSH connection to ${this.label} was closed`);
      try {
        const client = await this.connectOnce();
        this.notice(`reconnected to ${this.label} after ${((Date.now() - since) / 1000).toFixed(1)}s`);
        return client;
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (err instanceof SshRefusedError || attempt >= max) {
          this.notice(`giving up on ${this.label} after ${attempt} attempt(s): ${msg}`);
          throw err;
        }
        this.notice(`reconnect to ${this.label} failed (attempt ${attempt}): ${msg}`);
      }
    }
  }

  /** A byte stream to a Unix socket on the remote host (OpenSSH `direct-streamlocal`). */
  async openStreamLocal(socketPath: string): Promise<ClientChannel> {
    // Counted as in use from now on, so the socket stays referenced while the channel opens.
    this.active++;
    this.updateRef();
    let channel: ClientChannel;
    try {
      const client = await this.ready();
      channel = await new Promise<ClientChannel>((resolve, reject) => {
        client.openssh_forwardOutStreamLocal(socketPath, (err, ch) => {
          if (err) reject(new RemoteError(`${this.label} refused a stream to ${socketPath}: ${err.message}`, { cause: err, exitCode: 3 }));
          else resolve(ch);
        });
      });
    } catch (err) {
      this.release();
      throw err;
    }
    channel.once('close', () => this.release());
    return channel;
  }

  private release(): void {
    this.active--;
    this.updateRef();
  }

  /** The TCP socket keeps the event loop alive only while someone uses the connection. */
  private updateRef(): void {
    if (this.active > 0 || this.waiters > 0) this.socket?.ref();
    else this.socket?.unref();
  }

  close(): void {
    this.closed = true;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    for (const c of this.clients) c.end();
    this.socket?.destroy();
    this.client = undefined;
  }
}

function openTcp(host: ResolvedHost): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: host.hostname, port: host.port });
    socket.setKeepAlive(true, 15_000);
    socket.setNoDelay(true);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', (err) =>
      reject(new RemoteError(`cannot reach ${host.hostname}:${host.port} (${host.alias}): ${err.message}`, { cause: err, exitCode: 3 })),
    );
  });
}

function forwardOut(client: Client, next: ResolvedHost): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, next.hostname, next.port, (err, ch) => {
      if (err) reject(new RemoteError(`jump host could not reach ${next.hostname}:${next.port}: ${err.message}`, { cause: err, exitCode: 3 }));
      else resolve(ch);
    });
  });
}
