import { statSync, watch } from 'node:fs';

/**
 * Calls `check` when `<dir>/<name>` may have changed: fs.watch on the directory for speed, plus a stat poll
 * because watch events are lost on some filesystems and for files replaced through the archive API.
 * Returns the function that stops watching.
 */
export function watchStateFile(dir: string, name: string, pollMs: number, check: () => void): () => void {
  let watcher: ReturnType<typeof watch> | null = null;
  try {
    watcher = watch(dir, { persistent: false }, (_event, changed) => {
      if (changed === null || String(changed) === name) check();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // The poll alone still brings changes in within its period.
  }
  const poll = setInterval(check, pollMs);
  poll.unref();
  return () => {
    watcher?.close();
    clearInterval(poll);
  };
}

/**
 * What a watcher compares to tell that a state file changed: any rewrite (rename, archive API, write in
 * place) changes one of these. Null when the file does not exist.
 */
export function stateFileSignature(file: string): string | null {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return null;
  }
}
