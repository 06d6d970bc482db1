import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { dockerClient } from '../../core/docker/client.ts';
import { EGRESS_NETWORK } from '../../core/docker/labels.ts';
import type { EmbeddedGateway } from '../../core/gateway/embedded.ts';
import { execCapture } from './helpers.ts';

/** Helpers for the egress tests: policy files on the state volume, upstream servers, supervisor output. */

export const docker = dockerClient();
export const supervisor = (name: string): Docker.Container => docker.getContainer(`openshell-${name}-supervisor`);

/** Writes `policy.json` (or any raw text) into the supervisor's state volume, as the gateway would. */
export async function writePolicyFile(name: string, content: { version: number; policy: unknown } | string): Promise<number> {
  const text =
    typeof content === 'string'
      ? content
      : JSON.stringify({ version: content.version, hash: `sha256:${String(content.version).padStart(64, 'c')}`, policy: content.policy });
  const tar = pack();
  tar.entry({ name: 'policy.json', mode: 0o600, mtime: new Date() }, text);
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const c of tar) chunks.push(c as Buffer);
  await supervisor(name).putArchive(Buffer.concat(chunks), { path: '/var/lib/openshell' });
  return Date.now();
}

export interface SupervisorLine {
  readonly type: string;
  readonly time: string;
  readonly [k: string]: unknown;
}

/**
 * The supervisor's JSON lines so far. Events are written just after the answer they describe, and Docker
 * copies them to its log a moment later: the log is read until two reads 100 ms apart agree.
 */
export async function supervisorLines(name: string): Promise<SupervisorLine[]> {
  let last = await readSupervisorLines(name);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await readSupervisorLines(name);
    if (now.length === last.length) return now;
    last = now;
  }
  return last;
}

async function readSupervisorLines(name: string): Promise<SupervisorLine[]> {
  const buf = await supervisor(name).logs({ stdout: true, stderr: false, follow: false });
  const out: SupervisorLine[] = [];
  // Docker's multiplexed frames: 8-byte header, then the payload.
  let text = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(i + 4);
    text += buf.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as SupervisorLine);
    } catch {
      // not ours
    }
  }
  return out;
}

export async function waitForLine(name: string, match: (l: SupervisorLine) => boolean, timeoutMs = 5000): Promise<SupervisorLine> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const hit = (await readSupervisorLines(name)).find(match);
    if (hit) return hit;
    if (Date.now() > until) throw new Error(`no matching supervisor line within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a shell command in the supervisor container as root (e.g. to add /etc/hosts names for its resolver). */
export async function supervisorShell(name: string, script: string): Promise<string> {
  const exec = await supervisor(name).exec({ Cmd: ['sh', '-c', script], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((r) => stream.on('end', r));
  return Buffer.concat(chunks).toString('latin1');
}

/**
 * An upstream on the egress network: `python3 -m http.server` on 8080 and a TCP echo on 9000, in a
 * container of the sandbox image. Returns its address on the egress network.
 */
export async function startUpstream(containerName: string, alias: string): Promise<{ ip: string; remove: () => Promise<void> }> {
  const images = await docker.listImages({ filters: { reference: ['openshell/sandbox:latest'] } });
  const echo =
    'import socket,threading\n' +
    's=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 9000)); s.listen(64)\n' +
    'def serve(c):\n' +
    '    while True:\n' +
    '        d=c.recv(65536)\n' +
    '        if not d: break\n' +
    '        c.sendall(d)\n' +
    '    c.close()\n' +
    'while True:\n' +
    '    c,_=s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()\n';
  const c = await docker.createContainer({
    name: containerName,
    Image: images[0]!.Id,
    User: '1000',
    WorkingDir: '/tmp',
    Entrypoint: ['sh', '-c', `printf 'hello from upstream\\n' > /tmp/hello.txt; python3 -c '${echo}' & exec python3 -m http.server 8080`],
    Cmd: [],
    NetworkingConfig: { EndpointsConfig: { [EGRESS_NETWORK]: { Aliases: [alias] } } },
    HostConfig: { NetworkMode: EGRESS_NETWORK },
  });
  await c.start();
  const ip = (await c.inspect()).NetworkSettings.Networks[EGRESS_NETWORK]!.IPAddress;
  // Wait until both servers listen (checked from the host side of the bridge).
  for (let i = 0; i < 100; i++) {
    const r = await c.exec({ Cmd: ['python3', '-c', 'import socket; [socket.create_connection(("127.0.0.1", p), 1).close() for p in (8080, 9000)]'], AttachStdout: true });
    const s = await r.start({ hijack: true, stdin: false });
    s.resume();
    await new Promise((res) => s.on('end', res));
    if ((await r.inspect()).ExitCode === 0) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  return { ip, remove: () => c.remove({ force: true }).then(() => undefined, () => undefined) };
}

export async function bridgeGateway(): Promise<string> {
  const net = (await docker.getNetwork(EGRESS_NETWORK).inspect()) as { IPAM: { Config: { Gateway: string }[] } };
  return net.IPAM.Config[0]!.Gateway;
}

/**
 * A raw proxy client run by python3 inside the sandbox: sends `request` to 127.0.0.1:3128, optionally
 * `after` once a 200 tunnel answer arrives, and prints everything it received.
 */
export const PROBE = `
import socket, sys, json, time
req = json.loads(sys.argv[1]).encode("latin1")
after = json.loads(sys.argv[2]).encode("latin1") if len(sys.argv) > 2 else b""
s = socket.create_connection(("127.0.0.1", 3128), timeout=5)
s.sendall(req)
out = b""
try:
    while True:
        c = s.recv(65536)
        if not c: break
        out += c
        if after and out.startswith(b"HTTP/1.1 200") and b"\\r\\n\\r\\n" in out:
            s.sendall(after); after = b""; time.sleep(0.3)
            out += s.recv(65536); break
except socket.timeout:
    pass
sys.stdout.write(out.decode("latin1"))
`;

export async function probe(gw: EmbeddedGateway, name: string, request: string, after?: string): Promise<string> {
  const args = ['python3', '-c', PROBE, JSON.stringify(request), ...(after === undefined ? [] : [JSON.stringify(after)])];
  return (await execCapture(gw, name, args)).stdout.toString('latin1');
}

export function jsonBody(response: string): Record<string, unknown> {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

/** `curl` through the proxy; prints the HTTP code last. */
export async function curl(gw: EmbeddedGateway, name: string, exe: string, url: string, extra: string[] = []): Promise<{ code: string; body: string }> {
  const r = await execCapture(gw, name, [exe, '-sS', '-m', '10', ...extra, '-w', '\n%{http_code}', url]);
  const text = r.stdout.toString();
  const i = text.lastIndexOf('\n');
  return { code: text.slice(i + 1), body: text.slice(0, i) };
}
