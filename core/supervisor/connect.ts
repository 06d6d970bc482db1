import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { admit, type AdmitDeps } from './admit.ts';
import { sendDeny } from './deny.ts';
import { trackFlow, type FlowRegistry } from './flows.ts';
import { headSize, MAX_CONNECT_HEAD, parseConnectTarget } from './head.ts';
import type { IdentityResult } from './identity.ts';
import { relay } from './relay.ts';

export interface TunnelDeps extends AdmitDeps {
  readonly flows: FlowRegistry;
}

/** `CONNECT host:port`: admit, answer 200, then relay bytes until both sides close. */
export async function handleConnect(req: IncomingMessage, client: Socket, head: Buffer, identity: IdentityResult, deps: TunnelDeps): Promise<void> {
  client.on('error', () => client.destroy());
  const target = req.url ?? '';
  if (headSize(req.method ?? 'CONNECT', target, req.rawHeaders) > MAX_CONNECT_HEAD)
    return sendDeny(client, 431, { error: 'headers_too_large', detail: `CONNECT request head exceeds ${MAX_CONNECT_HEAD} bytes` });
  const parsed = parseConnectTarget(target);
  if ('error' in parsed) return sendDeny(client, 400, { error: 'bad_request', detail: parsed.error });
  const { host, port } = parsed;
  // Bytes the client sends before the answer (TLS ClientHello) wait in the socket, not in memory.
  client.pause();
  const a = await admit({ what: `CONNECT ${host}:${port}`, host, port, identity }, deps);
  if (!a.ok) return sendDeny(client, a.status, a.body);
  if (client.destroyed) {
    a.upstream.destroy();
    deps.events.flowEnd(a.seq, { bytesIn: 0, bytesOut: 0, durationMs: 0, reason: 'the client left before the tunnel opened' });
    return;
  }
  const flow = trackFlow(deps.flows, { host, port, ip: a.ip, binary: identity.binary, ancestors: identity.ancestors ?? [] }, [client, a.upstream]);
  client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  if (head.length > 0) a.upstream.write(head);
  relay(client, a.upstream, (stats) => {
    flow.unregister();
    const revoked = flow.revoked();
    deps.events.flowEnd(a.seq, { ...stats, ...(revoked === undefined ? {} : { reason: revoked }) });
  });
  client.resume();
}
