import { relay } from '../relay.ts';
import { isTlsHello, peek } from '../tls/terminate.ts';
import { resolvePlaceholders, type PlaceholderTable } from './placeholders.ts';
import { describeTable, loadPlaceholders, watchPlaceholders } from './placeholders-file.ts';
import { plainHttpGuard, type PlainGuard } from './placeholders-plain.ts';
import { policyDecider } from './policy.ts';
import { interceptTunnel, policyInterceptor, type Interceptor, type L7Deps, type TunnelStage } from './tunnel.ts';
import type { InspectHooks } from './types.ts';

/** A client that says nothing this long after `200` speaks a server-first protocol: not HTTP, relay it. */
const SILENT_MS = 500;

/** An HTTP/1.x request line begins with a method token and a space. */
const looksLikeHttp = (b: Buffer): boolean => /^[A-Z][A-Z-]{1,15} /.test(b.subarray(0, 17).toString('latin1'));

/**
 * The supervisor's proxy stages: with `providers.json` on the state volume, the credential interceptor
 * and plain-HTTP guard (a line names the providers and keys, never values); without, the policy's own
 * interceptor. A broken file throws: the supervisor stops rather than run without its credential guard.
 * The file is followed afterwards; a broken rewrite empties the table (every placeholder refused).
 */
export function sandboxStages(stateDir: string, deps: L7Deps): { intercept: Interceptor; plainGuard?: PlainGuard } {
  const table = loadPlaceholders(stateDir);
  if (!table) return { intercept: policyInterceptor(deps) };
  deps.events.line({ type: 'providers', ...describeTable(table) });
  // A provider replaced or deleted on the gateway reaches this sandbox's next request.
  watchPlaceholders(stateDir, table, (change) => deps.events.line({ type: 'providers', ...change }));
  return { intercept: credentialInterceptor(deps, table), plainGuard: plainHttpGuard(table, deps.events) };
}

/**
 * The interceptor of a sandbox with providers. Every TLS or HTTP tunnel is inspected, not only the
 * policy's REST endpoints, so a placeholder sent to any host is seen: on the provider's hosts it becomes
 * the secret (after the policy allowed the request), elsewhere the request is refused. Endpoints with
 * `tls: skip` and tunnels that carry another protocol (ssh, databases) are relayed untouched.
 */
export function credentialInterceptor(deps: L7Deps, table: PlaceholderTable): Interceptor {
  const transform: InspectHooks['transform'] = (req) => resolvePlaceholders(req, table);
  return (t) => {
    if (!t.identity.ok || t.decision.endpoint.tls === 'skip') return null;
    if (t.decision.inspect) return interceptTunnel(t, deps, { decide: policyDecider(deps.enforcer, t.identity, t.decision), transform });
    return sniffThen(interceptTunnel(t, deps, { transform }));
  };
}

/** Runs `stage` when the tunnel's first bytes are TLS or HTTP; otherwise joins the sockets as connect.ts would. */
function sniffThen(stage: TunnelStage): TunnelStage {
  return (client, upstream, head, done) => {
    const first = head.length > 0 ? Promise.resolve(head) : peek(client, SILENT_MS);
    void first.then((b) => {
      if (b && (isTlsHello(b) || looksLikeHttp(b))) return stage(client, upstream, head, done);
      if (head.length > 0) upstream.write(head);
      relay(client, upstream, done);
      client.resume();
    });
  };
}
