import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { InferenceService } from '../../../core/gateway/inference-config.ts';
import type { GatewayStore, StoredDoc } from '../../../core/gateway/store.ts';
import { EMPTY_CONFIG, type InferenceConfig } from '../../../core/inference/types.ts';

// Overrides of sandboxes that are gone are dropped; when there is nothing to drop, the document is not
// even locked (a delete or a `gateway start` costs one read).
function memoryStore(value: InferenceConfig): { store: GatewayStore; writes: () => number; value: () => InferenceConfig | null } {
  let doc: InferenceConfig | null = value;
  let writes = 0;
  const store = {
    readDoc: <T>(): Promise<StoredDoc<T>> => Promise.resolve({ value: doc as T | null, revision: 1 }),
    updateDoc: <T, R>(_name: string, change: (c: T | null) => { value: T | null; result: R }): Promise<R> => {
      writes++;
      const r = change(doc as T | null);
      doc = r.value as InferenceConfig | null;
      return Promise.resolve(r.result);
    },
  } as unknown as GatewayStore;
  return { store, writes: () => writes, value: () => doc };
}

const withOverrides: InferenceConfig = {
  ...EMPTY_CONFIG,
  routes: [{ alias: 'fast', backends: [] }],
  sandboxes: { live: { budget: { limitUsd: 1, whenExhausted: 'deny' } }, gone: { policy: 'version: 1\nrules: []\n' }, 'also-gone': { routes: [] } },
};

const service = (store: GatewayStore): InferenceService => new InferenceService({} as Docker, store, () => Promise.resolve({}));

describe('per-sandbox overrides after their sandbox', () => {
  it('prunes every override of a sandbox that does not exist, keeping the live ones and the rest', async () => {
    const m = memoryStore(withOverrides);
    expect(await service(m.store).pruneOverrides(new Set(['live', 'unrelated']))).toEqual(['gone', 'also-gone']);
    expect(m.value()).toEqual({ ...withOverrides, sandboxes: { live: withOverrides.sandboxes!.live } });
  });

  it('forgets one deleted sandbox; drops the `sandboxes` key when none is left', async () => {
    const m = memoryStore({ ...EMPTY_CONFIG, sandboxes: { only: { routes: [] } } });
    expect(await service(m.store).forgetSandbox('only')).toBe(true);
    expect(m.value()).toEqual(EMPTY_CONFIG);
  });

  it('does not write when there is nothing to drop', async () => {
    const m = memoryStore(withOverrides);
    expect(await service(m.store).forgetSandbox('never-had-one')).toBe(false);
    expect(await service(m.store).pruneOverrides(new Set(['live', 'gone', 'also-gone']))).toEqual([]);
    expect(m.writes()).toBe(0);
  });
});
