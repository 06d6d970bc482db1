import { createInterface } from 'node:readline';
import { RemoteError } from '../../errors.ts';
import { EventBus } from '../../events/bus.ts';
import type { AttachOptions, AttachResult, ExecOptions, Gateway, GatewayEvents, GatewayStartOptions, GatewayStatus, LogOptions, TrafficWatchOptions } from '../types.ts';
import { followEvents, followTraffic, Link, type Feed } from './client-feeds.ts';
import { attachRemote, downloadRemote, execRemote, logsRemote, uploadRemote } from './client-streams.ts';
import { FEED_EVENTS } from './feeds.ts';
import { NDJSON_TYPE } from './respond.ts';
import { RPC, RPC_PREFIX, wireArgs, type RpcMethod } from './rpc.ts';
import { Endpoint } from './transport.ts';
import { fromWire, isWireError } from './wire.ts';

export interface HttpGatewayOptions {
  /** The bearer token for this gateway (sent to its origin only, after its certificate is verified). */
  readonly token: string;
  /** `sha256:<hex>` of its certificate, pinned (self-signed gateways); without it, CA verification. */
  readonly fingerprint?: string | undefined;
  /** An extra CA certificate (PEM) to trust besides the system roots. */
  readonly ca?: string | undefined;
}

/**
 * Subscribing to a server-made event opens the feed, so a CLI command that never listens never connects.
 * Notices alone do not: every command listens for them, and most are made here (connection lost/back).
 */
class FeedBus extends EventBus<GatewayEvents> {
  constructor(private readonly open: () => void) {
    super();
  }

  override on<K extends keyof GatewayEvents>(name: K, listener: (payload: GatewayEvents[K]) => void): () => void {
    if (name !== 'gateway.notice' && (FEED_EVENTS as readonly string[]).includes(name)) this.open();
    return super.on(name, listener);
  }
}

/** A gateway served by `openshell gateway serve` elsewhere, behind the same interface as the embedded one. */
export class HttpGateway implements Gateway {
  readonly events: EventBus<GatewayEvents> = new FeedBus(() => this.openFeed());
  readonly location: string;
  private readonly ep: Endpoint;
  private readonly link: Link;
  private readonly stops = new Set<() => void>();
  private feed: Feed | undefined;

  constructor(
    readonly name: string,
    url: string,
    opts: HttpGatewayOptions,
  ) {
    this.ep = new Endpoint(name, url, opts.token, { fingerprint: opts.fingerprint, ca: opts.ca });
    this.location = this.ep.base.origin;
    this.link = new Link(name, (m) => this.notice(m));
  }

  // The JSON methods: one line each (see RPC in rpc.ts).
  readonly stop = this.call('stop');
  readonly destroy = this.call('destroy');
  readonly createSandbox = this.call('createSandbox');
  readonly listSandboxes = this.call('listSandboxes');
  readonly getSandbox = this.call('getSandbox');
  readonly deleteSandbox = this.call('deleteSandbox');
  readonly stopSandbox = this.call('stopSandbox');
  readonly startSandbox = this.call('startSandbox');
  readonly listPolicyRevisions = this.call('listPolicyRevisions');
  readonly getPolicy = this.call('getPolicy');
  readonly setPolicy = this.call('setPolicy');
  readonly rollbackPolicy = this.call('rollbackPolicy');
  readonly createProvider = this.call('createProvider');
  readonly listProviders = this.call('listProviders');
  readonly getProvider = this.call('getProvider');
  readonly deleteProvider = this.call('deleteProvider');
  readonly getInference = this.call('getInference');
  readonly updateInference = this.call('updateInference');
  readonly explainInference = this.call('explainInference');
  private readonly startRpc = this.call('start');
  private readonly statusRpc = this.call('status');

  /** Engine and images on the server's host; the status names this registration, not the server's own. */
  async start(opts: GatewayStartOptions = {}): Promise<GatewayStatus> {
    return this.asSeenHere(await this.startRpc(opts));
  }

  /** Like the embedded gateway, an unreachable server is a state to show, not an error (a refused token is). */
  async status(): Promise<GatewayStatus> {
    try {
      return this.asSeenHere(await this.statusRpc());
    } catch (err) {
      const code = ((err as { cause?: { code?: unknown } }).cause)?.code;
      if (!(err instanceof RemoteError) || code === undefined) throw err;
      return { name: this.name, location: this.location, state: 'unreachable', sandboxes: 0, ready: 0, images: {}, message: err.message };
    }
  }

  private asSeenHere(s: GatewayStatus): GatewayStatus {
    return { ...s, name: this.name, location: this.location };
  }

  exec(name: string, opts: ExecOptions): Promise<number> {
    return execRemote(this.ep, name, opts);
  }

  attach(name: string, opts: AttachOptions): Promise<AttachResult> {
    return attachRemote(this.ep, name, opts);
  }

  logs(name: string, opts: LogOptions): Promise<void> {
    return logsRemote(this.ep, name, opts);
  }

  upload(name: string, localPath: string, dest?: string): Promise<void> {
    return uploadRemote(this.ep, name, localPath, dest);
  }

  download(name: string, path: string, localDest: string): Promise<void> {
    return downloadRemote(this.ep, name, path, localDest);
  }

  watchTraffic(name: string | undefined, opts?: TrafficWatchOptions): () => void {
    const { stop } = followTraffic(this.ep, this.events, this.link, name, opts);
    const wrapped = (): void => {
      this.stops.delete(wrapped);
      stop();
    };
    this.stops.add(wrapped);
    return wrapped;
  }

  /** Stops every feed and watch and drops pooled connections. */
  close(): void {
    this.feed?.stop();
    for (const stop of [...this.stops]) stop();
    this.ep.close();
  }

  private openFeed(): void {
    this.feed ??= followEvents(this.ep, this.events, this.link, (m) => this.notice(m));
  }

  private notice(message: string): void {
    this.events.emit('gateway.notice', { message, time: new Date().toISOString() });
  }

  /** A JSON method as a function with the Gateway method's own type. */
  private call<M extends RpcMethod>(method: M): Gateway[M] {
    const spec = RPC[method];
    return ((...args: unknown[]) => this.rpc(method, wireArgs(spec, args))) as unknown as Gateway[M];
  }

  private async rpc(method: string, call: { args: unknown[]; progress?: (m: string) => void }): Promise<unknown> {
    // Subscribed before calling means seeing the events the call causes: wait for the feed to be up.
    await this.feed?.settled;
    const headers = call.progress ? { accept: NDJSON_TYPE } : undefined;
    const res = await this.ep.send('POST', this.ep.url(RPC_PREFIX + method), { json: { args: call.args }, ...(headers ? { headers } : {}) });
    const streaming = (res.headers['content-type'] ?? '').startsWith(NDJSON_TYPE);
    // The last line is the answer; lines before it (NDJSON) are progress, shown as they arrive.
    let answer: { result?: unknown; error?: unknown; progress?: unknown } | undefined;
    try {
      for await (const line of createInterface({ input: res, crlfDelay: Infinity })) {
        if (line === '') continue;
        try {
          answer = JSON.parse(line) as typeof answer;
        } catch {
          answer = undefined;
        }
        if (streaming && typeof answer?.progress === 'string') call.progress?.(answer.progress);
      }
    } catch (err) {
      throw new RemoteError(`the connection to gateway ${this.name} was lost during ${method}`, {
        exitCode: 3,
        cause: err,
        hint: 'the call may have completed there; check with `openshell sandbox list`',
      });
    }
    if (answer === undefined || typeof answer !== 'object' || answer === null || typeof answer.progress === 'string') {
      throw new RemoteError(`gateway ${this.name} sent an answer to ${method} that could not be read`, { exitCode: 3 });
    }
    if (isWireError(answer.error)) throw fromWire(answer.error);
    return answer.result;
  }
}
