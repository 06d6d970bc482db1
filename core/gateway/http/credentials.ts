import { chmodSync, mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** A served gateway's token as the client keeps it: only for the URL it was issued by. */
export interface Credential {
  readonly token: string;
  /** The gateway URL the token was issued by; a token is never sent anywhere else. */
  readonly url: string;
  readonly tokenId?: string;
  readonly subject?: string;
  readonly expiresAt?: string;
  readonly savedAt?: string;
}

/** The client config dir: OPENSHELL_CONFIG_DIR, else $XDG_CONFIG_HOME/openshell, else ~/.config/openshell. */
export function configDir(): string {
  const override = process.env.OPENSHELL_CONFIG_DIR;
  if (override) return override;
  const xdg = process.env.XDG_CONFIG_HOME;
  return join(xdg ? xdg : join(homedir(), '.config'), 'openshell');
}

/** `gateways/<name>/token.json` under the config dir. */
export function credentialPath(gatewayName: string): string {
  if (!/^[a-z0-9-]{1,48}$/.test(gatewayName)) throw new Error(`invalid gateway name ${gatewayName}`);
  return join(configDir(), 'gateways', gatewayName, 'token.json');
}

/**
 * The stored token of a gateway, or undefined. With `url`, a token issued by another URL (the name was
 * re-registered elsewhere) is not returned, so it cannot leak to a different server.
 */
export function readCredential(gatewayName: string, url?: string): Credential | undefined {
  let parsed: Partial<Credential>;
  try {
    parsed = JSON.parse(readFileSync(credentialPath(gatewayName), 'utf8')) as Partial<Credential>;
  } catch {
    return undefined;
  }
  if (typeof parsed.token !== 'string' || typeof parsed.url !== 'string') return undefined;
  if (url !== undefined && sameUrl(url, parsed.url) === false) return undefined;
  return parsed as Credential;
}

/** Writes the token with mode 0600 in a 0700 directory, atomically (never a half-written file). */
export function saveCredential(gatewayName: string, cred: Credential): void {
  const file = credentialPath(gatewayName);
  const dir = join(file, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...cred, savedAt: new Date().toISOString() }, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Removes the token (and the gateway's folder when nothing else is in it); true when there was one. */
export function deleteCredential(gatewayName: string): boolean {
  const file = credentialPath(gatewayName);
  const had = readCredential(gatewayName) !== undefined;
  rmSync(file, { force: true });
  try {
    rmdirSync(join(file, '..'));
  } catch {
    // not empty or already gone: either is fine
  }
  return had;
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
