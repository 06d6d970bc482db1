import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient } from '../../core/docker/client.ts';
import { EGRESS_NETWORK } from '../../core/docker/labels.ts';
import { execCapture, gateway, removeUpstream, startUpstream, uniqueName } from './helpers.ts';

const gw = gateway();
const name = uniqueName('fence');
const docker = dockerClient();
let bridgeGateway = '';
let peerIp = '';
const peer = `${name}-peer`;

// A python probe run inside the sandbox: prints "<outcome> <seconds>" for one attempt.
const probe = (kind: 'tcp' | 'udp', host: string, port: number): string[] => [
  'python3',
  '-c',
  `
import socket, time
t = time.time()
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if "${kind}" == "tcp" else socket.SOCK_DGRAM)
s.settimeout(5)
try:
    if "${kind}" == "tcp":
        s.connect(("${host}", ${port}))
    else:
        s.sendto(b"x", ("${host}", ${port})); s.recv(1)
    print("connected", round(time.time() - t, 3))
except Exception as e:
    print(type(e).__name__, round(time.time() - t, 3))
`,
];

beforeAll(async () => {
  await gw.createSandbox({ name });
  const net = await docker.getNetwork(EGRESS_NETWORK).inspect();
  bridgeGateway = (net as { IPAM: { Config: { Gateway: string }[] } }).IPAM.Config[0]!.Gateway;
  // Another container on the same network, listening for real.
  peerIp = await startUpstream(peer);
});

afterAll(async () => {
  await removeUpstream(peer);
  await gw.deleteSandbox(name).catch(() => undefined);
});

describe('the fence around a sandbox', () => {
  it('refuses a direct TCP connect to the Docker host bridge address at once', async () => {
    const r = await execCapture(gw, name, probe('tcp', bridgeGateway, 80));
    const [outcome, secs] = r.stdout.toString().trim().split(' ');
    expect(outcome).toBe('ConnectionRefusedError');
    expect(Number(secs)).toBeLessThan(1);
  });

  it('refuses a direct TCP connect to another container that is listening', async () => {
    const r = await execCapture(gw, name, probe('tcp', peerIp, 8080));
    expect(r.stdout.toString()).toMatch(/^ConnectionRefusedError 0\.\d+/);
  });

  it("refuses Docker's DNS at 127.0.0.11 over TCP and UDP", async () => {
    expect((await execCapture(gw, name, probe('tcp', '127.0.0.11', 53))).stdout.toString()).toMatch(/^ConnectionRefusedError/);
    expect((await execCapture(gw, name, probe('udp', '127.0.0.11', 53))).stdout.toString()).toMatch(/^PermissionError/);
  });

  it('refuses any UDP send', async () => {
    const r = await execCapture(gw, name, probe('udp', peerIp, 53));
    const [outcome, secs] = r.stdout.toString().trim().split(' ');
    expect(outcome).toBe('PermissionError');
    expect(Number(secs)).toBeLessThan(1);
  });

  it('lets the agent reach the supervisor proxy on 127.0.0.1:3128, which answers with a JSON deny', async () => {
    const r = await execCapture(gw, name, ['curl', '-sS', '-i', 'http://example.com/']);
    const text = r.stdout.toString();
    expect(text).toMatch(/^HTTP\/1\.1 403/);
    expect(text).toMatch(/Content-Type: application\/json/i);
    const body = JSON.parse(text.slice(text.indexOf('{'))) as { error: string; host: string };
    expect(body).toMatchObject({ error: 'policy_denied', host: 'example.com' });
  });

  it('while the supervisor itself can reach the peer (uid 0 passes the fence)', async () => {
    const sup = docker.getContainer(`openshell-${name}-supervisor`);
    const exec = await sup.exec({
      Cmd: ['node', '-e', `require("net").connect(8080, "${peerIp}", function () { console.log("ok"); this.end(); })`],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    let out = '';
    stream.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((r) => stream.on('end', r));
    expect(out).toContain('ok');
  });

  it('runs the agent as a non-root user with no capabilities', async () => {
    const r = await execCapture(gw, name, ['sh', '-c', 'id -u; grep CapEff /proc/self/status']);
    const [uid, caps] = r.stdout.toString().trim().split('\n');
    expect(uid).not.toBe('0');
    expect(caps).toMatch(/CapEff:\s+0+$/);
  });
});
