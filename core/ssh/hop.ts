import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AgentAuthMethod, Client, PublicKeyAuthMethod } from 'ssh2';
import { RemoteError } from '../errors.ts';

// ssh2 is CommonJS: Node's ESM loader sees only its default export.
const { Client: SshClient, utils } = ssh2;
import type { ResolvedHost } from './config.ts';
import { checkHostKey, fingerprint, keyType, knownHostName, rememberHostKey } from './known-hosts.ts';

/** The host was reached but refused (or we refused it): retrying cannot help, the user must act. */
export class SshRefusedError extends RemoteError {}

/** Shown for a host key seen for the first time; resolves true to trust and record it. */
export type HostKeyPrompt = (key: {
  readonly host: string;
  readonly type: string;
  readonly fingerprint: string;
}) => Promise<boolean>;

type AuthMethod = PublicKeyAuthMethod | AgentAuthMethod;

/** Agent keys first (as OpenSSH offers them), then identity files that parse without a passphrase. */
export function authMethods(host: ResolvedHost, agentSocket = process.env.SSH_AUTH_SOCK): { methods: AuthMethod[]; skipped: string[] } {
  const methods: AuthMethod[] = [];
  const skipped: string[] = [];
  if (agentSocket) methods.push({ type: 'agent', username: host.user, agent: agentSocket });
  for (const file of new Set(host.identityFiles)) {
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch {
      continue;
    }
    // Never echo the key or the parser's message (it can quote the key); just say which file.
    if (utils.parseKey(data) instanceof Error) skipped.push(`${file} (encrypted or unreadable: add it to ssh-agent)`);
    else methods.push({ type: 'publickey', username: host.user, key: data });
  }
  return { methods, skipped };
}

export interface HopOptions {
  readonly acceptHostKey?: HostKeyPrompt | undefined;
  readonly readyTimeoutMs?: number;
}

/** One authenticated SSH session over `sock` (a TCP socket, or a channel of the previous jump host). */
export function connectHop(host: ResolvedHost, sock: Duplex, opts: HopOptions): Promise<Client> {
  const where = `${host.user}@${host.alias}`;
  const { methods, skipped } = authMethods(host);
  if (methods.length === 0) {
    return Promise.reject(
      new SshRefusedError(`no SSH key to offer to ${where}`, {
        exitCode: 3,
        hint: `pass --identity FILE, set IdentityFile in ~/.ssh/config, or start ssh-agent${skipped.length ? `; skipped ${skipped.join(', ')}` : ''}`,
      }),
    );
  }
  const name = knownHostName(host.hostKeyName, host.port);
  let refusal: SshRefusedError | undefined;
  const client = new SshClient();
  return new Promise<Client>((resolve, reject) => {
    const verify = (key: Buffer, done: (ok: boolean) => void): void => {
      const fp = fingerprint(key);
      const check = checkHostKey(host.knownHostsFiles, name, key);
      if (check.status === 'known') return done(true);
      if (check.status === 'changed' || check.status === 'revoked') {
        refusal = new SshRefusedError(`the host key of ${name} has ${check.status === 'changed' ? 'CHANGED' : 'been REVOKED'} (now ${keyType(key)} ${fp}); refusing to connect`, {
          exitCode: 3,
          hint: `if the host was really reinstalled, remove the old key (${check.file}:${check.line}) with \`ssh-keygen -R '${name}'\``,
        });
        return done(false);
      }
      const ask = opts.acceptHostKey;
      if (!ask) {
        refusal = new SshRefusedError(`the host key of ${name} is not known (${keyType(key)} ${fp})`, {
          exitCode: 3,
          hint: 'check the fingerprint with the host owner, then run again with --accept-host-key (or answer the prompt on a terminal)',
        });
        return done(false);
      }
      ask({ host: name, type: keyType(key), fingerprint: fp }).then(
        (ok) => {
          if (ok && host.knownHostsFiles[0] !== undefined) rememberHostKey(host.knownHostsFiles[0], name, key);
          if (!ok) refusal = new SshRefusedError(`host key of ${name} not accepted`, { exitCode: 3 });
          done(ok);
        },
        (err: unknown) => {
          refusal = new SshRefusedError(`host key of ${name} not accepted`, { exitCode: 3, cause: err });
          done(false);
        },
      );
    };
    client.once('ready', () => {
      client.removeListener('error', onError);
      resolve(client);
    });
    const onError = (err: Error & { level?: string }): void => {
      client.end();
      if (refusal) return reject(refusal);
      const auth = err.level === 'client-authentication';
      const Kind = auth ? SshRefusedError : RemoteError;
      reject(
        new Kind(auth ? `SSH authentication to ${where} failed` : `SSH connection to ${where} failed: ${err.message}`, {
          exitCode: 3,
          cause: err,
          ...(auth ? { hint: `tried ${methods.map((m) => (m.type === 'agent' ? 'ssh-agent' : 'an identity file')).join(', ')}` } : {}),
        }),
      );
    };
    client.once('error', onError);
    client.connect({
      sock,
      username: host.user,
      host: host.hostname,
      port: host.port,
      readyTimeout: opts.readyTimeoutMs ?? 20_000,
      authHandler: methods,
      hostVerifier: verify,
    });
  });
}
