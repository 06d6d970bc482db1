import { Agent, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import type { SshConnection } from './connection.ts';

export const REMOTE_DOCKER_SOCKET = '/var/run/docker.sock';

/** Socket methods Node's HTTP client may call; an SSH channel is a plain Duplex without them. */
function socketLike(stream: Duplex): Duplex {
  const s = stream as Duplex & Record<string, unknown>;
  for (const m of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref']) {
    if (typeof s[m] !== 'function') s[m] = () => s;
  }
  return s;
}

/**
 * An HTTP agent whose "connections" are channels on one shared SSH session to the remote Docker socket.
 * No keep-alive: a channel costs one round trip, and hijacked exec/attach streams take theirs over anyway.
 */
export class SshDockerAgent extends Agent {
  constructor(
    private readonly conn: SshConnection,
    private readonly socketPath = REMOTE_DOCKER_SOCKET,
  ) {
    super({ keepAlive: false });
  }

  override createConnection(_opts: ClientRequestArgs, cb?: (err: Error | null, stream: Duplex) => void): undefined {
    this.conn.openStreamLocal(this.socketPath).then(
      (channel) => cb?.(null, socketLike(channel)),
      (err: unknown) => cb?.(err instanceof Error ? err : new Error(String(err)), undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/** A dockerode client for the remote engine, every request riding the one SSH connection. */
export function sshDockerClient(conn: SshConnection, socketPath = REMOTE_DOCKER_SOCKET): Docker {
  // dockerode hands its options to docker-modem, which accepts `agent`; dockerode's types just omit it.
  const options: Docker.DockerOptions & { agent: Agent } = {
    protocol: 'http',
    host: 'docker',
    port: 80,
    agent: new SshDockerAgent(conn, socketPath),
  };
  return new Docker(options);
}
