import { execFile } from 'node:child_process';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Mount points at or below `dir` (debootstrap mounts /proc and /sys inside its target). */
async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((m): m is string => m !== undefined)
    .map((m) => m.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8))))
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/**
 * Deletes a build directory, first detaching anything still mounted inside it, so a recursive
 * delete can never reach through a mount into the host. Leaves it in place if a mount stays.
 */
export async function removeTree(dir: string): Promise<boolean> {
  for (const mount of (await mountsUnder(dir)).sort().reverse()) {
    await exec('umount', ['-l', mount]).catch(() => undefined);
  }
  if ((await mountsUnder(dir)).length > 0) return false;
  await rm(dir, { recursive: true, force: true });
  return true;
}

/** Removes what a killed build left in the temp dir; callers hold the build lock. */
export async function removeLeftovers(tmpRoot: string): Promise<void> {
  const entries = await readdir(tmpRoot).catch(() => []);
  await Promise.all(entries.map((e) => removeTree(join(tmpRoot, e))));
}
