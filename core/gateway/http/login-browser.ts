import { spawn } from 'node:child_process';

/**
 * Opens a URL in the user's browser: `$BROWSER` (a `:`-separated list, `%s` marks where the URL goes),
 * else `xdg-open` (macOS: `open`). Resolves false when no browser could be started, so the caller
 * falls back to a device code; a browser still running after a moment counts as opened.
 */
export async function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const fallback = process.platform === 'darwin' ? 'open' : 'xdg-open';
  const candidates = (env.BROWSER ?? '').split(':').map((s) => s.trim()).filter((s) => s !== '');
  for (const command of candidates.length > 0 ? candidates : [fallback]) {
    if (await tryOpen(command, url)) return true;
  }
  return false;
}

function tryOpen(command: string, url: string): Promise<boolean> {
  const words = command.split(/\s+/);
  const args = words.slice(1);
  const withUrl = args.some((a) => a.includes('%s')) ? args.map((a) => a.replace('%s', url)) : [...args, url];
  return new Promise<boolean>((resolve) => {
    const child = spawn(words[0] ?? command, withUrl, { stdio: 'ignore', detached: true });
    const timer = setTimeout(() => {
      child.unref();
      resolve(true);
    }, 1500);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}
