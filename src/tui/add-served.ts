import { UsageError } from '../../core/errors.ts';
import { saveCredential } from '../../core/gateway/http/credentials.ts';
import { checkGateway, noBrowserFromEnv, parseGatewayUrl, signIn } from '../../core/gateway/http/login.ts';
import { peekCertificate } from '../../core/gateway/http/login-http.ts';
import { type GatewayRegistry, type HttpsEntry, nameFromHost } from '../../core/gateway/registry.ts';
import type { Connecting } from '../../components/gateway-directory.ts';

/**
 * `a` with an https:// URL in the TUI, as `openshell gateway add`: the certificate is confirmed like an
 * SSH host key (unless a CA vouches for it), sign-in progress and the device code go to the message
 * line, and only a completed sign-in registers the gateway; aborting `signal` (Esc) stops the wait.
 */
export async function addServed(registry: GatewayRegistry, target: string, how: Connecting, signal?: AbortSignal): Promise<HttpsEntry> {
  const url = parseGatewayUrl(target);
  const name = nameFromHost(new URL(url).hostname);
  if (registry.find(name)) throw new UsageError(`a gateway named \`${name}\` is already registered`, 'remove it first with x');
  const seen = await peekCertificate(url);
  let fingerprint: string | undefined;
  if (!seen.caTrusted) {
    const trusted = await how.trustHostKey({ host: new URL(url).host, type: 'TLS certificate', fingerprint: seen.fingerprint });
    if (!trusted) throw new UsageError(`certificate of ${url} not trusted; nothing was registered`);
    fingerprint = seen.fingerprint;
  }
  const trust = { fingerprint };
  await checkGateway(url, trust);
  const cred = await signIn({ url, trust, browser: noBrowserFromEnv() ? 'never' : 'auto', progress: (m) => how.progress(m), ...(signal ? { signal } : {}) });
  signal?.throwIfAborted();
  const entry = registry.addHttps({ name, url, ...(fingerprint === undefined ? {} : { fingerprint }) });
  saveCredential(name, cred);
  how.progress(`signed in to ${name} as ${cred.subject ?? 'this client'}`);
  return entry;
}
