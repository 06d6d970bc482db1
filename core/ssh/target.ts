import { UsageError } from '../errors.ts';

/** What the user typed: `user@host[:port]` or `ssh://user@host[:port]`; user and port are optional. */
export interface SshTarget {
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
}

export function parseTarget(raw: string): SshTarget {
  const text = raw.startsWith('ssh://') ? raw.slice('ssh://'.length).replace(/\/$/, '') : raw;
  const at = text.lastIndexOf('@');
  const user = at >= 0 ? text.slice(0, at) : undefined;
  const rest = at >= 0 ? text.slice(at + 1) : text;
  // `[v6]:port` keeps its colons inside the brackets.
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(rest);
  if (!m || m[1] === undefined || m[1] === '' || user === '') {
    throw new UsageError(`\`${raw}\` is not an SSH target`, 'write it as user@host, user@host:port or ssh://user@host:port');
  }
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new UsageError(`port ${port} in \`${raw}\` is out of range`);
  return { host: m[1], ...(user === undefined ? {} : { user }), ...(port === undefined ? {} : { port }) };
}

export function formatTarget(t: SshTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.user === undefined ? '' : `${t.user}@`}${host}${t.port === undefined ? '' : `:${t.port}`}`;
}
