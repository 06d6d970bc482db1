import type Docker from 'dockerode';
import { LABEL, MANAGED } from './labels.ts';
import { listPodParts, PROVISIONING_GRACE_MS } from './inventory.ts';
import { removePod } from './pod.ts';
import { tolerate } from './client.ts';

/**
 * Cleans what an interrupted client left behind: pods missing their agent past the grace period and
 * volumes whose sandbox has no containers. Returns one line per repair for the user.
 */
export async function reconcile(docker: Docker, now = Date.now()): Promise<string[]> {
  const notes: string[] = [];
  const parts = await listPodParts(docker);
  const known = new Set(parts.map((p) => p.name));
  for (const p of parts) {
    const created = (p.supervisor?.Created ?? p.agent?.Created ?? 0) * 1000;
    if (now - created < PROVISIONING_GRACE_MS) continue;
    // An agent that was never started did not pass every check of creation: clean, do not finish.
    const halfMade = !p.agent || !p.supervisor || p.supervisor.State === 'created' || p.agent.State === 'created';
    if (halfMade) {
      await removePod(docker, p.name);
      notes.push(`removed sandbox \`${p.name}\`: its creation was interrupted`);
    }
  }
  const { Volumes } = await docker.listVolumes({ filters: JSON.stringify({ label: [`${LABEL.managedBy}=${MANAGED}`] }) });
  for (const v of Volumes ?? []) {
    const owner = v.Labels?.[LABEL.sandboxName];
    const created = Date.parse((v as { CreatedAt?: string }).CreatedAt ?? '') || 0;
    if (owner && !known.has(owner) && now - created >= PROVISIONING_GRACE_MS) {
      await tolerate([404, 409], () => docker.getVolume(v.Name).remove());
      notes.push(`removed volume ${v.Name} left by an interrupted sandbox \`${owner}\``);
    }
  }
  return notes;
}
