import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageError } from '../../errors.ts';

const POLL_MS = 500;
const MAX_WAIT_MS = 60 * 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holder(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Runs `fn` while holding an exclusive lock file (O_EXCL create). A lock whose owner process
 * is gone is taken over, so a killed build never blocks the next one.
 */
export async function withLock<T>(file: string, fn: () => Promise<T>, onWait?: (pid: number) => void): Promise<T> {
  await mkdir(dirname(file), { recursive: true });
  const started = Date.now();
  let announced = false;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = await holder(file);
    if (pid !== undefined && !alive(pid)) {
      // Re-read just before removing, so we never delete a lock someone else just took.
      if ((await holder(file)) === pid) await unlink(file).catch(() => undefined);
      continue;
    }
    if (!announced && pid !== undefined) {
      onWait?.(pid);
      announced = true;
    }
    if (Date.now() - started > MAX_WAIT_MS) {
      throw new ImageError(`timed out waiting for the image build lock ${file}`, {
        hint: `another openshell process (pid ${pid ?? '?'}) is building images; remove the file if it is stale`,
      });
    }
    await sleep(POLL_MS);
  }
  try {
    return await fn();
  } finally {
    await unlink(file).catch(() => undefined);
  }
}
