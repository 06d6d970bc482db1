import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { addressDialer } from '../../../core/supervisor/dial.ts';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** A local port whose accept queue is full: a further connect gets no answer (its SYN is dropped). */
async function silentPort(): Promise<number> {
  const py: ChildProcess = spawn('python3', ['-c', 'import socket, time\ns = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)\nprint(s.getsockname()[1], flush=True); time.sleep(60)'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  cleanup.push(() => py.kill('SIGKILL'));
  const port = Number(await new Promise<string>((r) => py.stdout!.once('data', (d: Buffer) => r(d.toString()))));
  for (let i = 0; i < 3; i++) {
    const s: Socket = connect(port, '127.0.0.1').on('error', () => undefined);
    cleanup.push(() => s.destroy());
  }
  await new Promise((r) => setTimeout(r, 100));
  return port;
}

async function openServer(): Promise<number> {
  const server: Server = createServer((s) => s.on('error', () => undefined));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

describe('dialing checked addresses', () => {
  it('gives up on an address that does not answer after the timeout, and tries the next one', async () => {
    const silent = await silentPort();
    const dial = addressDialer(400);
    const t0 = performance.now();
    await expect(dial(['127.0.0.1'], silent)).rejects.toThrow('connect timed out after 0.4s');
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(390);
    expect(waited).toBeLessThan(1500);
    // The refused one first, then one that answers: the first that connects is returned.
    const good = await openServer();
    const { socket, ip } = await dial(['127.0.0.2', '127.0.0.1'], good);
    expect(ip).toBe('127.0.0.1');
    socket.destroy();
  });

  it('leaves a connected socket alone once its deadline passes', async () => {
    const port = await openServer();
    const dial = addressDialer(100);
    const { socket } = await dial(['127.0.0.1'], port);
    cleanup.push(() => socket.destroy());
    await new Promise((r) => setTimeout(r, 300));
    expect(socket.destroyed).toBe(false);
    expect(socket.write('still open')).toBe(true);
  });
});
