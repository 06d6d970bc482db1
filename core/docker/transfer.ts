import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageError } from '../errors.ts';
import type { DockerClient } from './client.ts';
import { dockerStatus } from './client.ts';
import { ensureImages, REPOSITORIES } from './images/index.ts';
import { shortHash } from './images/inputs.ts';
import type { EnsuredImages, ImageKind } from './images/index.ts';
import { followJson } from './images/docker-ops.ts';

export interface TransferOptions {
  readonly onProgress?: (message: string) => void;
  /** Minimum milliseconds between two byte-progress lines. */
  readonly progressEveryMs?: number;
}

/** `GET /images/get?names=…` (`docker save` of several images): in dockerode, missing from its types. */
interface ImageSaver {
  getImages(opts: { names: string[] }): Promise<NodeJS.ReadableStream>;
}

const KINDS: readonly ImageKind[] = ['supervisor', 'sandbox'];
/** Set by `buildLayer` on our images (core/docker/images/layers.ts). */
const BASE_HASH_LABEL = 'openshell.ai/base-hash';
const mb = (n: number): string => `${(n / 1024 ** 2).toFixed(0)} MB`;

async function imageSize(docker: DockerClient, tag: string): Promise<number | undefined> {
  try {
    return (await docker.getImage(tag).inspect()).Size;
  } catch (err) {
    if (dockerStatus(err) === 404) return undefined;
    throw err;
  }
}

/** The base image our layers were built on, named by the label `buildLayer` puts on them. */
async function baseTagOf(docker: DockerClient, tag: string): Promise<string | undefined> {
  const labels = (await docker.getImage(tag).inspect()).Config.Labels ?? {};
  const hash = labels[BASE_HASH_LABEL];
  return hash === undefined ? undefined : `${REPOSITORIES.base}:${shortHash(hash)}`;
}

/**
 * Our images on a remote engine without any registry. When the remote has our base image, the missing
 * layers are built there (a few kilobytes of context cross the wire); otherwise the images are built
 * (or found) here and `docker save` is streamed straight into `docker load` there, with the base tag,
 * in one archive so the shared base layer crosses once. Tags the remote already has are skipped.
 */
export async function ensureRemoteImages(local: DockerClient, remote: DockerClient, opts: TransferOptions = {}): Promise<EnsuredImages> {
  const say = opts.onProgress ?? (() => undefined);
  const built = await ensureImages(local, { onProgress: (e) => say(`[local images ${e.index}/${e.total}] ${e.step}: ${e.message}`) });
  const missing: string[] = [];
  for (const kind of KINDS) {
    const tag = built[kind].tag;
    if ((await imageSize(remote, tag)) === undefined) missing.push(tag);
    else say(`remote already has ${tag}`);
  }
  if (missing.length === 0) return ensureImages(remote);
  const base = await baseTagOf(local, built.sandbox.tag);
  if (base !== undefined && (await imageSize(remote, base)) !== undefined) {
    say(`remote has ${base}: building ${missing.join(', ')} there`);
  } else {
    const withBase = base !== undefined && (await imageSize(local, base)) !== undefined ? [...missing, base] : missing;
    await copyImages(local, remote, withBase, say, opts.progressEveryMs ?? 1000);
    for (const kind of KINDS) {
      const [repo] = built[kind].tag.split(':');
      if (repo !== undefined) await remote.getImage(built[kind].tag).tag({ repo, tag: 'latest' });
    }
  }
  return ensureImages(remote, { onProgress: (e) => say(`[remote images ${e.index}/${e.total}] ${e.step}: ${e.message}`) });
}

async function copyImages(local: DockerClient, remote: DockerClient, tags: readonly string[], say: (m: string) => void, every: number): Promise<void> {
  // The images share one base, so the archive is about the size of the largest of them.
  const sizes = await Promise.all(tags.map((t) => imageSize(local, t)));
  const approx = Math.max(0, ...sizes.map((s) => s ?? 0));
  const started = Date.now();
  let sent = 0;
  let lastSaid = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      if (Date.now() - lastSaid >= every) {
        lastSaid = Date.now();
        const rate = sent / Math.max(1, (lastSaid - started) / 1000);
        say(`sending images: ${mb(sent)} of ~${mb(approx)} (${mb(rate)}/s)`);
      }
      done(null, chunk);
    },
  });
  say(`sending ${tags.join(', ')} to the remote engine (docker save | docker load, no registry)`);
  try {
    const archive = await (local as unknown as ImageSaver).getImages({ names: [...tags] });
    const loading = remote.loadImage(counter, { quiet: true });
    const [, response] = await Promise.all([pipeline(archive, counter), loading]);
    await followJson(response, (line) => say(line));
  } catch (err) {
    throw new ImageError(`copying ${tags.join(', ')} to the remote engine failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
      exitCode: 3,
    });
  }
  const secs = (Date.now() - started) / 1000;
  say(`sent ${mb(sent)} in ${secs.toFixed(1)}s (${mb(sent / Math.max(secs, 0.001))}/s)`);
  for (const tag of tags) {
    if ((await imageSize(remote, tag)) === undefined) throw new ImageError(`the remote engine loaded the archive but has no ${tag}`, { exitCode: 3 });
  }
}
