// `npm run setup`: everything a fresh Debian machine (Node.js, root) lacks to run openshell and its tests:
// a Docker engine (Debian's docker.io, started here when none runs), debootstrap, and the images.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dockerClient } from '../core/docker/client.ts';
import { ensureImages } from '../core/docker/images/index.ts';

const say = (m: string): void => {
  process.stderr.write(`setup: ${m}\n`);
};
const has = (cmd: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

async function engineUp(): Promise<boolean> {
  return dockerClient().ping().then(() => true, () => false);
}

function aptInstall(packages: string[]): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${packages.join(', ')}; run as root or install them: apt-get install -y ${packages.join(' ')}`);
  }
  say(`installing ${packages.join(', ')} from Debian's packages`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** Starts dockerd in the background (it outlives this script), clearing a pid file a killed one left. */
async function startDockerd(): Promise<void> {
  const pidFile = '/var/run/docker.pid';
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
    if (!alive) {
      say(`removing stale ${pidFile} (pid ${pid} is gone)`);
      rmSync(pidFile);
    }
  }
  say('starting dockerd (log: /var/log/openshell-dockerd.log)');
  const log = openSync('/var/log/openshell-dockerd.log', 'a');
  spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] }).unref();
  for (let i = 0; i < 60; i++) {
    if (await engineUp()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('dockerd did not answer within 30 s; see /var/log/openshell-dockerd.log');
}

async function main(): Promise<void> {
  const missing = [
    ...(has('dockerd') ? [] : ['docker.io']),
    ...(has('debootstrap') ? [] : ['debootstrap']),
    // Remote gateways and their tests: sshd + ssh-keygen + `ssh -G`, and `ip netns` for the test host.
    ...(has('sshd') ? [] : ['openssh-server']),
    ...(has('ssh') && has('ssh-keygen') ? [] : ['openssh-client']),
    ...(has('ip') ? [] : ['iproute2']),
    // `--test` only: the served gateway's browser sign-in is tested in a real headless browser (playwright-core
    // drives Debian's chromium); users of openshell never need it.
    ...(process.argv.includes('--test') && !has('chromium') ? ['chromium'] : []),
  ];
  if (missing.length > 0 && !(missing.length === 1 && missing[0] === 'debootstrap' && process.argv.includes('--no-images'))) {
    aptInstall(missing);
  }
  if (await engineUp()) say('Docker engine is running');
  else await startDockerd();
  if (process.argv.includes('--no-images')) return;
  const started = Date.now();
  const images = await ensureImages(dockerClient(), {
    onProgress: (e) => say(`[images ${e.index}/${e.total}] ${e.step}: ${e.message}`),
  });
  const how = images.supervisor.cached && images.sandbox.cached ? 'already built' : 'built';
  say(`images ${how} in ${((Date.now() - started) / 1000).toFixed(1)}s: ${images.supervisor.tag}, ${images.sandbox.tag}`);
}

main().catch((err: unknown) => {
  say(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
