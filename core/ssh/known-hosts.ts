import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** How known_hosts names a host: bare for port 22, `[host]:port` otherwise (as OpenSSH writes it). */
export const knownHostName = (host: string, port: number): string => (port === 22 ? host : `[${host}]:${port}`);

/** `SHA256:…` as `ssh-keygen -l` and OpenSSH's prompts show it. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type is the first string of the SSH wire-format blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, …). */
export function keyType(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

/** One name field entry: plain (with `*`/`?` globs and `!` negation) or hashed (`|1|salt|hash`). */
function nameMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (salt === undefined || hash === undefined) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

function lineMatches(field: string, name: string): boolean {
  const patterns = field.split(',');
  if (patterns.some((p) => p.startsWith('!') && nameMatches(p.slice(1), name))) return false;
  return patterns.some((p) => !p.startsWith('!') && nameMatches(p, name));
}

export type HostKeyCheck =
  | { readonly status: 'known'; readonly file: string }
  | { readonly status: 'unknown' }
  | { readonly status: 'changed'; readonly file: string; readonly line: number }
  | { readonly status: 'revoked'; readonly file: string; readonly line: number };

/** Compares a presented key with every known_hosts file; a different key of the same type means "changed". */
export function checkHostKey(files: readonly string[], name: string, keyBlob: Buffer): HostKeyCheck {
  const type = keyType(keyBlob);
  const b64 = keyBlob.toString('base64');
  let changed: HostKeyCheck | undefined;
  for (const file of files) {
    if (!existsSync(file)) continue;
    const lines = readFileSync(file, 'utf8').split('\n');
    for (const [i, raw] of lines.entries()) {
      const parts = raw.trim().split(/\s+/);
      if (parts.length < 3 || parts[0]?.startsWith('#')) continue;
      const marker = parts[0]?.startsWith('@') ? parts.shift() : undefined;
      const [names, ktype, kdata] = parts;
      if (names === undefined || ktype === undefined || kdata === undefined || !lineMatches(names, name)) continue;
      if (marker === '@cert-authority') continue;
      if (marker === '@revoked') {
        if (kdata === b64) return { status: 'revoked', file, line: i + 1 };
        continue;
      }
      if (ktype === type && kdata === b64) return { status: 'known', file };
      if (ktype === type) changed ??= { status: 'changed', file, line: i + 1 };
    }
  }
  return changed ?? { status: 'unknown' };
}

/** Records an accepted key in the user's first known_hosts file, creating it (0600) when needed. */
export function rememberHostKey(file: string, name: string, keyBlob: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // A file whose last line lacks its newline must not get our entry glued onto it.
  const sep = existsSync(file) && !/(^|\n)$/.test(readFileSync(file, 'utf8')) ? '\n' : '';
  appendFileSync(file, `${sep}${name} ${keyType(keyBlob)} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
}
