import type Docker from 'dockerode';
import { containerName } from '../docker/labels.ts';
import { listPodParts, toSandbox } from '../docker/inventory.ts';
import { readStateFile, writeStateFiles } from '../docker/policy-volume.ts';
import { parseProvidersFile, PROVIDERS_FILE, type ProvidersFile } from '../supervisor/l7/placeholders-file.ts';
import type { PlaceholderEntry } from '../supervisor/l7/placeholders.ts';
import type { ProviderRecord } from './providers.ts';
import { PROVIDERS_DOC } from './providers-ops.ts';
import { ensureStateImage, STATE_IMAGE, type GatewayStore } from './store.ts';
import { withStoreLock } from './store-lock.ts';

/**
 * A provider replaced (`provider create --replace`) or deleted reaches the sandboxes bound to it: their
 * `providers.json` is rewritten on the state volume (archive API, root 0600) with the same placeholders
 * — the agent's environment cannot change — and the new values, or without the deleted provider's
 * entries, so a revoked credential stops being sent at the supervisor's next request (it follows the
 * file, core/supervisor/l7/placeholders-file.ts). A key the provider no longer has is dropped; a key
 * it gained cannot reach a sandbox made before (its environment is fixed at creation) and is reported.
 */

export interface ProviderDelivery {
  /** Sandboxes whose supervisor has the new values (or no longer has the deleted ones). */
  readonly updated: readonly string[];
  /** `sandbox: '*'` when the delivery failed as a whole (the engine did not answer). */
  readonly failed: readonly { readonly sandbox: string; readonly error: string }[];
  /** Keys the provider has now that sandboxes created before it changed do not hold a placeholder for. */
  readonly missingKeys: readonly { readonly sandbox: string; readonly keys: readonly string[] }[];
}

/** The entries of one sandbox after `name` changed to `record` (null: deleted); placeholders unchanged. */
export function rebind(entries: readonly PlaceholderEntry[], name: string, record: ProviderRecord | null): { entries: PlaceholderEntry[]; missing: string[] } {
  const out: PlaceholderEntry[] = [];
  for (const e of entries) {
    if (e.provider !== name) out.push(e);
    else if (record && e.key in record.credentials) out.push({ ...e, secret: record.credentials[e.key]!, hosts: [...record.hosts] });
  }
  const held = new Set(entries.filter((e) => e.provider === name).map((e) => e.key));
  const missing = record ? Object.keys(record.credentials).filter((k) => !held.has(k)) : [];
  return { entries: out, missing };
}

export async function deliverProvider(docker: Docker, name: string, record: ProviderRecord | null): Promise<ProviderDelivery> {
  const bound = (await listPodParts(docker)).filter((p) => toSandbox(p).providers?.includes(name));
  const results = await Promise.all(
    bound.map(async (parts) => {
      const sandbox = parts.name;
      try {
        const supervisor = docker.getContainer(containerName(sandbox, 'supervisor'));
        const text = await readStateFile(supervisor, PROVIDERS_FILE);
        if (text === null) return { sandbox, missing: [] as string[] };
        const { entries, missing } = rebind(parseProvidersFile(text).entries, name, record);
        const file: ProvidersFile = { version: 1, placeholders: entries };
        await writeStateFiles(supervisor, [{ name: PROVIDERS_FILE, text: JSON.stringify(file) + '\n' }]);
        return { sandbox, missing };
      } catch (err) {
        return { sandbox, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  return {
    updated: results.flatMap((r) => ('error' in r ? [] : [r.sandbox])),
    failed: results.flatMap((r) => ('error' in r && r.error !== undefined ? [{ sandbox: r.sandbox, error: r.error }] : [])),
    missingKeys: results.flatMap((r) => ('missing' in r && r.missing && r.missing.length > 0 ? [{ sandbox: r.sandbox, keys: r.missing }] : [])),
  };
}

/** Deliveries run one at a time per Docker host; each reads the provider as stored when it starts. */
const DELIVERY_LOCK = 'openshell-providers-delivery-lock';

/**
 * Delivers what the store holds for `name` now (so of two changes racing, the later delivery always
 * carries the later value) to every sandbox bound to it, under a lock shared by all clients of the host.
 */
export async function deliverLatest(docker: Docker, store: GatewayStore, name: string): Promise<ProviderDelivery> {
  await ensureStateImage(docker);
  return withStoreLock(docker, { name: DELIVERY_LOCK, image: STATE_IMAGE, staleMs: 60_000 }, async () => {
    const doc = await store.readDoc<{ providers?: Record<string, ProviderRecord> }>(PROVIDERS_DOC);
    return deliverProvider(docker, name, doc.value?.providers?.[name] ?? null);
  });
}
