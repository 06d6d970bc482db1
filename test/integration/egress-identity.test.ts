import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { EGRESS_NETWORK } from '../../core/docker/labels.ts';
import { execCapture, gateway } from './helpers.ts';
import { docker, startUpstream, supervisorLines, supervisorShell, waitForLine, writePolicyFile } from './egress-helpers.ts';

// Identity edge cases on a real engine: a proxy socket passed to an unrelated process of another binary
// (SCM_RIGHTS), plain-HTTP upstream keep-alive, and first-seen hashes that survive a supervisor restart.
const gw = gateway();
const name = `perf-id-${randomBytes(3).toString('hex')}`;
let up: { ip: string; remove: () => Promise<void> };
let keepAliveUp: { ip: string; remove: () => Promise<void> };
let home = '';

/** An HTTP/1.1 keep-alive upstream (the supervisor image has node) answering with its connection number. */
async function startKeepAliveUpstream(containerName: string): Promise<{ ip: string; remove: () => Promise<void> }> {
  const js = `let n = 0; const s = require('http').createServer((q, r) => { r.end(q.socket.id + ' ' + q.url + '\\n'); });
s.on('connection', (c) => { c.id = ++n; }); s.listen(8081);`;
  const images = await docker.listImages({ filters: { reference: ['openshell/supervisor:latest'] } });
  const c = await docker.createContainer({ name: containerName, Image: images[0]!.Id, Entrypoint: ['node', '-e', js], HostConfig: { NetworkMode: EGRESS_NETWORK } });
  await c.start();
  const ip = (await c.inspect()).NetworkSettings.Networks[EGRESS_NETWORK]!.IPAddress;
  return { ip, remove: () => c.remove({ force: true }).then(() => undefined, () => undefined) };
}

const policy = (version: number): { version: number; policy: unknown } => ({
  version,
  policy: {
    version: 1,
    network_policies: {
      py: { endpoints: [{ host: up.ip, ports: [8080, 9000] }], binaries: [{ path: '/usr/bin/python3*' }] },
      ka: { endpoints: [{ host: keepAliveUp.ip, port: 8081 }], binaries: [{ path: '/usr/bin/curl' }] },
      tool: { endpoints: [{ host: up.ip, port: 8080 }], binaries: [{ path: `${home}/tool` }] },
    },
  },
});

beforeAll(async () => {
  await gw.createSandbox({ name });
  up = await startUpstream(`${name}-up`, `${name}-up`);
  keepAliveUp = await startKeepAliveUpstream(`${name}-ka`);
  home = (await execCapture(gw, name, ['sh', '-c', 'printf %s "$HOME"'])).stdout.toString();
  await writePolicyFile(name, policy(301));
  await waitForLine(name, (l) => l.type === 'policy' && l.version === 301 && l.status === 'loaded');
});

afterAll(async () => {
  await up?.remove();
  await keepAliveUp?.remove();
  await gw.deleteSandbox(name).catch(() => undefined);
});

/**
 * The sender (python3) opens a tunnel to the echo server; with `pass`, it first hands the socket over a
 * unix socket to a receiver: a copy of python3 at another path, started beside it (not its child).
 * It then pings through the tunnel for 3 s and prints how many echoes came back and how the tunnel ended.
 */
const SENDER = `
import json, socket, sys, time
target, mode = sys.argv[1], sys.argv[2]
t = socket.create_connection(("127.0.0.1", 3128))
if mode == "pass":
    u = socket.socket(socket.AF_UNIX)
    for _ in range(300):
        try:
            u.connect(sys.argv[3]); break
        except OSError:
            time.sleep(0.01)
    socket.send_fds(u, [b"x"], [t.fileno()])
    u.recv(1)
t.sendall(("CONNECT %s HTTP/1.1\\r\\nHost: %s\\r\\n\\r\\n" % (target, target)).encode())
head = t.recv(4096).decode("latin1")
echoes, end = 0, "open"
t.settimeout(0.5)
for _ in range(30):
    try:
        t.sendall(b"ping")
        if t.recv(4) == b"":
            end = "closed"; break
        echoes += 1
    except OSError:
        end = "closed"; break
    time.sleep(0.1)
print(json.dumps({"status": head.split("\\r\\n")[0], "echoes": echoes, "end": end}))
`;
const RECEIVER = `
import socket, sys, time
l = socket.socket(socket.AF_UNIX); l.bind(sys.argv[1]); l.listen(1)
c, _ = l.accept()
msg, fds, _, _ = socket.recv_fds(c, 1, 4)
c.send(b"k")
time.sleep(4)
`;

async function tunnel(mode: 'pass' | 'keep'): Promise<{ status: string; echoes: number; end: string }> {
  const sock = `/tmp/pass-${randomBytes(3).toString('hex')}.sock`;
  const script = [
    `cp /usr/bin/python3 "$HOME/py-other"`,
    mode === 'pass' ? `"$HOME/py-other" -c '${RECEIVER}' ${sock} &` : 'true',
    `python3 -c '${SENDER}' ${up.ip}:9000 ${mode} ${sock}`,
    'wait',
  ].join('\n');
  return JSON.parse((await execCapture(gw, name, ['sh', '-c', script])).stdout.toString()) as { status: string; echoes: number; end: string };
}

describe('binary identity edge cases', () => {
  it('cuts a tunnel whose socket was passed (SCM_RIGHTS) to an unrelated process of another binary, and reports it', async () => {
    // Control: the same client without the handover keeps its tunnel for the whole 3 s.
    expect(await tunnel('keep')).toEqual({ status: 'HTTP/1.1 200 Connection Established', echoes: 30, end: 'open' });
    // With it: cut within moments (often before the 200 is even sent), never kept.
    const out = await tunnel('pass');
    expect(out.end).toBe('closed');
    expect(out.echoes).toBeLessThan(10);
    const d = (await supervisorLines(name)).filter((l) => l.type === 'decision' && l.error === 'identity_ambiguous').at(-1);
    expect(d).toMatchObject({ action: 'deny', host: up.ip, port: 9000 });
    expect(String(d!.reason)).toContain(`${home}/py-other`);
    expect(String(d!.reason)).toMatch(/\/usr\/bin\/python3\.\d+/);
  });

  it('sends plain-HTTP requests of one client connection over one upstream connection', async () => {
    const r = await execCapture(gw, name, ['curl', '-sS', '-m', '10', ...['a', 'b', 'c'].map((p) => `http://${keepAliveUp.ip}:8081/${p}`)]);
    // curl reuses its proxy connection; the upstream numbers its connections: all three on the first.
    expect(r.stdout.toString()).toBe('1 /a\n1 /b\n1 /c\n');
    const decisions = (await supervisorLines(name)).filter((l) => l.type === 'decision' && l.port === 8081);
    expect(decisions.map((l) => [l.action, l.path])).toEqual([
      ['allow', '/a'],
      ['allow', '/b'],
      ['allow', '/c'],
    ]);
  });

  it('keeps first-seen hashes across a supervisor restart: a binary swapped meanwhile is refused', async () => {
    const run = `"$HOME/tool" -sS -o /dev/null -w '%{http_code}' http://${up.ip}:8080/hello.txt`;
    expect((await execCapture(gw, name, ['sh', '-c', `cp /usr/bin/curl "$HOME/tool" && ${run}`])).stdout.toString()).toBe('200');
    expect(await supervisorShell(name, 'cat /var/lib/openshell/tofu.json')).toContain(`"${home}/tool":"sha256:`);
    await gw.stopSandbox(name);
    await gw.startSandbox(name);
    await waitForLine(name, (l) => l.type === 'ready', 30_000);
    const readies = (await supervisorLines(name)).filter((l) => l.type === 'ready');
    expect(readies.length).toBeGreaterThanOrEqual(2);
    // The new supervisor has never seen the tool run: only the saved hash can tell it was swapped.
    const swap = `cp /usr/bin/curl "$HOME/tool.new" && printf x >> "$HOME/tool.new" && mv "$HOME/tool.new" "$HOME/tool"`;
    expect((await execCapture(gw, name, ['sh', '-c', `${swap} && ${run}`])).stdout.toString()).toBe('403');
    const d = (await supervisorLines(name)).filter((l) => l.type === 'decision' && l.binary === `${home}/tool`).at(-1);
    expect(d).toMatchObject({ action: 'deny', error: 'binary_tampered' });
    expect(String(d!.reason)).toContain('changed since first use');
  });
});
