import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execCapture, gateway, uniqueName } from './helpers.ts';
import { bridgeGateway, docker, jsonBody, probe, startUpstream, supervisor, supervisorShell, waitForLine, writePolicyFile } from './egress-helpers.ts';

// The destination guard and the proxy's robustness, with python3 as the (allowed) raw client.
const gw = gateway();
const name = uniqueName('guard');
let up: { ip: string; remove: () => Promise<void> };
let bridge = '';
const PY = '/usr/bin/python3*';

beforeAll(async () => {
  await gw.createSandbox({ name });
  up = await startUpstream(`${name}-up`, `${name}-up`);
  bridge = await bridgeGateway();
  // Names for the supervisor's resolver that point where a wildcard rule must never lead.
  await supervisorShell(
    name,
    `printf '127.0.0.1 loop.egress.test\\n169.254.169.254 meta.egress.test\\n${bridge} gw.egress.test\\n${up.ip} peer.egress.test\\n' >> /etc/hosts`,
  );
  await writePolicyFile(name, {
    version: 201,
    policy: {
      version: 1,
      network_policies: {
        wild: { endpoints: [{ host: '*.egress.test', ports: [8080, 9000] }], binaries: [{ path: PY }] },
        literal: {
          endpoints: [
            { host: '127.0.0.1', port: 8080 },
            { host: '169.254.169.254', port: 80 },
          ],
          binaries: [{ path: PY }],
        },
        exact: { endpoints: [{ host: up.ip, ports: [8080, 9000] }], binaries: [{ path: PY }] },
      },
    },
  });
  await waitForLine(name, (l) => l.type === 'policy' && l.version === 201 && l.status === 'loaded');
});

afterAll(async () => {
  await up?.remove();
  await gw.deleteSandbox(name).catch(() => undefined);
});

const connect = (target: string): Promise<string> => probe(gw, name, `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);

describe('the destination guard', () => {
  it.each([
    ['loop.egress.test:8080', 'internal address 127.0.0.1 (loopback) is never allowed'],
    ['meta.egress.test:9000', 'internal address 169.254.169.254 (cloud metadata) is never allowed'],
    ['127.0.0.1:8080', 'internal address 127.0.0.1 (loopback) is never allowed'],
    ['169.254.169.254:80', 'internal address 169.254.169.254 (cloud metadata) is never allowed'],
    ['peer.egress.test:8080', 'declared endpoint check failed'],
  ])('refuses CONNECT %s although a rule matches the name (%s)', async (target, why) => {
    const r = await connect(target);
    expect(r).toMatch(/^HTTP\/1\.1 403/);
    expect(jsonBody(r)).toMatchObject({ error: 'ssrf_denied' });
    expect(String(jsonBody(r).detail)).toContain(why);
  });

  it('refuses the Docker bridge gateway behind a wildcard name', async () => {
    const r = await connect('gw.egress.test:8080');
    expect(jsonBody(r)).toMatchObject({ error: 'ssrf_denied', host: 'gw.egress.test' });
    expect(String(jsonBody(r).detail)).toContain(`internal address ${bridge} (private (RFC 1918))`);
  });

  it('tunnels to the same private address when the rule names it exactly', async () => {
    const r = await probe(gw, name, `CONNECT ${up.ip}:9000 HTTP/1.1\r\n\r\n`, 'ping-through-tunnel');
    expect(r).toBe('HTTP/1.1 200 Connection Established\r\n\r\nping-through-tunnel');
  });

  it('answers 502 when the allowed upstream does not listen', async () => {
    await writePolicyFile(name, {
      version: 202,
      policy: { version: 1, network_policies: { exact: { endpoints: [{ host: up.ip, ports: [8080, 9000, 9001] }], binaries: [{ path: PY }] } } },
    });
    await waitForLine(name, (l) => l.type === 'policy' && l.version === 202);
    const r = await connect(`${up.ip}:9001`);
    expect(r).toMatch(/^HTTP\/1\.1 502/);
    expect(jsonBody(r)).toMatchObject({ error: 'upstream_unreachable' });
  });
});

describe('malformed requests', () => {
  it.each([
    ['a bare-LF head', 400, `GET http://peer.egress.test:8080/ HTTP/1.1\nHost: x\n\n`],
    ['port 0', 400, 'CONNECT peer.egress.test:0 HTTP/1.1\r\n\r\n'],
    ['port 65536', 400, 'CONNECT peer.egress.test:65536 HTTP/1.1\r\n\r\n'],
    ['a target without a port', 400, 'CONNECT peer.egress.test HTTP/1.1\r\n\r\n'],
    ['a NUL byte', 400, 'GET http://peer.egress.test:8080/\0 HTTP/1.1\r\n\r\n'],
    ['a CONNECT head over 8 KiB', 431, `CONNECT peer.egress.test:9000 HTTP/1.1\r\nX-Pad: ${'a'.repeat(9000)}\r\n\r\n`],
    ['absolute-form https', 400, 'GET https://peer.egress.test/ HTTP/1.1\r\nHost: peer.egress.test\r\n\r\n'],
  ])('answers %s with %i, and the proxy keeps serving', async (_what, status, request) => {
    const r = await probe(gw, name, request);
    expect(r.startsWith(`HTTP/1.1 ${status}`)).toBe(true);
    const ok = await probe(gw, name, `CONNECT ${up.ip}:9000 HTTP/1.1\r\n\r\n`, 'still-alive');
    expect(ok.endsWith('still-alive')).toBe(true);
  });
});

describe('a dead supervisor', () => {
  it('leaves the agent with no egress at all', async () => {
    await supervisor(name).kill();
    const agent = await docker.getContainer(`openshell-${name}-agent`).inspect();
    // The pid namespace dies with the supervisor's init, taking the agent with it; if anything still runs, nothing gets out.
    if (agent.State.Running) {
      const r = await execCapture(gw, name, ['curl', '-sS', '-m', '3', '-o', '/dev/null', '-w', '%{http_code}', `http://${up.ip}:8080/`]);
      expect(r.stdout.toString()).toBe('000');
    } else {
      await expect(execCapture(gw, name, ['true'])).rejects.toThrow();
    }
  });
});
