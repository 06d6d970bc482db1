import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execCapture, gateway, uniqueName } from './helpers.ts';
import { curl, jsonBody, probe, startUpstream, supervisorLines, supervisorShell, waitForLine, writePolicyFile } from './egress-helpers.ts';

// Policy in the supervisor: boot without a file, hot reload, invalid files, revoking open tunnels.
const gw = gateway();
const name = uniqueName('reload');
let up: { ip: string; remove: () => Promise<void> };

const allow = (version: number, rules: Record<string, { ports: number[]; binaries: string[] }>): { version: number; policy: unknown } => ({
  version,
  policy: {
    version: 1,
    network_policies: Object.fromEntries(
      Object.entries(rules).map(([k, r]) => [k, { endpoints: [{ host: up.ip, ports: r.ports }], binaries: r.binaries.map((path) => ({ path })) }]),
    ),
  },
});

/** Python, after a tunnel `s` is open: pings the echo server every 100 ms, says when and how it ended. */
const PING_UNTIL_CLOSED = `
t = time.time(); n = 0
try:
    while time.time() - t < 8:
        s.sendall(b"ping"); d = s.recv(100)
        if not d: break
        n += 1; time.sleep(0.1)
    print("still open" if time.time() - t >= 8 else "closed", n, flush=True)
except OSError as e:
    print("closed", n, type(e).__name__, flush=True)
`;

beforeAll(async () => {
  await gw.createSandbox({ name });
  up = await startUpstream(`${name}-up`, `${name}-up`);
});

afterAll(async () => {
  await up?.remove();
  await gw.deleteSandbox(name).catch(() => undefined);
});

describe('policy in the supervisor', () => {
  // The gateway seeds policy.json in the boot script whenever it is missing, so through a real pod
  // "no usable policy" means an unusable file; a missing one is covered by the unit tests.
  it('denies all egress when the supervisor boots with no usable policy file', async () => {
    await writePolicyFile(name, allow(300, { curl: { ports: [8080], binaries: ['/usr/bin/curl'] } }));
    await waitForLine(name, (l) => l.type === 'policy' && l.version === 300);
    expect((await curl(gw, name, 'curl', `http://${up.ip}:8080/hello.txt`)).code).toBe('200');
    await writePolicyFile(name, '{"version": 300, "hash": "sha256:');
    await gw.stopSandbox(name);
    const restarted = Date.now();
    await gw.startSandbox(name);
    const r = await execCapture(gw, name, ['curl', '-sS', '-i', `http://${up.ip}:8080/hello.txt`]);
    const text = r.stdout.toString();
    expect(text).toMatch(/^HTTP\/1\.1 403/);
    expect(JSON.parse(text.slice(text.indexOf('{')))).toMatchObject({ error: 'policy_denied', binary: '/usr/bin/curl' });
    expect(text).toContain('no policy revision is loaded');
    const failed = await waitForLine(name, (l) => l.type === 'policy' && l.status === 'failed' && Date.parse(l.time) >= restarted - 1000);
    expect(String(failed.error)).toContain('not valid JSON');
    // The event cursor survives the restart: seq keeps increasing across both supervisor runs.
    const seqs = (await supervisorLines(name)).filter((l) => l.type === 'decision').map((l) => Number(l.seq));
    expect(seqs.length).toBeGreaterThanOrEqual(2);
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
  });

  it('puts a new revision in force within a second, and reports it on stdout and in policy-status.json', async () => {
    const written = await writePolicyFile(name, allow(301, { curl: { ports: [8080], binaries: ['/usr/bin/curl'] } }));
    const line = await waitForLine(name, (l) => l.type === 'policy' && l.version === 301);
    expect(line).toMatchObject({ status: 'loaded' });
    expect(Date.parse(line.time) - written).toBeLessThan(1000);
    expect((await curl(gw, name, 'curl', `http://${up.ip}:8080/hello.txt`)).code).toBe('200');
    const status = JSON.parse(await supervisorShell(name, 'cat /var/lib/openshell/policy-status.json').then((t) => t.slice(t.indexOf('{')))) as Record<string, unknown>;
    expect(status).toMatchObject({ type: 'policy', version: 301, status: 'loaded' });
  });

  it('keeps the previous revision in force when the new file is invalid', async () => {
    await writePolicyFile(name, { version: 302, policy: { version: 1, network_policies: { bad: { endpoints: [{ host: '*', port: 8080 }], binaries: [] } } } });
    const line = await waitForLine(name, (l) => l.type === 'policy' && l.version === 302);
    expect(line).toMatchObject({ status: 'failed' });
    expect(String(line.error)).toContain('would match every host');
    await writePolicyFile(name, '{"version": 303, "hash": "sha256:');
    const torn = await waitForLine(name, (l) => l.type === 'policy' && l.status === 'failed' && String(l.error).includes('not valid JSON'));
    expect(torn.version).toBeNull();
    const r = await curl(gw, name, 'curl', `http://${up.ip}:8080/hello.txt`);
    expect(r.code).toBe('200');
    const d = (await supervisorLines(name)).filter((l) => l.type === 'decision').at(-1);
    expect(d).toMatchObject({ action: 'allow', policyVersion: 301 });
  });

  it('closes an open tunnel that the new revision denies, and keeps serving what it allows', async () => {
    await writePolicyFile(name, allow(304, { py: { ports: [9000], binaries: ['/usr/bin/python3*'] }, curl: { ports: [8080], binaries: ['/usr/bin/curl'] } }));
    await waitForLine(name, (l) => l.type === 'policy' && l.version === 304);
    // A tunnel that pings the echo server every 100 ms and reports when and how it ended.
    const client = `
import socket, time
s = socket.create_connection(("127.0.0.1", 3128), timeout=10)
s.sendall(b"CONNECT ${up.ip}:9000 HTTP/1.1\\r\\n\\r\\n")
assert s.recv(100).startswith(b"HTTP/1.1 200"), "no tunnel"
print("open", flush=True)
${PING_UNTIL_CLOSED}`;
    const running = execCapture(gw, name, ['python3', '-c', client]);
    await new Promise((r) => setTimeout(r, 1500));
    const written = await writePolicyFile(name, allow(305, { curl: { ports: [8080], binaries: ['/usr/bin/curl'] } }));
    const out = (await running).stdout.toString();
    expect(out).toMatch(/^open\nclosed \d+/);
    expect(Number(/closed (\d+)/.exec(out)![1])).toBeGreaterThan(3);
    const end = await waitForLine(name, (l) => l.type === 'flow-end' && String(l.reason).includes('policy revision 305'));
    expect(Date.parse(end.time) - written).toBeLessThan(1000);
    expect((await curl(gw, name, 'curl', `http://${up.ip}:8080/hello.txt`)).code).toBe('200');
    const again = await probe(gw, name, `CONNECT ${up.ip}:9000 HTTP/1.1\r\n\r\n`);
    expect(jsonBody(again)).toMatchObject({ error: 'policy_denied' });
  });

  it('moves a bulk tunnel to splice(2) intact, counts its bytes, and still closes it on a revision', async () => {
    expect(await waitForLine(name, (l) => l.type === 'splice')).toMatchObject({ status: 'ready' });
    await writePolicyFile(name, allow(306, { py: { ports: [9000], binaries: ['/usr/bin/python3*'] } }));
    await waitForLine(name, (l) => l.type === 'policy' && l.version === 306);
    // 4 MiB through the echo server (past the hand-over), checked byte for byte, then pings until cut.
    const client = `
import hashlib, os, socket, threading, time
s = socket.create_connection(("127.0.0.1", 3128), timeout=10)
s.sendall(b"CONNECT ${up.ip}:9000 HTTP/1.1\\r\\n\\r\\n")
assert s.recv(100).startswith(b"HTTP/1.1 200"), "no tunnel"
data = os.urandom(4 << 20)
threading.Thread(target=s.sendall, args=(data,), daemon=True).start()
got = bytearray()
while len(got) < len(data):
    got += s.recv(1 << 20)
print("echoed", hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest(), flush=True)
${PING_UNTIL_CLOSED}`;
    const running = execCapture(gw, name, ['python3', '-c', client]);
    await new Promise((r) => setTimeout(r, 2500));
    // The splice helper holds the tunnel's two sockets besides its channel to the supervisor.
    const held = await supervisorShell(name, 'for p in $(grep -l NODE_CHANNEL_FD /proc/[0-9]*/environ); do ls -l $(dirname $p)/fd; done | grep -c socket: | sed "s/^/held=/"');
    expect(/held=(\d+)/.exec(held)?.[1]).toBe('3');
    await writePolicyFile(name, allow(307, { curl: { ports: [8080], binaries: ['/usr/bin/curl'] } }));
    const out = (await running).stdout.toString();
    expect(out).toMatch(/^echoed True\nclosed \d+/);
    expect(Number(/closed (\d+)/.exec(out)![1])).toBeGreaterThan(3);
    const end = await waitForLine(name, (l) => l.type === 'flow-end' && String(l.reason).includes('policy revision 307'));
    expect(Number(end.bytesOut)).toBeGreaterThanOrEqual(4 << 20);
    expect(Number(end.bytesIn)).toBeGreaterThanOrEqual(4 << 20);
  });
});
