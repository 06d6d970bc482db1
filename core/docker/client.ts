import Docker from 'dockerode';
import { DockerUnavailableError, OpenshellError } from '../errors.ts';
import type { SshConnection } from '../ssh/connection.ts';
import { sshDockerClient } from '../ssh/docker.ts';

export type DockerClient = Docker;

/** A local engine's socket. */
export interface LocalEndpoint {
  readonly kind?: 'local';
  readonly socketPath: string;
}

/** A remote engine's socket (`socketPath` on that host), reached through one shared SSH connection. */
export interface SshEndpoint {
  readonly kind: 'ssh';
  readonly socketPath: string;
  readonly connection: SshConnection;
}

/** Where the engine is. */
export type DockerEndpoint = LocalEndpoint | SshEndpoint;

export const LOCAL_ENDPOINT: DockerEndpoint = {
  socketPath: process.env.DOCKER_HOST?.startsWith('unix://')
    ? process.env.DOCKER_HOST.slice('unix://'.length)
    : '/var/run/docker.sock',
};

export function dockerClient(endpoint: DockerEndpoint = LOCAL_ENDPOINT): DockerClient {
  if (endpoint.kind === 'ssh') return sshDockerClient(endpoint.connection, endpoint.socketPath);
  return new Docker({ socketPath: endpoint.socketPath });
}

/** `unix:///var/run/docker.sock` or `ssh://user@host/var/run/docker.sock`, for messages and listings. */
export function describeEndpoint(endpoint: DockerEndpoint): string {
  return endpoint.kind === 'ssh' ? `ssh://${endpoint.connection.label}${endpoint.socketPath}` : `unix://${endpoint.socketPath}`;
}

/** Fails with a message that says how to start an engine when none answers. */
export async function assertDockerReachable(docker: DockerClient, where = LOCAL_ENDPOINT.socketPath): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    // Our own errors (an SSH host key refused, a failed login) already say what is wrong and what to do.
    if (err instanceof OpenshellError) throw err;
    const mapped = asUnreachable(err, where);
    throw mapped instanceof DockerUnavailableError
      ? mapped
      : new DockerUnavailableError(`Docker is not reachable at ${where}`, { cause: err, exitCode: 3 });
  }
}

/** Turns "nothing listens on the socket" into the typed error that says how to start an engine. */
export function asUnreachable(err: unknown, where: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
    return new DockerUnavailableError(`Docker is not reachable at ${where}`, {
      hint: 'start an engine: `sudo dockerd &` (Debian: `apt-get install docker.io`), or run `npm run setup`',
      cause: err,
      exitCode: 3,
    });
  }
  return err;
}

/** HTTP status carried by a dockerode error, if any. */
export function dockerStatus(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Idempotent Docker calls: 304 (already in that state) and 404 on removal count as success. */
export async function tolerate(statuses: readonly number[], op: () => Promise<unknown>): Promise<void> {
  try {
    await op();
  } catch (err) {
    const s = dockerStatus(err);
    if (s === undefined || !statuses.includes(s)) throw err;
  }
}
