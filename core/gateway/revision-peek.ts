import type Docker from 'dockerode';
import type { IncomingMessage } from 'node:http';
import { readStateFile, REVISIONS_FILE, STATE_DIR } from '../docker/policy-volume.ts';
import type { PodParts } from '../docker/inventory.ts';

/** The newest version in a `revisions.json` text; undefined for a torn or foreign file (never a crash). */
export function latestVersion(text: string | null): number | undefined {
  if (!text) return undefined;
  try {
    const data = JSON.parse(text) as { revisions?: unknown };
    if (!Array.isArray(data.revisions)) return undefined;
    let latest: number | undefined;
    for (const r of data.revisions as unknown[]) {
      const v = (r as { version?: unknown } | null)?.version;
      if (typeof v === 'number' && (latest === undefined || v > latest)) latest = v;
    }
    return latest;
  } catch {
    return undefined;
  }
}

/**
 * A change stamp from the `X-Docker-Container-Path-Stat` header (base64 JSON) of a HEAD on the archive
 * API. Files written through the archive API carry whole-second mtimes, so the size rides along: every
 * new revision makes the file longer.
 */
export function statStamp(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  try {
    const stat = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { mtime?: unknown; size?: unknown };
    return typeof stat.mtime === 'string' ? `${stat.mtime}/${String(stat.size)}` : undefined;
  } catch {
    return undefined;
  }
}

interface Cached {
  readonly stamp: string;
  readonly revision: number | undefined;
}

/**
 * The policy revision of each sandbox, read from its supervisor's state volume. A HEAD (no body) asks
 * for the file's mtime; the file itself is only read again when that changed, so a 2 s poll stays cheap.
 */
export class RevisionPeek {
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly docker: Docker) {}

  /**
   * Revisions by sandbox name, read in parallel; a sandbox whose file cannot be read is just left out.
   * `everyPod` says `parts` is the whole engine, so entries of deleted sandboxes can go.
   */
  async revisions(parts: readonly PodParts[], everyPod = true): Promise<Map<string, number>> {
    const live = new Set<string>();
    const found = await Promise.all(
      parts.map(async (p) => {
        const id = p.supervisor?.Id;
        if (id === undefined) return undefined;
        live.add(id);
        const rev = await this.revisionOf(id).catch(() => undefined);
        return rev === undefined ? undefined : ([p.name, rev] as const);
      }),
    );
    // Deleted sandboxes' entries go, so a long-running TUI does not grow the cache forever.
    if (everyPod) for (const id of this.cache.keys()) if (!live.has(id)) this.cache.delete(id);
    return new Map(found.filter((f) => f !== undefined));
  }

  private async revisionOf(containerId: string): Promise<number | undefined> {
    const container = this.docker.getContainer(containerId);
    const stamp = await this.stamp(container);
    if (stamp === undefined) return undefined;
    const hit = this.cache.get(containerId);
    if (hit?.stamp === stamp) return hit.revision;
    const revision = latestVersion(await readStateFile(container, REVISIONS_FILE));
    this.cache.set(containerId, { stamp, revision });
    return revision;
  }

  private async stamp(container: Docker.Container): Promise<string | undefined> {
    const res = (await container.infoArchive({ path: `${STATE_DIR}/${REVISIONS_FILE}` })) as IncomingMessage;
    // A HEAD has no body; resume so the socket goes back to the pool.
    res.resume?.();
    return statStamp(res.headers?.['x-docker-container-path-stat']);
  }
}
