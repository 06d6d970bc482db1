import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { CertificateAuthority } from '../../tls/ca.ts';

/** State files of TLS interception (written at sandbox creation, see core/docker/tls-files.ts; the key last). */
export const CA_KEY_FILE = 'ca-key.pem';
export const CA_CERT_FILE = 'ca.pem';
export const UPSTREAM_CA_FILE = 'upstream-ca.pem';

const MAX_LEAVES = 256;

/**
 * The sandbox CA as the supervisor uses it: a server context per host (leaf minted on first use,
 * cached, 256 hosts then cleared, as upstream does) and one client context that verifies upstreams
 * against Node's roots plus the operator's extra CAs. Loaded lazily: the files may arrive after boot.
 */
export class TlsAuthority {
  private ca: CertificateAuthority | null = null;
  private readonly leaves = new Map<string, SecureContext>();
  private upstream: SecureContext | null = null;
  /** The `upstream-ca.pem` text the upstream context was built from ('' when absent). */
  private upstreamText = '';
  private gaveUp = false;

  constructor(private readonly stateDir: string) {}

  /** Null when this sandbox has no CA (made before interception existed, or its files are missing). */
  authority(): CertificateAuthority | null {
    if (this.ca) return this.ca;
    try {
      const keyPem = readFileSync(join(this.stateDir, CA_KEY_FILE), 'utf8');
      const certPem = readFileSync(join(this.stateDir, CA_CERT_FILE), 'utf8');
      this.ca = new CertificateAuthority({ keyPem, certPem });
    } catch {
      return null;
    }
    return this.ca;
  }

  /**
   * Waits (polling) for the CA files: at creation the gateway writes them while the pod starts, so the
   * very first intercepted connection may come before they land. Null after `timeoutMs`.
   */
  async ready(timeoutMs = 10_000): Promise<CertificateAuthority | null> {
    // A sandbox made before interception existed has no CA: after one full wait, later ones just look.
    const until = Date.now() + (this.gaveUp ? 0 : timeoutMs);
    for (;;) {
      const ca = this.authority();
      if (ca || Date.now() >= until) {
        this.gaveUp = ca === null;
        return ca;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The server-side context presenting a leaf for `host` (the CONNECT target, never the SNI). */
  secureContextFor(host: string): SecureContext | null {
    const hit = this.leaves.get(host);
    if (hit) return hit;
    const ca = this.authority();
    if (!ca) return null;
    const leaf = ca.leaf(host);
    const ctx = createSecureContext({ key: leaf.keyPem, cert: leaf.certPem, minVersion: 'TLSv1.2' });
    if (this.leaves.size >= MAX_LEAVES) this.leaves.clear();
    this.leaves.set(host, ctx);
    return ctx;
  }

  /** How upstream certificates are verified: Node's root store plus `upstream-ca.pem` when present. */
  upstreamContext(): SecureContext {
    if (this.upstream) return this.upstream;
    this.upstreamText = this.readUpstreamCa();
    const extra = this.upstreamText.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    this.upstream = createSecureContext({ ca: [...rootCertificates, ...extra], minVersion: 'TLSv1.2' });
    return this.upstream;
  }

  /**
   * Called when `upstream-ca.pem` may have changed (the gateway rewrites it in running sandboxes): a
   * changed text drops the context, so new upstream connections use the new CAs (open ones keep theirs).
   * Returns the number of certificates now trusted when it changed, else null.
   */
  refreshUpstream(): number | null {
    const text = this.readUpstreamCa();
    if (text === this.upstreamText) return null;
    this.upstreamText = text;
    this.upstream = null;
    return (text.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
  }

  private readUpstreamCa(): string {
    try {
      return readFileSync(join(this.stateDir, UPSTREAM_CA_FILE), 'utf8');
    } catch {
      return ''; // No operator CAs: the public roots only.
    }
  }
}
