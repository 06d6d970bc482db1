import { EmbeddedGateway } from '../gateway/embedded.ts';
import type { GatewayStartOptions, GatewayStatus, Progress, Sandbox, SandboxSpec } from '../gateway/types.ts';
import type { RemoteEntry } from '../gateway/registry.ts';
import { dockerClient, describeEndpoint, type DockerClient, type SshEndpoint } from '../docker/client.ts';
import { ensureRemoteImages } from '../docker/transfer.ts';
import { SshConnection } from './connection.ts';
import { SshRefusedError, type HostKeyPrompt } from './hop.ts';

export interface RemoteGatewayOptions {
  readonly acceptHostKey?: HostKeyPrompt | undefined;
  /** The engine our images are built on before they are sent over (the local one by default). */
  readonly localDocker?: DockerClient;
}

/**
 * The embedded gateway core driving a remote Docker host over one SSH connection. Images never come
 * from a registry there: they are built here and streamed over (`ensureRemoteImages`).
 */
export class RemoteGateway extends EmbeddedGateway {
  readonly connection: SshConnection;
  private readonly remoteDocker: DockerClient;
  private readonly localDocker: DockerClient;
  private readonly sshEndpoint: SshEndpoint;

  constructor(
    readonly entry: RemoteEntry,
    opts: RemoteGatewayOptions = {},
    connection = new SshConnection({ target: entry.remote, identity: entry.identity, acceptHostKey: opts.acceptHostKey }),
  ) {
    const endpoint: SshEndpoint = { kind: 'ssh', socketPath: entry.socketPath, connection };
    const docker = dockerClient(endpoint);
    super(entry.name, endpoint, docker);
    this.connection = connection;
    this.sshEndpoint = endpoint;
    this.remoteDocker = docker;
    this.localDocker = opts.localDocker ?? dockerClient();
    connection.notices.add((message) => this.events.emit('gateway.notice', { message, time: new Date().toISOString() }));
  }

  override get location(): string {
    return describeEndpoint(this.sshEndpoint);
  }

  /** A refused host key or login is an error to show, not an "unreachable" state. */
  override async status(): Promise<GatewayStatus> {
    try {
      await this.connection.ready();
    } catch (err) {
      if (err instanceof SshRefusedError) throw err;
    }
    return super.status();
  }

  /** Network and repairs as for a local engine, then our images copied over when the remote lacks them. */
  override async start(opts: GatewayStartOptions = {}): Promise<GatewayStatus> {
    await super.start(opts);
    await this.ensureImages(opts.progress);
    return this.status();
  }

  override async createSandbox(spec: SandboxSpec, opts: { progress?: Progress; startAgent?: boolean } = {}): Promise<Sandbox> {
    // Our images may be newer here than there (an upgrade since `gateway start`): send them first.
    await this.ensureImages(opts.progress);
    return super.createSandbox(spec, opts);
  }

  private async ensureImages(progress: Progress | undefined): Promise<void> {
    await ensureRemoteImages(this.localDocker, this.remoteDocker, { ...(progress ? { onProgress: progress } : {}) });
  }

  close(): void {
    this.connection.close();
  }
}
