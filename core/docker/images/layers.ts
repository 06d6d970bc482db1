import type { DockerClient } from '../client.ts';
import { buildFromContext, tagLatest } from './docker-ops.ts';
import { ImageBuildError, OutputTail, errorText } from './failure.ts';
import { HASH_LABEL, KIND_LABEL, REPOSITORIES, dockerfileText, shortHash } from './inputs.ts';
import type { StepReporter } from './progress.ts';
import type { ImageKind, ImageRef } from './types.ts';

export const imageTag = (kind: ImageKind, hash: string): string => `${REPOSITORIES[kind]}:${shortHash(hash)}`;

export interface LayerOptions {
  readonly hash: string;
  readonly baseHash: string;
  readonly baseTag: string;
  readonly bundle: Uint8Array;
  readonly force: boolean;
  readonly report: StepReporter;
}

/** Builds one of our images as a small Dockerfile on top of the local base image. */
export async function buildLayer(docker: DockerClient, kind: ImageKind, opts: LayerOptions): Promise<ImageRef> {
  const tag = imageTag(kind, opts.hash);
  const files: Record<string, string | Uint8Array> = { Dockerfile: dockerfileText(kind) };
  if (kind === 'supervisor') files['supervisor.mjs'] = opts.bundle;
  const tail = new OutputTail();
  opts.report(`building ${tag} from ${opts.baseTag}`);
  try {
    const id = await buildFromContext(docker, files, {
      tag,
      labels: { [HASH_LABEL]: opts.hash, [KIND_LABEL]: kind, 'openshell.ai/base-hash': opts.baseHash },
      buildargs: { BASE: opts.baseTag },
      nocache: opts.force,
      onLine: (line) => {
        tail.push(line);
        opts.report(line);
      },
    });
    await tagLatest(docker, id, REPOSITORIES[kind]);
    return { tag, id, hash: opts.hash, cached: false };
  } catch (err) {
    throw new ImageBuildError(kind, errorText(err), tail.lines, { cause: err });
  }
}
