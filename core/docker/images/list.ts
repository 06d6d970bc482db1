import type { DockerClient } from '../client.ts';
import { HASH_LABEL, REPOSITORIES } from './inputs.ts';

export interface ListedImage {
  readonly repository: string;
  readonly tags: readonly string[];
  readonly id: string;
  /** Content hash from the label; for imported bases (which carry no labels) the tag's short hash. */
  readonly hash: string;
  readonly size: number;
  readonly created: string;
}

/** Every image in one of our repositories, newest first. */
export async function listImages(docker: DockerClient): Promise<ListedImage[]> {
  const repos = new Set<string>(Object.values(REPOSITORIES));
  const summaries = await docker.listImages({ filters: { reference: [...repos].map((r) => `${r}:*`) } });
  const rows: ListedImage[] = [];
  for (const s of summaries) {
    const refs = (s.RepoTags ?? []).filter((t) => repos.has(repoOf(t)));
    const first = refs[0];
    if (first === undefined) continue;
    const tags = refs.map((r) => r.slice(repoOf(r).length + 1)).sort(byHashFirst);
    rows.push({
      repository: repoOf(first),
      tags,
      id: s.Id,
      hash: s.Labels?.[HASH_LABEL] ?? tags.find((t) => t !== 'latest') ?? '',
      size: s.Size,
      created: new Date(s.Created * 1000).toISOString(),
    });
  }
  return rows.sort((a, b) => b.created.localeCompare(a.created));
}

const repoOf = (ref: string): string => ref.slice(0, ref.lastIndexOf(':'));

const byHashFirst = (a: string, b: string): number => Number(a === 'latest') - Number(b === 'latest') || a.localeCompare(b);
