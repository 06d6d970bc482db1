import type Docker from 'dockerode';
import { listPodParts } from '../docker/inventory.ts';
import type { InferenceService } from './inference-config.ts';
import type { GatewayStore } from './store.ts';
import type { GatewayStartOptions } from './types.ts';
import { setUpstreamCa } from './upstream-ca.ts';

/**
 * The gateway-level state `gateway start` settles on the Docker host, after the network and repairs:
 * `--upstream-ca` stored and pushed into every sandbox, and per-sandbox inference overrides of
 * sandboxes that no longer exist dropped (a delete that failed half-way, or one made by an older
 * client). Returns the lines to report.
 */
export async function settleGatewayState(docker: Docker, store: GatewayStore, inference: InferenceService, opts: GatewayStartOptions): Promise<string[]> {
  const notes: string[] = [];
  if (opts.upstreamCa !== undefined) {
    const r = await setUpstreamCa(docker, store, opts.upstreamCa);
    const where = r.delivered.length > 0 ? `; delivered to ${r.delivered.length} sandbox(es)` : '';
    notes.push(r.count === 0 ? `no extra upstream CAs trusted (public roots only)${where}` : `${r.count} upstream CA certificate(s) trusted: ${r.subjects.join('; ')}${where}`);
    for (const u of r.undelivered) notes.push(`sandbox ${u.sandbox}: the upstream CAs could not be written (${u.error}); it gets them on the next \`gateway start --upstream-ca\``);
  }
  const existing = new Set((await listPodParts(docker)).map((p) => p.name));
  const dropped = await inference.pruneOverrides(existing);
  if (dropped.length > 0) notes.push(`dropped inference overrides of deleted sandbox(es): ${dropped.join(', ')}`);
  return notes;
}
