import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { dockerClient } from '../../core/docker/client.ts';
import { reconcile } from '../../core/docker/reconcile.ts';
import { PROVISIONING_GRACE_MS } from '../../core/docker/inventory.ts';
import { BIN, gateway, uniqueName } from './helpers.ts';

const docker = dockerClient();
const gw = gateway();

async function leftovers(name: string): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: JSON.stringify({ name: [`openshell-${name}-`] }) });
  const volumes = (await docker.listVolumes()).Volumes?.filter((v) => v.Name.startsWith(`openshell-${name}-`)) ?? [];
  return containers.length + volumes.length;
}

/** Starts `sandbox create` and SIGKILLs it as soon as stderr shows `marker`. */
function createAndKill(name: string, marker: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(BIN, ['sandbox', 'create', '--name', name, '--detach'], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (c: Buffer) => {
      if (c.toString().includes(marker)) child.kill('SIGKILL');
    });
    child.on('close', () => resolve());
  });
}

describe('a client killed in the middle of creating a sandbox', () => {
  it('leaves nothing that a later gateway start does not clean, and list stays truthful meanwhile', async () => {
    const name = uniqueName('crash');
    await createAndKill(name, 'starting supervisor');
    const listed = (await gw.listSandboxes()).find((s) => s.name === name);
    // Whatever stage the kill hit, the pod is either still being made, or complete.
    if (listed) expect(['provisioning', 'ready']).toContain(listed.phase);
    if (listed?.phase !== 'ready') {
      const notes = await reconcile(docker, Date.now() + PROVISIONING_GRACE_MS + 1000);
      if (listed) expect(notes.join('\n')).toContain(name);
      expect(await leftovers(name)).toBe(0);
      expect((await gw.listSandboxes()).map((s) => s.name)).not.toContain(name);
    } else {
      await gw.deleteSandbox(name);
    }
  });

  it('cleans volumes and a supervisor left without an agent', async () => {
    const name = uniqueName('half');
    // What a crash between the supervisor and the agent leaves behind, made by hand.
    const labels = { 'openshell.ai/managed-by': 'openshell', 'openshell.ai/sandbox-name': name, 'openshell.ai/sandbox-id': 'x' };
    await docker.createVolume({ Name: `openshell-${name}-workspace`, Labels: { ...labels, 'openshell.ai/role': 'workspace' } });
    const images = await docker.listImages({ filters: { reference: ['openshell/supervisor:latest'] } });
    await docker.createContainer({
      name: `openshell-${name}-supervisor`,
      Image: images[0]!.Id,
      Labels: { ...labels, 'openshell.ai/role': 'supervisor' },
    });
    expect((await gw.getSandbox(name)).phase).toBe('provisioning');
    // Still within its grace period: somebody may be making it right now.
    expect((await reconcile(docker)).some((n) => n.includes(name))).toBe(false);
    const notes = await reconcile(docker, Date.now() + PROVISIONING_GRACE_MS + 1000);
    expect(notes.some((n) => n.includes(name))).toBe(true);
    expect(await leftovers(name)).toBe(0);
  });
});
