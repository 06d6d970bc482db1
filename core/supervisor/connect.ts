import type { Socket } from 'node:net';
import { admit, type AdmitDeps } from './admit.ts';
import { sendDeny } from './deny.ts';
import { trackFlow, type FlowRegistry } from './flows.ts';
import { MAX_CONNECT_HEAD, parseConnectTarget } from './head.ts';
import type { IdentityResult } from './identity.ts';
import type { Interceptor } from './l7/tunnel.ts';
import type { PlainGuard } from './l7/placeholders-plain.ts';
import { INFERENCE_HOST, type InferenceEndpoint } from './inference/endpoint.ts';
import { relay, type RelayStats } from './relay.ts';
import type { SpliceHelper } from './splice/splice-helper.ts';

export interface TunnelDeps extends AdmitDeps {
  readonly flows: FlowRegistry;
  /** Takes over tunnels that are inspected per request (L7, credential rewriting); others are relayed. */
  readonly intercept?: Interceptor;
  /** The privacy router: answers inference.local before (and instead of) policy evaluation. */
  readonly inference?: InferenceEndpoint;
  /** With providers: refuses absolute-form plain HTTP that carries a credential placeholder (l7/placeholders-plain.ts). */
  readonly plainGuard?: PlainGuard;
  /** Takes bulk tunnels over (splice(2) in a helper); null or absent: every byte is relayed in Node. */
  readonly splice?: SpliceHelper | null;
}

/**
 * `CONNECT host:port`: admit, answer 200, then relay bytes until both sides close. `headBytes` is the
 * size of the request head as received; `head`, what the client sent after it. The caller has given
 * `client` an error listener that destroys it.
 */
export async function handleConnect(target: string, headBytes: number, client: Socket, head: Buffer, identity: IdentityResult, deps: TunnelDeps): Promise<void> {
  if (headBytes > MAX_CONNECT_HEAD)
    return sendDeny(client, 431, { error: 'headers_too_large', detail: `CONNECT request head exceeds ${MAX_CONNECT_HEAD} bytes` });
  const parsed = parseConnectTarget(target);
  if ('error' in parsed) return sendDeny(client, 400, { error: 'bad_request', detail: parsed.error });
  const { host, port } = parsed;
  if (deps.inference && host === INFERENCE_HOST) return deps.inference.connect(client, head, identity, port);
  // Bytes the client sends before the answer (TLS ClientHello) wait in the socket, not in memory.
  client.pause();
  const a = await admit({ what: `CONNECT ${host}:${port}`, host, port, identity }, deps);
  if (!a.ok) return sendDeny(client, a.status, a.body);
  if (client.destroyed) {
    a.upstream.destroy();
    deps.events.flowEnd(a.seq, { bytesIn: 0, bytesOut: 0, durationMs: 0, reason: 'the client left before the tunnel opened' });
    return;
  }
  // The answer first: what follows (in the same tick, so no revision can come between) overlaps the client's next step.
  client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  const flow = trackFlow(deps.flows, { host, port, ip: a.ip, binary: identity.binary, ancestors: identity.ancestors ?? [] }, [client, a.upstream]);
  const onDone = (stats: RelayStats): void => {
    flow.unregister();
    const revoked = flow.revoked();
    deps.events.flowEnd(a.seq, { ...stats, ...(revoked === undefined ? {} : { reason: revoked }) });
  };
  const stage = deps.intercept?.({ host, port, identity, decision: a.decision });
  if (stage) return stage(client, a.upstream, head, onDone);
  if (head.length > 0) a.upstream.write(head);
  relay(client, a.upstream, onDone, { splice: deps.splice });
  client.resume();
}
