import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertDockerReachable, dockerClient, tolerate } from '../../core/docker/client.ts';
import { buildFromContext, findImage } from '../../core/docker/images/docker-ops.ts';
import type { EnsuredImages, ImageProgress } from '../../core/docker/images/index.ts';
import { ImageBuildError, ensureImages, imageHashes, supervisorBundle } from '../../core/docker/images/index.ts';
import { ensureRootfsTarball } from '../../core/docker/images/rootfs.ts';
import { ImageError } from '../../core/errors.ts';

const docker = dockerClient();

/** Runs a command in a throwaway container and returns its exit code and output. */
async function runIn(image: string, cmd: string[], entrypoint?: string[]): Promise<{ code: number; out: string }> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    Tty: true,
    ...(entrypoint ? { Entrypoint: entrypoint } : {}),
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    return { code: StatusCode, out: logs.toString('utf8').replace(/\r/g, '') };
  } finally {
    await tolerate([404], () => container.remove({ force: true }));
  }
}

describe('openshell images (registry-free build)', () => {
  let images: EnsuredImages;
  const events: ImageProgress[] = [];

  beforeAll(async () => {
    await assertDockerReachable(docker);
  });

  it('builds (or finds) the supervisor and sandbox images, tagged by content hash', { timeout: 900_000 }, async () => {
    images = await ensureImages(docker, { onProgress: (e) => events.push(e) });
    for (const kind of ['supervisor', 'sandbox'] as const) {
      const ref = images[kind];
      expect(ref.tag).toBe(`openshell/${kind}:${ref.hash.slice(0, 12)}`);
      const info = await docker.getImage(ref.tag).inspect();
      expect(info.Config.Labels?.['openshell.ai/content-hash']).toBe(ref.hash);
      expect(await findImage(docker, `openshell/${kind}:latest`)).toBe(ref.id);
    }
    // A build that ran reports numbered steps; a cached one reports nothing.
    for (const e of events) expect(e.index).toBeGreaterThanOrEqual(1);
  });

  it('reuses the images on a second call without any build work', async () => {
    const seen: ImageProgress[] = [];
    const started = performance.now();
    const again = await ensureImages(docker, { onProgress: (e) => seen.push(e) });
    const elapsed = performance.now() - started;
    expect(again.supervisor).toEqual({ ...images.supervisor, cached: true });
    expect(again.sandbox).toEqual({ ...images.sandbox, cached: true });
    expect(seen).toEqual([]);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('moves `:latest` back to its images when another version or checkout took it', async () => {
    // Another build's image under our `:latest`: the sandbox image stands in for a supervisor of another version.
    await docker.getImage(images.sandbox.id).tag({ repo: 'openshell/supervisor', tag: 'latest' });
    expect(await findImage(docker, 'openshell/supervisor:latest')).toBe(images.sandbox.id);
    const again = await ensureImages(docker);
    expect(again.supervisor.cached).toBe(true);
    expect(await findImage(docker, 'openshell/supervisor:latest')).toBe(images.supervisor.id);
  });

  it('sandbox image: runs as uid 1000 in /sandbox with the promised tools', async () => {
    const script = 'id; echo "HOME=$HOME"; pwd; curl --version; git --version; python3 --version; node --version; ps -p 1 -o comm=';
    const { code, out } = await runIn(images.sandbox.tag, ['bash', '-c', script]);
    expect(out).toContain('uid=1000(sandbox) gid=1000(sandbox)');
    expect(out).toContain('HOME=/sandbox\n/sandbox\n');
    expect(out).toMatch(/^curl \d/m);
    expect(out).toMatch(/^git version \d/m);
    expect(out).toMatch(/^Python 3\.\d+/m);
    expect(out).toMatch(/^v18\.\d+/m);
    expect(code).toBe(0);
    const owner = await runIn(images.sandbox.tag, ['stat', '-c', '%u:%g', '/sandbox']);
    expect(owner.out.trim()).toBe('1000:1000');
  });

  it('supervisor image: node and iptables work, the bundle is at its entrypoint path', async () => {
    const script = 'node --version && iptables --version && node --check /opt/openshell/supervisor.mjs && wc -c < /opt/openshell/supervisor.mjs';
    const { code, out } = await runIn(images.supervisor.tag, ['-c', script], ['sh']);
    expect(out).toMatch(/^v18\.\d+/m);
    expect(out).toMatch(/^iptables v1\.\d+/m);
    expect(out).toContain(`${(await supervisorBundle()).length}\n`);
    expect(code).toBe(0);
    const info = await docker.getImage(images.supervisor.tag).inspect();
    expect(info.Config.Entrypoint).toEqual(['node', '/opt/openshell/supervisor.mjs']);
  });

  describe('with a throwaway supervisor source', () => {
    let dir: string;
    const extraTags: string[] = [];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'openshell-images-'));
    });
    afterAll(async () => {
      for (const tag of extraTags) await tolerate([404, 409], () => docker.getImage(tag).remove({ force: true }));
      await rm(dir, { recursive: true, force: true });
    });

    it('two concurrent builds share one result and one of them waits', { timeout: 600_000 }, async () => {
      const entry = join(dir, 'main.ts');
      await writeFile(entry, `console.log('throwaway supervisor ${Date.now()}');\n`);
      const progress: ImageProgress[] = [];
      const [a, b] = await Promise.all([
        ensureImages(docker, { supervisorEntry: entry, onProgress: (e) => progress.push(e) }),
        ensureImages(docker, { supervisorEntry: entry }),
      ]);
      extraTags.push(a.supervisor.tag);
      expect(a.supervisor.id).toBe(b.supervisor.id);
      expect([a.supervisor.cached, b.supervisor.cached].sort()).toEqual([false, true]);
      // Only the supervisor changed, so the sandbox is the very image built above.
      expect(a.sandbox).toEqual({ ...images.sandbox, cached: true });
      expect(b.sandbox.id).toBe(images.sandbox.id);
      const { out } = await runIn(a.supervisor.tag, []);
      expect(out).toContain('throwaway supervisor');
      // `:latest` should point at the real build again for anyone using it after this test.
      await docker.getImage(images.supervisor.id).tag({ repo: 'openshell/supervisor', tag: 'latest' });
      if (!a.supervisor.cached) expect(progress.some((e) => e.step === 'supervisor')).toBe(true);
    });

    it('a supervisor that does not bundle fails with an ImageError naming the file', async () => {
      const entry = join(dir, 'broken.ts');
      await writeFile(entry, 'export const = ;\n');
      const failure = ensureImages(docker, { supervisorEntry: entry });
      await expect(failure).rejects.toBeInstanceOf(ImageError);
      await expect(failure).rejects.toThrow(/bundle.*broken\.ts/s);
    });

    it('a failed build step reports the tool output and leaves no tagged image', async () => {
      const base = `openshell/base:${imageHashes('debootstrap', await supervisorBundle()).base.slice(0, 12)}`;
      const tag = `openshell/broken:${Date.now()}`;
      const dockerfile = `FROM ${base}\nRUN echo about-to-fail && false\n`;
      const build = buildFromContext(docker, { Dockerfile: dockerfile }, {
        tag,
        labels: {},
        buildargs: {},
        nocache: true,
        onLine: () => undefined,
      });
      await expect(build).rejects.toThrow(/returned a non-zero code/);
      expect(await findImage(docker, tag)).toBeUndefined();
    });
  });

  it('a failing debootstrap reports its step and last lines, and caches nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openshell-debootstrap-'));
    const fake = join(dir, 'bin', 'debootstrap');
    await mkdir(join(dir, 'bin'));
    await writeFile(fake, '#!/bin/sh\necho "I: Retrieving InRelease"\necho "E: Failed getting release file" >&2\nexit 1\n');
    await chmod(fake, 0o755);
    const savedPath = process.env.PATH;
    process.env.PATH = `${join(dir, 'bin')}:${savedPath ?? ''}`;
    try {
      const cacheDir = join(dir, 'cache');
      const err: unknown = await ensureRootfsTarball({ cacheDir, hash: 'f'.repeat(64), onLine: () => undefined }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ImageBuildError);
      expect((err as ImageBuildError).step).toBe('debootstrap');
      expect((err as ImageBuildError).message).toContain('E: Failed getting release file');
      expect(await readdir(join(cacheDir, 'rootfs'))).toEqual([]);
      expect(await readdir(join(cacheDir, 'tmp'))).toEqual([]);
    } finally {
      process.env.PATH = savedPath;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
