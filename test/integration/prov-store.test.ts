import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { pack } from 'tar-stream';
import { dockerClient } from '../../core/docker/client.ts';
import { GatewayStore, StoreConflictError, STATE_IMAGE, type StoreOptions } from '../../core/gateway/store.ts';
import { StoreBusyError } from '../../core/gateway/store-lock.ts';

/** The gateway store on a real engine, under names of its own so the user's store is never touched. */

const docker = dockerClient();
const id = randomBytes(3).toString('hex');
const opts: StoreOptions = { volume: `prov-it-${id}-vol`, container: `prov-it-${id}-state`, lock: { name: `prov-it-${id}-lock` } };
const store = (o: Partial<StoreOptions> = {}): GatewayStore => new GatewayStore(docker, { ...opts, ...o });

async function rootShell(script: string): Promise<string> {
  const c = await docker.createContainer({ Image: 'openshell/sandbox:latest', User: '0', Cmd: ['sh', '-c', script], HostConfig: { Binds: [`${opts.volume}:/s`] } });
  try {
    const stream = await c.attach({ stream: true, stdout: true, stderr: true });
    const chunks: Buffer[] = [];
    stream.on('data', (b: Buffer) => chunks.push(b));
    await c.start();
    await c.wait();
    return Buffer.concat(chunks).toString('latin1');
  } finally {
    await c.remove({ force: true });
  }
}

afterAll(async () => {
  for (const name of [opts.container, opts.lock.name]) await docker.getContainer(name).remove({ force: true }).catch(() => undefined);
  await docker.getVolume(opts.volume).remove().catch(() => undefined);
});

describe('gateway store (documents on the Docker host)', () => {
  it('reads what another client wrote, with increasing revisions; null deletes', async () => {
    const a = store();
    expect(await a.readDoc('things')).toEqual({ value: null, revision: 0 });
    expect(await a.writeDoc('things', { n: 1 }, { expectRevision: 0 })).toBe(1);
    expect(await a.writeDoc('things', { n: 2 }, { expectRevision: 1 })).toBe(2);
    // A second client (a fresh object, as another process would have) sees the same truth.
    expect(await store().readDoc('things')).toEqual({ value: { n: 2 }, revision: 2 });
    await a.writeDoc('things', null, { expectRevision: 2 });
    expect(await store().readDoc('things')).toEqual({ value: null, revision: 3 });
  });

  it('refuses a write based on a stale read instead of overwriting it', async () => {
    const a = store();
    const b = store();
    const seen = await a.readDoc('shared');
    await b.writeDoc('shared', { by: 'b' }, { expectRevision: seen.revision });
    await expect(a.writeDoc('shared', { by: 'a' }, { expectRevision: seen.revision })).rejects.toBeInstanceOf(StoreConflictError);
    expect((await a.readDoc('shared')).value).toEqual({ by: 'b' });
  });

  it('loses no update when two clients change one document at the same time', async () => {
    const bump = (s: GatewayStore): Promise<void> =>
      s.updateDoc<{ n: number }, void>('counter', (cur) => ({ value: { n: (cur?.n ?? 0) + 1 }, result: undefined }));
    const a = store();
    const b = store();
    await Promise.all([...Array.from({ length: 4 }, () => bump(a)), ...Array.from({ length: 4 }, () => bump(b))]);
    expect((await store().readDoc('counter')).value).toEqual({ n: 8 });
  });

  it('keeps files root-only (0600 in a 0700 folder) and nothing in the container config', async () => {
    await store().writeDoc('secret', { token: `tok-${id}` }, { expectRevision: 0 });
    const listing = await rootShell('stat -c "%a %u %n" /s /s/*');
    expect(listing).toContain('700 0 /s\n');
    expect(listing).toMatch(/600 0 \/s\/secret\.1\.json/);
    expect(listing).not.toMatch(/^(?!600|700)\d+ /m);
    const inspect = JSON.stringify(await docker.getContainer(opts.container).inspect());
    expect(inspect).not.toContain(`tok-${id}`);
    expect(inspect).toContain('"NetworkMode":"none"');
  });

  it('never returns a torn document: a broken newest slot yields the previous revision', async () => {
    const s = store();
    await s.writeDoc('torn', { v: 'good' }, { expectRevision: 0 });
    // Revision 2 goes to slot 2; a half-written file there must not be read.
    const tar = pack();
    tar.entry({ name: 'torn.2.json', mode: 0o600 }, '{"revision":2,"value":{"v":"ha');
    tar.finalize();
    const chunks: Buffer[] = [];
    for await (const c of tar) chunks.push(c as Buffer);
    await docker.getContainer(opts.container).putArchive(Buffer.concat(chunks), { path: '/state' });
    expect(await s.readDoc('torn')).toEqual({ value: { v: 'good' }, revision: 1 });
  });

  it('comes back when its container was pruned', async () => {
    await docker.getContainer(opts.container).remove({ force: true });
    // The volume (and its documents) survive; the container is made again on use.
    expect((await store().readDoc('things')).revision).toBe(3);
  });

  it('takes over a lock left by a client that died, and says who holds a live one', async () => {
    const lock = { name: opts.lock.name };
    await docker.createContainer({ name: lock.name, Image: STATE_IMAGE, Labels: { 'openshell.ai/lock-holder': 'ghost:1' }, HostConfig: { NetworkMode: 'none' } });
    const busy = store({ lock: { ...lock, waitMs: 300 } }).writeDoc('locked', 1, { expectRevision: 0 });
    await expect(busy).rejects.toBeInstanceOf(StoreBusyError);
    const err = (await busy.catch((e: unknown) => e)) as StoreBusyError;
    expect(err.message).toBe('the gateway state is locked by ghost:1');
    expect(err.hint).toContain(`docker rm -f ${lock.name}`);
    // A waiter takes it over once it is older than staleMs (engine clock first, then its own while waiting).
    await docker.getContainer(lock.name).remove({ force: true });
    await docker.createContainer({ name: lock.name, Image: STATE_IMAGE, Labels: { 'openshell.ai/lock-holder': 'ghost:2' }, HostConfig: { NetworkMode: 'none' } });
    const started = Date.now();
    expect(await store({ lock: { ...lock, staleMs: 1500 } }).writeDoc('locked', 1, { expectRevision: 0 })).toBe(1);
    expect(Date.now() - started).toBeGreaterThan(1000);
    await expect(docker.getContainer(lock.name).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
