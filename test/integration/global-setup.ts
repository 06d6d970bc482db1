import { dockerClient } from '../../core/docker/client.ts';
import { ensureImages } from '../../core/docker/images/index.ts';

/** Integration tests need a real engine: without one they fail loudly, never skip silently. */
export default async function setup(): Promise<void> {
  const docker = dockerClient();
  try {
    await docker.ping();
  } catch {
    throw new Error('integration tests need a running Docker engine at /var/run/docker.sock (run `npm run setup`)');
  }
  const started = Date.now();
  await ensureImages(docker, {
    onProgress: (e) => process.stderr.write(`[images ${e.index}/${e.total}] ${e.step}: ${e.message}\n`),
  });
  process.stderr.write(`images ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}
